// dmesg E820 lines, every shape Linux has printed (arch/x86/kernel/e820.c):
//   BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable        (inclusive end)
//   BIOS-e820: [mem 0x...-0x...]  639.9 KB System RAM                    (Linux 7.0 names)
//   BIOS-e820: [gap 0x...-0x...]                                         (ignored)
//    BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)            (old, exclusive end)
//   reserve setup_data: [mem ...] usable / Xen: [mem ...] usable         (other printers)
// with any prefix before the tag ("[    0.000000] ", "kernel: ", syslog, dmesg -T).
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

struct NamedType {
  std::string_view name;  // folded (lower case, single blanks)
  uint32_t type;
};
constexpr NamedType kE820Names[] = {
    {"usable", map::e820::kUsable},
    {"system ram", map::e820::kUsable},
    {"kernel usable ram", map::e820::kUsable},
    {"reserved", map::e820::kReserved},
    {"device reserved", map::e820::kReserved},
    {"acpi data", map::e820::kAcpi},
    {"acpi nvs", map::e820::kNvs},
    {"unusable", map::e820::kUnusable},
    {"soft reserved", map::e820::kSoftReserved},
    {"persistent memory", map::e820::kPmem},
    {"persistent memory (legacy)", map::e820::kPram},
};

// "type N" or "(type N)" tail: N decimal, nothing after.
bool TypeNumber(std::string_view s, uint32_t* type) {
  uint64_t v = 0;
  if (!ConsumeDec(&s, &v) || !s.empty() || v > UINT32_MAX) return false;
  *type = static_cast<uint32_t>(v);
  return true;
}

// Where `tag` starts in `line` at a word boundary; npos if absent.
size_t FindTag(std::string_view line, std::string_view tag) {
  size_t at = line.find(tag);
  while (at != std::string_view::npos) {
    char before = at == 0 ? ' ' : line[at - 1];
    if (IsSpace(before) || before == ']' || before == ':' || before == '>') return at;
    at = line.find(tag, at + 1);
  }
  return std::string_view::npos;
}

// Optional Linux 7.0 size column: "639.9 KB", "2047   MB".
bool SkipSizeColumn(std::string_view* s) {
  std::string_view t = *s;
  uint64_t ignored = 0;
  if (!ConsumeDec(&t, &ignored)) return true;
  if (ConsumeChar(&t, '.') && !ConsumeDec(&t, &ignored)) return false;
  SkipSpaces(&t);
  for (std::string_view unit : {"KB", "MB", "GB", "TB", "PB", "EB", "B"}) {
    if (ConsumePrefix(&t, unit) && (t.empty() || IsSpace(t.front()))) {
      SkipSpaces(&t);
      *s = t;
      return true;
    }
  }
  return false;
}

}  // namespace

bool E820TypeFromText(std::string_view text, uint32_t* type) {
  std::string folded = Fold(text);
  std::string_view f = folded;
  if (f.size() >= 2 && f.front() == '(' && f.back() == ')') f = Trim(f.substr(1, f.size() - 2));
  for (const NamedType& n : kE820Names) {
    if (f == n.name) {
      *type = n.type;
      return true;
    }
  }
  if (ConsumePrefix(&f, "type ")) return TypeNumber(f, type);
  // "persistent (type 7)", "persistent RAM (type 12)"
  if (ConsumePrefix(&f, "persistent ")) {
    ConsumePrefix(&f, "ram ");
    if (ConsumePrefix(&f, "(type ") && !f.empty() && f.back() == ')') {
      f.remove_suffix(1);
      return TypeNumber(f, type);
    }
  }
  return false;
}

void ClassifyDmesgE820(std::string_view line, Line* out) {
  out->table = Table::kE820;
  // Titles: "BIOS-provided physical RAM map:", "extended physical RAM map:", ...
  if (line.find("physical RAM map:") != std::string_view::npos) {
    out->kind = LineKind::kHeader;
    return;
  }
  if (line.find("out of order E820 entry") != std::string_view::npos) {
    out->kind = LineKind::kNeutral;
    return;
  }
  std::string_view rest;
  bool found = false;
  for (uint8_t tag = 0; tag < std::size(kDmesgTags) && !found; ++tag) {
    size_t at = FindTag(line, kDmesgTags[tag]);
    if (at == std::string_view::npos) continue;
    std::string_view r = line.substr(at + kDmesgTags[tag].size());
    if (!ConsumeChar(&r, ':')) continue;
    SkipSpaces(&r);
    // "Xen: " also starts unrelated messages: only "[mem", "[gap" or a hex start counts.
    if (tag != 0 && (r.empty() || (r.front() != '[' && !IsHexDigit(r.front())))) continue;
    out->tag = tag;
    rest = r;
    found = true;
  }
  if (!found) return;

  const std::string who(kDmesgTags[out->tag]);
  uint64_t first = 0, last = 0;
  if (ConsumePrefix(&rest, "[gap")) {
    out->kind = LineKind::kNeutral;
    return;
  }
  if (ConsumePrefix(&rest, "[mem")) {
    SkipSpaces(&rest);
    bool ok = (ConsumeHex0x(&rest, &first) || ConsumeHex(&rest, &first)) && ConsumeChar(&rest, '-') &&
              (ConsumeHex0x(&rest, &last) || ConsumeHex(&rest, &last)) && ConsumeChar(&rest, ']');
    if (!ok) {
      out->Error("expected \"[mem 0xSTART-0xEND]\" after \"" + who + ":\", got " + Quote(rest));
      return;
    }
    if (!InclusiveSize(first, last, &out->e820.size)) {
      out->Error("end " + Hex(last) + " is below start " + Hex(first) +
                 " (or the range spans all 2^64 bytes)");
      return;
    }
    SkipSpaces(&rest);
    if (!SkipSizeColumn(&rest)) {
      out->Error("expected a size (\"639 KB\") or a type after the range, got " + Quote(rest));
      return;
    }
  } else if (!rest.empty() && IsHexDigit(rest.front())) {
    // Old form: exclusive end, no 0x.
    bool ok = ConsumeHex(&rest, &first);
    SkipSpaces(&rest);
    ok = ok && ConsumeChar(&rest, '-');
    SkipSpaces(&rest);
    ok = ok && ConsumeHex(&rest, &last);
    if (!ok) {
      out->Error("expected \"START - END (TYPE)\" after \"" + who + ":\", got " + Quote(rest));
      return;
    }
    if (last < first) {
      out->Error("end " + Hex(last) + " is below start " + Hex(first));
      return;
    }
    out->e820.size = last - first;
    if (out->e820.size == 0) out->text = "zero-length entry at " + Hex(first);
  } else {
    out->Error("expected \"[mem 0xSTART-0xEND] TYPE\" or \"START - END (TYPE)\" after \"" + who +
               ":\", got " + Quote(rest));
    return;
  }
  out->e820.base = first;
  std::string_view type_text = Trim(rest);
  if (!E820TypeFromText(type_text, &out->e820.type)) {
    out->Error("expected an E820 type (" + std::string(kE820TypeHelp) + ") after the range, got " +
               Quote(type_text));
    return;
  }
  out->kind = LineKind::kEntry;
}

}  // namespace bootmap::importer
