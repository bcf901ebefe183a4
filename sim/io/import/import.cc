// Import entry points: format dispatch, auto-detection, the line driver loop and the
// checks every import ends with (empty input, no map found, no usable RAM).
#include "sim/io/import/import.h"

#include <algorithm>
#include <array>
#include <string>

#include "sim/io/import/line_driver.h"
#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"
#include "sim/map/mem_type.h"

namespace bootmap::importer {
namespace {

constexpr int kMaxPhysAddrBits = 52;

constexpr std::array<std::pair<Format, std::string_view>, 10> kFormatNames = {{
    {Format::kAuto, "auto"},
    {Format::kDmesg, "dmesg"},
    {Format::kEfiDebug, "efi-debug"},
    {Format::kUefiShell, "uefi-shell"},
    {Format::kSysfs, "sysfs"},
    {Format::kXen, "xen"},
    {Format::kFwCfg, "fw-cfg"},
    {Format::kMultiboot2, "multiboot2"},
    {Format::kIomem, "iomem"},
    {Format::kGrubLsmmap, "grub-lsmmap"},
}};

using ClassifyFn = void (*)(std::string_view, Line*);

struct Pass {
  ClassifyFn classify;
  BlockCollector* collector;
};

// Runs the classifiers over every line; the first that recognises a line owns it.
bool RunLines(std::string_view text, std::span<const Pass> passes, const ImportOptions& options,
              ImportResult* result) {
  LineReader reader(text);
  std::string_view raw;
  Line line;
  while (reader.Next(&raw)) {
    size_t n = reader.line_no();
    std::string_view t = Trim(raw);
    if (t.empty() || t.front() == '#') continue;
    const Pass* owner = nullptr;
    for (const Pass& p : passes) {
      line.Reset();
      p.classify(raw, &line);
      if (line.kind != LineKind::kOther) {
        owner = &p;
        break;
      }
    }
    if (owner == nullptr) {
      for (const Pass& p : passes) p.collector->Other(n);
      continue;
    }
    switch (line.kind) {
      case LineKind::kError:
        result->error = At(options, n, line.text);
        return false;
      case LineKind::kHeader:
        owner->collector->Header();
        break;
      case LineKind::kEntry:
        if (!owner->collector->Add(line, n, options, &result->error, &result->warnings)) {
          return false;
        }
        break;
      case LineKind::kNeutral:
      case LineKind::kOther:
        break;
    }
    if (!line.text.empty() && line.kind != LineKind::kError) {
      result->warnings.push_back(At(options, n, line.text));
    }
  }
  for (const Pass& p : passes) p.collector->Finish(options, &result->map, &result->warnings);
  return true;
}

// A single-table line format.
bool RunOne(std::string_view text, ClassifyFn classify, Table table,
            std::span<const std::string_view> tags, const ImportOptions& options,
            ImportResult* result) {
  BlockCollector collector(table, tags);
  const Pass passes[] = {{classify, &collector}};
  return RunLines(text, passes, options, result);
}

// Line hits per format, for auto-detection.
struct Evidence {
  size_t dmesg = 0, efi = 0, shell = 0, sysfs = 0, xen = 0, multiboot = 0, iomem = 0, grub = 0;
  bool binary = false;
};

bool Hit(ClassifyFn classify, std::string_view raw, Line* line) {
  line->Reset();
  classify(raw, line);
  return line->kind == LineKind::kEntry || line->kind == LineKind::kError ||
         line->kind == LineKind::kHeader;
}

Evidence Gather(std::string_view input) {
  Evidence ev;
  if (input.find('\0') != std::string_view::npos) {
    ev.binary = true;
    return ev;
  }
  LineReader reader(input);
  std::string_view raw;
  Line line;
  while (reader.Next(&raw)) {
    std::string_view t = Trim(raw);
    if (t.empty() || t.front() == '#') continue;
    if (t.find("(XEN)") != std::string_view::npos) {
      if (Hit(&ClassifyXen, raw, &line)) ++ev.xen;
      continue;
    }
    if (Hit(&ClassifyDmesgE820, raw, &line)) {
      ++ev.dmesg;
    } else if (t.find("mem") != std::string_view::npos && Hit(&ClassifyEfiDebug, raw, &line)) {
      ++ev.efi;
    } else if (t.find("base_addr") != std::string_view::npos) {
      // GRUB's named lines are errors to the multiboot2 reader; numeric ones read as both.
      bool grub = Hit(&ClassifyGrubLsmmap, raw, &line) && line.kind == LineKind::kEntry;
      bool multiboot = Hit(&ClassifyMultiboot2, raw, &line);
      if (grub && line.kind != LineKind::kEntry) {
        ++ev.grub;
      } else if (multiboot) {
        ++ev.multiboot;
      }
    } else if (Hit(&ClassifyUefiShell, raw, &line)) {
      ++ev.shell;
    } else if (IsSysfsLine(t)) {
      ++ev.sysfs;
    } else if (Hit(&ClassifyIomem, raw, &line) && line.kind != LineKind::kNeutral) {
      ++ev.iomem;
    }
  }
  return ev;
}

Format Choose(const Evidence& ev) {
  if (ev.binary) return Format::kFwCfg;
  // Most hits wins; ties go to the more specific format (earlier here).
  std::pair<Format, size_t> candidates[] = {
      {Format::kSysfs, ev.sysfs},           {Format::kUefiShell, ev.shell},
      {Format::kXen, ev.xen},               {Format::kDmesg, ev.dmesg + (ev.dmesg ? ev.efi : 0)},
      {Format::kEfiDebug, ev.dmesg ? 0 : ev.efi}, {Format::kIomem, ev.iomem},
      {Format::kGrubLsmmap, ev.grub ? ev.grub + ev.multiboot : 0},
      {Format::kMultiboot2, ev.multiboot},
  };
  Format best = Format::kAuto;
  size_t best_hits = 0;
  for (const auto& [f, hits] : candidates) {
    if (hits > best_hits) {
      best = f;
      best_hits = hits;
    }
  }
  return best;
}

std::string_view Describe(Format f, const map::MemoryMap& m) {
  switch (f) {
    case Format::kDmesg:
      return m.efi.empty() ? "Linux dmesg E820 map" : "Linux dmesg E820 and efi=debug maps";
    case Format::kEfiDebug:
      return "Linux efi=debug memory map";
    case Format::kUefiShell:
      return "UEFI Shell memmap";
    case Format::kSysfs:
      return "/sys/firmware/memmap";
    case Format::kXen:
      return "Xen console e820 map";
    case Format::kFwCfg:
      return "QEMU fw_cfg etc/e820";
    case Format::kMultiboot2:
      return "multiboot2 memory map";
    case Format::kIomem:
      return "/proc/iomem";
    case Format::kGrubLsmmap:
      return "GRUB lsmmap memory map";
    case Format::kAuto:
      break;
  }
  return "memory map";
}

// Text safe for a JSON string: printable ASCII and well-formed UTF-8 kept, anything else
// (control bytes, stray or truncated UTF-8) becomes '?'.
void AppendClean(std::string_view in, std::string* out) {
  size_t i = 0;
  while (i < in.size()) {
    auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size() && (len > 1 || (c >= 0x20 && c != 0x7f));
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    // Overlong and surrogate forms are rejected by the JSON writer too: keep the rule simple
    // and strict (no overlong 2-byte lead, no 0xED 0xA0.. surrogates, nothing past U+10FFFF).
    if (ok && len == 2 && c < 0xc2) ok = false;
    if (ok && len == 3) {
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) ok = false;
    }
    if (ok && len == 4) {
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) ok = false;
    }
    if (!ok) {
      out->push_back('?');
      ++i;
      continue;
    }
    out->append(in.substr(i, len));
    i += len;
  }
}

// The dump's leading '#' comment lines ("source: ...; machine: ..."), or
// "FORMAT imported from NAME" when there are none.
std::string Origin(std::string_view input, Format f, const map::MemoryMap& m,
                   const ImportOptions& options) {
  std::string origin;
  if (f != Format::kFwCfg) {
    LineReader reader(input);
    std::string_view raw;
    while (reader.Next(&raw)) {
      std::string_view t = Trim(raw);
      if (t.empty() || t.front() != '#') break;
      t.remove_prefix(1);
      t = Trim(t);
      if (t.empty()) continue;
      if (!origin.empty()) origin += "; ";
      AppendClean(t, &origin);
    }
  }
  if (origin.empty()) {
    std::string_view name = options.source;
    size_t slash = name.rfind('/');
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    origin = std::string(Describe(f, m)) + " imported from ";
    AppendClean(name, &origin);
  }
  return origin;
}

// The smallest MAXPHYADDR that holds every entry; 0 if the map passes 2^52.
int BitsToCover(const map::MemoryMap& m) {
  using u128 = unsigned __int128;
  u128 top = 0;
  for (const map::E820Entry& e : m.e820) top = std::max(top, u128(e.base) + e.size);
  for (const map::EfiDescriptor& d : m.efi) {
    top = std::max(top, u128(d.base) + u128(d.pages) * map::kPageSize);
  }
  for (int bits = 32; bits <= kMaxPhysAddrBits; ++bits) {
    if (top <= (u128(1) << bits)) return bits;
  }
  return 0;
}

bool HasUsableRam(const map::MemoryMap& m) {
  for (const map::E820Entry& e : m.e820) {
    if (e.size != 0 && IsAllocatable(map::KindOfE820(e.type))) return true;
  }
  for (const map::EfiDescriptor& d : m.efi) {
    if (d.pages != 0 && IsAllocatable(map::KindOfEfi(d))) return true;
  }
  return false;
}

ImportResult Fail(ImportResult r) {
  r.ok = false;
  r.map = map::MemoryMap{};
  return r;
}

// The checks every import ends with.
ImportResult Finish(ImportResult r, std::string_view input, const ImportOptions& options) {
  if (!r.error.empty()) return Fail(std::move(r));
  if (r.map.e820.empty() && r.map.efi.empty()) {
    r.error = options.source + ": no memory map found (no " + std::string(FormatName(r.format)) +
              " map line in the input)";
    return Fail(std::move(r));
  }
  if (!HasUsableRam(r.map)) {
    r.error = options.source +
              ": the map has no usable RAM (no E820 usable entry, no EFI conventional or "
              "boot-services memory)";
    return Fail(std::move(r));
  }
  // SDM Vol. 3A 4.1.4: physical addresses have at most 52 bits; the map file's
  // cpu.maxphyaddr must cover the map, so a map past the default raises it.
  int bits = BitsToCover(r.map);
  if (bits == 0) {
    r.error = options.source + ": the map reaches past 2^" + std::to_string(kMaxPhysAddrBits) +
              ", beyond any x86-64 physical address (SDM Vol. 3A 4.1.4)";
    return Fail(std::move(r));
  }
  if (bits > r.map.cpu.maxphyaddr) {
    r.warnings.push_back(options.source + ": cpu.maxphyaddr raised from " +
                         std::to_string(r.map.cpu.maxphyaddr) + " to " + std::to_string(bits) +
                         " to cover the map");
    r.map.cpu.maxphyaddr = static_cast<uint8_t>(bits);
    // SDM Vol. 3A 12.11.2.3: variable MTRR masks span MAXPHYADDR; the log's no longer do.
    if (r.map.mtrr && !r.map.mtrr->variable.empty()) {
      r.warnings.push_back(options.source + ": the log's MTRRs were dropped: their masks do not "
                                            "span the raised MAXPHYADDR");
      r.map.mtrr.reset();
    }
  }
  r.map.origin = Origin(input, r.format, r.map, options) + r.origin_suffix;
  r.ok = true;
  return r;
}

// Runs the importer of `format` (not kAuto) over `input` into *r.
void Parse(std::string_view input, Format format, const ImportOptions& options, ImportResult* r) {
  switch (format) {
    case Format::kFwCfg:
      ImportFwCfg(input, options, r);
      break;
    case Format::kSysfs:
      ImportSysfsText(input, options, r);
      break;
    case Format::kDmesg: {
      BlockCollector e820(Table::kE820, kDmesgTags);
      BlockCollector efi(Table::kEfi, kEfiTags);
      const Pass passes[] = {{&ClassifyDmesgE820, &e820}, {&ClassifyEfiDebug, &efi}};
      if (RunLines(input, passes, options, r) &&
          ApplyKernelView(input, e820.chosen_line(), options, r)) {
        ReadCpuFacts(input, options, r);
      }
      break;
    }
    case Format::kEfiDebug:
      if (RunOne(input, &ClassifyEfiDebug, Table::kEfi, kEfiTags, options, r)) {
        ReadCpuFacts(input, options, r);
      }
      break;
    case Format::kUefiShell:
      RunOne(input, &ClassifyUefiShell, Table::kEfi, kShellTags, options, r);
      break;
    case Format::kXen:
      RunOne(input, &ClassifyXen, Table::kE820, kXenTags, options, r);
      break;
    case Format::kMultiboot2:
      RunOne(input, &ClassifyMultiboot2, Table::kE820, kMultibootTags, options, r);
      break;
    case Format::kIomem:
      if (ScanIomem(input, options, r)) {
        RunOne(input, &ClassifyIomem, Table::kE820, kIomemTags, options, r);
      }
      break;
    case Format::kGrubLsmmap:
      RunOne(input, &ClassifyGrubLsmmap, Table::kE820, kGrubTags, options, r);
      break;
    case Format::kAuto:
      break;
  }
}

}  // namespace

std::string_view FormatName(Format f) {
  for (const auto& [format, name] : kFormatNames) {
    if (format == f) return name;
  }
  return "?";
}

std::optional<Format> FormatFromName(std::string_view name) {
  for (const auto& [format, n] : kFormatNames) {
    if (n == name) return format;
  }
  return std::nullopt;
}

Format DetectFormat(std::string_view input) { return Choose(Gather(input)); }

ImportResult Import(std::string_view input, Format format, const ImportOptions& options) {
  // UEFI Shell `memmap > file` writes UCS-2 (UTF-16LE with a byte-order mark); editors
  // may add a UTF-8 one. Map files only need ASCII, so other characters become '?'.
  std::string decoded;
  if (format != Format::kFwCfg && input.size() >= 2 && input[0] == '\xff' && input[1] == '\xfe') {
    decoded.reserve(input.size() / 2);
    for (size_t i = 2; i + 1 < input.size(); i += 2) {
      bool ascii = input[i + 1] == '\0' && static_cast<unsigned char>(input[i]) < 0x80;
      decoded.push_back(ascii ? input[i] : '?');
    }
    input = decoded;
  } else if (format != Format::kFwCfg && input.substr(0, 3) == "\xef\xbb\xbf") {
    input.remove_prefix(3);
  }
  ImportResult r;
  r.format = format;
  if (input.size() > options.max_input_bytes) {
    r.error = options.source + ": input is " + std::to_string(input.size()) +
              " bytes, more than the limit of " + std::to_string(options.max_input_bytes);
    return Fail(std::move(r));
  }
  if (input.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
    r.error = options.source + ": empty input";
    return Fail(std::move(r));
  }
  if (format == Format::kAuto) {
    Evidence ev = Gather(input);
    format = Choose(ev);
    if (format == Format::kAuto) {
      r.error = options.source +
                ": no memory map found (no line of any known format: dmesg E820, efi=debug, "
                "UEFI Shell memmap, sysfs memmap, Xen, multiboot2, /proc/iomem, GRUB lsmmap; "
                "binary input is read as "
                "fw_cfg etc/e820 only if it holds a NUL byte)";
      return Fail(std::move(r));
    }
    r.format = format;
    if (format == Format::kXen && ev.dmesg != 0) {
      r.warnings.push_back(options.source + ": " + std::to_string(ev.dmesg) +
                           " Linux dmesg E820 lines were not imported (the Xen map was; use "
                           "--format dmesg for the other)");
    }
  }
  if (options.kernel_view && format != Format::kDmesg) {
    r.error = options.source + ": --kernel-view applies the kernel's e820 edits to a Linux dmesg "
                               "E820 map; this input is " + std::string(FormatName(format));
    return Fail(std::move(r));
  }
  Parse(input, format, options, &r);
  return Finish(std::move(r), input, options);
}

ImportResult ImportSysfsDir(const std::string& dir, const ImportOptions& options) {
  ImportResult r;
  r.format = Format::kSysfs;
  ReadSysfsDir(dir, options, &r);
  ImportOptions named = options;
  if (named.source == ImportOptions{}.source) named.source = dir;
  return Finish(std::move(r), "", named);
}

}  // namespace bootmap::importer
