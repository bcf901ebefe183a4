// Multiboot(2) memory map as kernels commonly print it (the spec's example kernel):
//   base_addr = 0x0, length = 0x9fc00, type = 0x1
//    size = 0x14, base_addr = 0x000000000, length = 0x00009fc00, type = 0x1
//   [mmap] base_addr = 0x100000, length = 0x7fee0000, type = Available  (2047 MiB)
// Types use the E820 numbering (Multiboot2 spec 3.6.8: 1 available, 2 reserved, 3 ACPI
// reclaimable, 4 NVS, 5 bad RAM); unknown numbers are kept, names are read by
// memory_type_names.cc. Columns before and after the fields are ignored.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

// Finds `key` as a word, then "=" or ":" and a number (or, with `warning`, a type name).
enum class Field { kMissing, kBad, kOk };
Field ReadField(std::string_view line, std::string_view key, uint64_t* v,
                std::string* warning = nullptr) {
  size_t at = line.find(key);
  while (at != std::string_view::npos) {
    char before = at == 0 ? ' ' : line[at - 1];
    std::string_view r = line.substr(at + key.size());
    SkipSpaces(&r);
    if ((IsSpace(before) || before == ',' || before == ':' || before == ']' || before == '(') &&
        (ConsumeChar(&r, '=') || ConsumeChar(&r, ':'))) {
      SkipSpaces(&r);
      if (ConsumeNumber(&r, v)) return Field::kOk;
      uint32_t named = 0;
      if (warning == nullptr || ReadNamedType(r, &named, warning) == 0) return Field::kBad;
      *v = named;
      return Field::kOk;
    }
    at = line.find(key, at + 1);
  }
  return Field::kMissing;
}

}  // namespace

void ClassifyMultiboot2(std::string_view line, Line* out) {
  out->table = Table::kE820;
  if (line.find("base_addr") == std::string_view::npos) return;
  uint64_t base = 0, length = 0, type = 0;
  Field b = ReadField(line, "base_addr", &base);
  Field l = ReadField(line, "length", &length);
  std::string warning;
  Field t = ReadField(line, "type", &type, &warning);
  if (b == Field::kMissing) return;  // "base_addr" in prose
  if (b != Field::kOk || l != Field::kOk || t != Field::kOk || type > UINT32_MAX) {
    return out->Error(
        "expected \"base_addr = 0xN, length = 0xN, type = N\" (hex with 0x, or decimal; or a "
        "type name: Available, Reserved, ACPI Reclaimable, NVS, bad RAM), got " +
        Quote(Trim(line)));
  }
  if (length != 0 && base + (length - 1) < base) {
    return out->Error("base_addr " + Hex(base) + " + length " + Hex(length) + " passes 2^64");
  }
  out->text = std::move(warning);
  if (length == 0) out->text = "zero-length entry at " + Hex(base);
  out->e820.base = base;
  out->e820.size = length;
  out->e820.type = static_cast<uint32_t>(type);
  out->kind = LineKind::kEntry;
}

}  // namespace bootmap::importer
