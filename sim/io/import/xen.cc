// Xen console (xen/arch/x86/e820.c print_e820_memory_map):
//   (XEN) Xen-e820 RAM map:
//   (XEN)  [0000000000000000, 000000000009fbff] (usable)      (inclusive end)
//   (XEN)  0000000000000000 - 000000000009fc00 (usable)      (older Xen, exclusive end)
// Console timestamps ("(XEN) [  0.000000] ") may sit between the tag and the entry.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {

void ClassifyXen(std::string_view line, Line* out) {
  out->table = Table::kE820;
  size_t at = line.find("(XEN)");
  if (at == std::string_view::npos) return;
  std::string_view rest = line.substr(at + 5);
  if (rest.find("RAM map:") != std::string_view::npos) {
    out->kind = LineKind::kHeader;
    return;
  }
  SkipSpaces(&rest);
  // Skip console timestamps: a bracket that does not hold "HEX, HEX".
  while (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(0, close).find(',') != std::string_view::npos) {
      break;
    }
    rest.remove_prefix(close + 1);
    SkipSpaces(&rest);
  }
  uint64_t first = 0, last = 0;
  bool inclusive = false;
  if (ConsumeChar(&rest, '[')) {
    std::string_view r = rest;
    SkipSpaces(&r);
    if (!ConsumeHex(&r, &first) || !ConsumeChar(&r, ',')) return;  // some other bracket
    SkipSpaces(&r);
    if (!ConsumeHex(&r, &last) || !ConsumeChar(&r, ']')) {
      return out->Error("expected \"[START, END] (TYPE)\" in hex, got " + Quote(rest));
    }
    rest = r;
    inclusive = true;
  } else {
    std::string_view r = rest;
    if (!ConsumeHex(&r, &first)) return;
    SkipSpaces(&r);
    if (!ConsumeChar(&r, '-')) return;  // a message starting with a hex-looking word
    SkipSpaces(&r);
    if (!ConsumeHex(&r, &last)) {
      return out->Error("expected \"START - END (TYPE)\" in hex, got " + Quote(rest));
    }
    rest = r;
  }
  uint64_t size = 0;
  if (inclusive ? !InclusiveSize(first, last, &size) : last < first) {
    return out->Error("end " + Hex(last) + " is below start " + Hex(first));
  }
  if (!inclusive) {
    size = last - first;
    if (size == 0) out->text = "zero-length entry at " + Hex(first);
  }
  std::string_view type_text = Trim(rest);
  if (!E820TypeFromText(type_text, &out->e820.type)) {
    return out->Error("expected an E820 type (" + std::string(kE820TypeHelp) +
                      ") after the range, got " + Quote(type_text));
  }
  out->e820.base = first;
  out->e820.size = size;
  out->kind = LineKind::kEntry;
}

}  // namespace bootmap::importer
