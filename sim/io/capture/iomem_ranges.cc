// /proc/iomem (kernel/resource.c r_show): "START-END : NAME", two spaces of indent per level,
// inclusive hex ends. Kept: the kernel image's resources (arch/x86/kernel/setup.c:
// "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss") and the boot framebuffer
// (BOOTFB / efifb / vesafb / simple-framebuffer). Without CAP_SYS_ADMIN every address reads 0.
#include <algorithm>
#include <iterator>
#include <string>

#include "sim/io/capture/sources.h"
#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::capture {
namespace {

struct KernelResource {
  std::string_view name;
  std::string_view used_name;
  RangeRole role;
};
constexpr KernelResource kKernel[] = {
    {"Kernel code", "kernel-code", RangeRole::kCode},
    {"Kernel rodata", "kernel-rodata", RangeRole::kData},
    {"Kernel data", "kernel-data", RangeRole::kData},
    {"Kernel bss", "kernel-bss", RangeRole::kData},
};
constexpr std::string_view kFramebuffers[] = {"bootfb", "efifb", "vesafb", "simplefb", "simple-framebuffer"};

bool IsFramebuffer(std::string_view name) {
  for (std::string_view f : kFramebuffers) {
    if (importer::StartsWithNoCase(name, f)) return true;
  }
  return false;
}

}  // namespace

bool ParseIomemRanges(std::string_view text, const std::string& file, KernelRanges* out, std::string* error) {
  importer::LineReader reader(text);
  std::string_view line;
  bool any = false, nonzero = false;
  while (reader.Next(&line)) {
    std::string_view t = importer::Trim(line);
    if (t.empty()) continue;
    const std::string where = file + ":" + std::to_string(reader.line_no());
    importer::IomemLine parsed;
    if (!importer::ParseIomemLine(t, &parsed) || parsed.too_big) {
      *error = where + ": expected \"START-END : NAME\" with hex numbers of at most 64 bits, got " +
               importer::Quote(t);
      return false;
    }
    const uint64_t first = parsed.first, last = parsed.last;
    const std::string_view name = parsed.name;
    uint64_t size = 0;
    any = true;
    if (first == 0 && last == 0) continue;  // hidden (no CAP_SYS_ADMIN), or a zero-length placeholder
    nonzero = true;
    if (!importer::InclusiveSize(first, last, &size)) {
      *error = where + ": end " + importer::Hex(last) + " is below start " + importer::Hex(first);
      return false;
    }
    const bool kept = IsFramebuffer(name) || std::any_of(std::begin(kKernel), std::end(kKernel),
                                                         [&](const KernelResource& k) { return name == k.name; });
    if (kept && last >> 52 != 0) {  // SDM Vol. 3A 4.1.4: physical addresses have at most 52 bits
      *error = where + ": " + std::string(name) + " ends at " + importer::Hex(last) +
               ", beyond any x86-64 physical address (2^52)";
      return false;
    }
    for (const KernelResource& k : kKernel) {
      if (name == k.name) out->used.push_back({std::string(k.used_name), first, size, k.role});
    }
    if (IsFramebuffer(name) && !out->framebuffer) out->framebuffer = map::Framebuffer{first, size};
  }
  out->hidden = any && !nonzero;
  return true;
}

}  // namespace bootmap::capture
