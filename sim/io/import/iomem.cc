// /proc/iomem (kernel/resource.c r_show): one resource a line, children indented two
// spaces per level, inclusive ends:
//   00100000-7ffdefff : System RAM
//     01000000-01e00e16 : Kernel code
//   80000000-afffffff : PCI Bus 0000:00
// Top-level ranges named as E820 types (e820__reserve_resources: System RAM, Reserved, ACPI
// Tables, ACPI Non-volatile Storage, Persistent Memory, Soft Reserved, Unusable memory)
// and PCI host bridge windows become entries; nested lines and other top-level resources
// (ROMs, IOAPIC, HPET, MMCONFIG) are detail. An unprivileged reader sees every address as
// zero (r_show prints 0 without CAP_SYS_ADMIN): that is an error, not an empty map.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

// A run of hex digits; *too_big when its value passes 64 bits.
bool HexRun(std::string_view* s, uint64_t* v, bool* too_big) {
  size_t n = 0;
  while (n < s->size() && IsHexDigit((*s)[n])) ++n;
  if (n == 0) return false;
  std::string_view digits = s->substr(0, n);
  if (!ParseHexAll(digits, v)) *too_big = true;
  s->remove_prefix(n);
  return true;
}

}  // namespace

bool ParseIomemLine(std::string_view line, IomemLine* out) {
  std::string_view s = line;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  out->indent = line.size() - s.size();
  if (!HexRun(&s, &out->first, &out->too_big) || !ConsumeChar(&s, '-') ||
      !HexRun(&s, &out->last, &out->too_big)) {
    return false;
  }
  SkipSpaces(&s);
  if (!ConsumeChar(&s, ':')) return false;
  out->name = Trim(s);
  return true;
}

namespace {

// A PCI host bridge window: "PCI Bus 0000:00" (pci_acpi_root_add_resources names it so).
bool IsPciBus(std::string_view name) { return StartsWithNoCase(name, "PCI Bus "); }

}  // namespace

void ClassifyIomem(std::string_view line, Line* out) {
  out->table = Table::kE820;
  IomemLine l;
  if (!ParseIomemLine(line, &l)) return;
  if (l.too_big) return out->Error("an address passes 64 bits: " + Quote(Trim(line)));
  if (l.name.empty()) return out->Error("expected \"START-END : NAME\", got " + Quote(Trim(line)));
  if (l.indent != 0) {
    out->kind = LineKind::kNeutral;  // nested: detail inside a top-level range
    return;
  }
  uint32_t type = 0;
  if (IsPciBus(l.name)) {
    type = map::e820::kReserved;  // E820 has no MMIO type; reserved is what it maps to
  } else if (!KernelResourceType(l.name, &type)) {
    out->kind = LineKind::kNeutral;  // a ROM, IOAPIC, HPET, MMCONFIG ...: not a map entry
    return;
  }
  if (!InclusiveSize(l.first, l.last, &out->e820.size)) {
    return out->Error("end " + Hex(l.last) + " is below start " + Hex(l.first) +
                      " (or the range spans all 2^64 bytes)");
  }
  out->e820.base = l.first;
  out->e820.type = type;
  out->kind = LineKind::kEntry;
}

bool ScanIomem(std::string_view text, const ImportOptions& options, ImportResult* result) {
  LineReader reader(text);
  std::string_view raw;
  size_t ranges = 0, zero = 0, buses = 0;
  while (reader.Next(&raw)) {
    IomemLine l;
    if (!ParseIomemLine(raw, &l)) continue;
    ++ranges;
    if (l.first == 0 && l.last == 0) ++zero;
    if (l.indent == 0 && IsPciBus(l.name)) ++buses;
    if (l.indent != 0 && EqualsNoCase(l.name, "Kernel code")) {
      result->notes.push_back(At(options, reader.line_no(),
                                 "Kernel code at " + Hex(l.first) + "-" + Hex(l.last) +
                                     " (nested detail, not a map entry)"));
    }
  }
  if (ranges != 0 && zero == ranges) {
    result->error = options.source +
                    ": every range reads 00000000-00000000: /proc/iomem shows addresses only to "
                    "root (CAP_SYS_ADMIN); read it as root (sudo cat /proc/iomem)";
    return false;
  }
  if (buses != 0) {
    result->notes.push_back(options.source + ": " + std::to_string(buses) +
                            " PCI bus windows imported as E820 reserved (E820 has no MMIO type)");
  }
  return true;
}

}  // namespace bootmap::importer
