// efi=debug memory-map lines (Linux drivers/firmware/efi/efi.c efi_md_typeattr_format):
//   efi: mem07: [Conventional|   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0xA-0xB] (7MB)
//   efi: mem12: [Boot Data          |   |  |  |  |   |WB|WT|WC|UC] range=[0xA-0xB) (20MB)
//   efi: mem40: [type=1234567|attr=0x8000000000000009] range=[...] (0MB)
//   mem23: type=5, attr=0x800000000000000f, range=[0xA-0xB) (0MB)     (Linux 2.6, numeric)
// Columns are matched by name, so any number of them works; `)` ends are exclusive, `]`
// inclusive. The (NMB) figure is num_pages >> 8 and is cross-checked.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

using map::EfiType;
namespace attr = map::efi_attr;

struct NamedEfiType {
  std::string_view name;  // folded
  EfiType type;
};
constexpr NamedEfiType kEfiNames[] = {
    {"reserved", EfiType::kReserved},
    {"loader code", EfiType::kLoaderCode},
    {"loader data", EfiType::kLoaderData},
    {"boot code", EfiType::kBootServicesCode},
    {"boot data", EfiType::kBootServicesData},
    {"runtime code", EfiType::kRuntimeServicesCode},
    {"runtime data", EfiType::kRuntimeServicesData},
    {"conventional", EfiType::kConventional},
    {"conventional memory", EfiType::kConventional},
    {"unusable", EfiType::kUnusable},
    {"unusable memory", EfiType::kUnusable},
    {"acpi reclaim", EfiType::kAcpiReclaim},
    {"acpi reclaim memory", EfiType::kAcpiReclaim},
    {"acpi mem nvs", EfiType::kAcpiNvs},
    {"acpi memory nvs", EfiType::kAcpiNvs},
    {"mmio", EfiType::kMmio},
    {"memory mapped i/o", EfiType::kMmio},
    {"mmio port", EfiType::kMmioPortSpace},
    {"mmio port space", EfiType::kMmioPortSpace},
    {"memory mapped i/o port space", EfiType::kMmioPortSpace},
    {"pal code", EfiType::kPalCode},
    {"persistent", EfiType::kPersistent},
    {"persistent memory", EfiType::kPersistent},
    {"unaccepted", EfiType::kUnaccepted},
};

struct NamedAttr {
  std::string_view name;
  uint64_t bit;
};
constexpr NamedAttr kAttrColumns[] = {
    {"RUN", attr::kRuntime}, {"MR", attr::kMoreReliable}, {"CC", attr::kCpuCrypto},
    {"SP", attr::kSP},       {"NV", attr::kNV},           {"XP", attr::kXP},
    {"RP", attr::kRP},       {"WP", attr::kWP},           {"RO", attr::kRO},
    {"UCE", attr::kUCE},     {"WB", attr::kWB},           {"WT", attr::kWT},
    {"WC", attr::kWC},       {"UC", attr::kUC},
};

// Finds "memNN:" and returns what follows; `efi_prefixed` says whether "efi: " preceded it.
bool FindMemIndex(std::string_view line, uint64_t* index, bool* efi_prefixed, std::string_view* rest) {
  size_t at = line.find("mem");
  while (at != std::string_view::npos) {
    std::string_view r = line.substr(at + 3);
    uint64_t n = 0;
    if (!r.empty() && IsDigit(r.front()) && ConsumeDec(&r, &n) && ConsumeChar(&r, ':')) {
      std::string_view before = line.substr(0, at);  // trimmed on the right only: linear
      while (!before.empty() && IsSpace(before.back())) before.remove_suffix(1);
      bool efi = before.size() >= 4 && before.substr(before.size() - 4) == "efi:";
      bool boundary = before.empty() || before.back() == ']' || before.back() == ':' || efi;
      if (boundary) {
        *index = n;
        *efi_prefixed = efi;
        SkipSpaces(&r);
        *rest = r;
        return true;
      }
    }
    at = line.find("mem", at + 1);
  }
  return false;
}

// "range=[0xA-0xB)" or "...]"; fills base and size.
bool ParseRange(std::string_view* s, uint64_t* base, uint64_t* size, std::string* why) {
  uint64_t first = 0, end = 0;
  if (!ConsumePrefix(s, "range=[") || !ConsumeHex0x(s, &first) || !ConsumeChar(s, '-') ||
      !ConsumeHex0x(s, &end) || s->empty() || (s->front() != ')' && s->front() != ']')) {
    *why = "expected \"range=[0xSTART-0xEND)\" or \"range=[0xSTART-0xEND]\", got " + Quote(*s);
    return false;
  }
  bool inclusive = s->front() == ']';
  s->remove_prefix(1);
  if (inclusive) {
    if (!InclusiveSize(first, end, size)) {
      *why = "end " + Hex(end) + " is below start " + Hex(first);
      return false;
    }
  } else {
    if (end <= first) {
      *why = "end " + Hex(end) + " is not above start " + Hex(first);
      return false;
    }
    *size = end - first;
  }
  *base = first;
  return true;
}

// "[Conventional|   |WB|WT|WC|UC]" after the index.
bool ParseBracketed(std::string_view* s, map::EfiDescriptor* d, std::string* why) {
  ConsumeChar(s, '[');
  size_t close = s->find(']');
  if (close == std::string_view::npos) {
    *why = "expected \"]\" closing the type and attribute columns";
    return false;
  }
  std::string_view cols = s->substr(0, close);
  s->remove_prefix(close + 1);
  size_t bar = cols.find('|');
  std::string_view name = Trim(cols.substr(0, bar));
  cols = bar == std::string_view::npos ? std::string_view() : cols.substr(bar + 1);
  std::string_view num = name;
  uint64_t v = 0;
  if (ConsumePrefix(&num, "type=")) {
    if (!ConsumeDec(&num, &v) || !num.empty() || v > UINT32_MAX) {
      *why = "expected \"type=N\" with a 32-bit N, got " + Quote(name);
      return false;
    }
    d->type = static_cast<uint32_t>(v);
  } else {
    std::string folded = Fold(name);
    bool known = false;
    for (const NamedEfiType& n : kEfiNames) {
      if (folded == n.name) {
        d->type = static_cast<uint32_t>(n.type);
        known = true;
        break;
      }
    }
    if (!known) {
      *why = "expected an EFI memory type name (Conventional, Boot Data, Runtime Code, ...), got " +
             Quote(name);
      return false;
    }
  }
  d->attributes = 0;
  while (!cols.empty() || bar != std::string_view::npos) {
    size_t next = cols.find('|');
    std::string_view col = Trim(cols.substr(0, next));
    if (ConsumePrefix(&col, "attr=")) {
      if (!ParseHexAll(col, &v)) {
        *why = "expected \"attr=0xHEX\", got " + Quote(col);
        return false;
      }
      d->attributes |= v;
    } else if (!col.empty()) {
      bool known = false;
      for (const NamedAttr& a : kAttrColumns) {
        if (col == a.name) {
          d->attributes |= a.bit;
          known = true;
          break;
        }
      }
      if (!known) {
        *why = "expected an attribute column (RUN, MR, CC, SP, NV, XP, RP, WP, RO, UCE, WB, WT, WC, "
               "UC), got " + Quote(col);
        return false;
      }
    }
    if (next == std::string_view::npos) break;
    cols.remove_prefix(next + 1);
  }
  return true;
}

// "type=N, attr=0xHEX," (Linux 2.6).
bool ParseNumeric(std::string_view* s, map::EfiDescriptor* d, std::string* why) {
  uint64_t type = 0, attributes = 0;
  bool ok = ConsumePrefix(s, "type=") && ConsumeDec(s, &type) && type <= UINT32_MAX &&
            ConsumeChar(s, ',');
  SkipSpaces(s);
  ok = ok && ConsumePrefix(s, "attr=") && ConsumeHex0x(s, &attributes) && ConsumeChar(s, ',');
  if (!ok) {
    *why = "expected \"type=N, attr=0xHEX, range=[...)\", got " + Quote(*s);
    return false;
  }
  d->type = static_cast<uint32_t>(type);
  d->attributes = attributes;
  return true;
}

}  // namespace

void ClassifyEfiDebug(std::string_view line, Line* out) {
  out->table = Table::kEfi;
  uint64_t index = 0;
  bool efi_prefixed = false;
  std::string_view rest;
  if (!FindMemIndex(line, &index, &efi_prefixed, &rest)) return;
  bool bracketed = !rest.empty() && rest.front() == '[';
  bool numeric = rest.substr(0, 5) == "type=";
  if (!efi_prefixed && !numeric) return;  // some other "memN:" message
  map::EfiDescriptor d;
  std::string why;
  if (bracketed) {
    if (!ParseBracketed(&rest, &d, &why)) return out->Error(why);
  } else if (numeric) {
    if (!ParseNumeric(&rest, &d, &why)) return out->Error(why);
  } else {
    return out->Error("expected \"[Type|attributes]\" or \"type=N, attr=0xHEX\" after mem" +
                      std::to_string(index) + ":, got " + Quote(rest));
  }
  SkipSpaces(&rest);
  uint64_t size = 0;
  if (!ParseRange(&rest, &d.base, &size, &why)) return out->Error(why);
  // UEFI 2.10 7.2: descriptors cover whole 4 KiB pages.
  if (d.base % map::kPageSize != 0 || size % map::kPageSize != 0) {
    return out->Error("range " + Hex(d.base) + "+" + Hex(size) +
                      " is not whole 4 KiB pages (UEFI 2.10 7.2)");
  }
  d.pages = size / map::kPageSize;
  SkipSpaces(&rest);
  if (ConsumeChar(&rest, '(')) {
    uint64_t mb = 0;
    if (!ConsumeDec(&rest, &mb) || !ConsumePrefix(&rest, "MB)")) {
      return out->Error("expected \"(NMB)\" after the range, got " + Quote(rest));
    }
    uint64_t expect = d.pages >> 8;  // whole MiB, as Linux prints num_pages >> 8
    if (mb != expect) {
      out->text = "(" + std::to_string(mb) + "MB) disagrees with the range, which is " +
                  std::to_string(expect) + " MiB (" + std::to_string(d.pages) + " pages)";
    }
  }
  if (!Trim(rest).empty()) return out->Error("unexpected text after the range: " + Quote(rest));
  out->efi = d;
  out->has_index = true;
  out->index = index;
  out->kind = LineKind::kEntry;
}

}  // namespace bootmap::importer
