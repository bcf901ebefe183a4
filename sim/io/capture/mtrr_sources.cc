// MTRRs from the MSRs (SDM Vol. 3A 12.11.1-12.11.3) or from /proc/mtrr.
#include <string>

#include "sim/io/capture/sources.h"
#include "sim/io/import/text_util.h"

namespace bootmap::capture {
namespace {


// SDM Vol. 3A Table 12-8: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; the rest reserved.
bool TypeOf(uint64_t encoding, MemType* t) {
  switch (encoding) {
    case 0: *t = MemType::kUC; return true;
    case 1: *t = MemType::kWC; return true;
    case 4: *t = MemType::kWT; return true;
    case 5: *t = MemType::kWP; return true;
    case 6: *t = MemType::kWB; return true;
    default: return false;
  }
}

std::string MsrName(uint32_t msr) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%x", msr);
  return b;
}

// Fixed ranges (12.11.2.2): one byte per sub-range; 0x250 covers 8 x 64 KiB from 0, 0x258 and
// 0x259 8 x 16 KiB from 0x80000 and 0xA0000, 0x268..0x26F 8 x 4 KiB each from 0xC0000.
bool DecodeFixed(const MtrrMsrs& m, const std::string& file, std::vector<map::MtrrRange>* out, std::string* error) {
  for (int i = 0; i < 11; ++i) {
    const uint64_t unit = i == 0 ? 0x10000 : i < 3 ? 0x4000 : 0x1000;
    const uint64_t start = i == 0 ? 0 : i < 3 ? 0x80000 + uint64_t(i - 1) * 0x20000 : 0xC0000 + uint64_t(i - 3) * 0x8000;
    for (int b = 0; b < 8; ++b) {
      MemType t;
      const uint64_t enc = (m.fixed[i] >> (8 * b)) & 0xff;
      if (!TypeOf(enc, &t)) {
        *error = file + ": MSR " + MsrName(kFixedMsrs[i]) + " byte " + std::to_string(b) + ": memory type " +
                 std::to_string(enc) + " is reserved (SDM Vol. 3A Table 12-8)";
        return false;
      }
      const uint64_t base = start + uint64_t(b) * unit;
      if (!out->empty() && out->back().type == t && out->back().base + out->back().size == base) {
        out->back().size += unit;
      } else {
        out->push_back({base, unit, t});
      }
    }
  }
  return true;
}

}  // namespace

bool DecodeMtrrMsrs(const MtrrMsrs& m, const std::string& file, uint8_t maxphyaddr, map::Mtrrs* out,
                    std::string* error) {
  *out = map::Mtrrs{};
  // IA32_MTRR_DEF_TYPE (12.11.2.1): bits 7:0 type, 10 FE, 11 E. E clear: every MTRR is
  // disabled and all memory is UC.
  if ((m.def_type & (1u << 11)) == 0) {
    out->default_type = MemType::kUC;
    return true;
  }
  if (!TypeOf(m.def_type & 0xff, &out->default_type)) {
    *error = file + ": MSR 0x2ff (IA32_MTRR_DEF_TYPE): default type " + std::to_string(m.def_type & 0xff) +
             " is reserved (SDM Vol. 3A Table 12-8)";
    return false;
  }
  // IA32_MTRRCAP bit 8 FIX: fixed ranges exist; DEF_TYPE bit 10 FE: they are enabled.
  if ((m.cap & (1u << 8)) && (m.def_type & (1u << 10)) && !DecodeFixed(m, file, &out->fixed, error)) return false;
  const uint64_t phys = (uint64_t{1} << maxphyaddr) - 1;
  for (size_t n = 0; n < m.variable.size(); ++n) {
    const auto [base, mask] = m.variable[n];
    if ((mask & (1u << 11)) == 0) continue;  // PHYSMASKn V: the pair is unused
    map::MtrrVariable v;
    if (!TypeOf(base & 0xff, &v.type)) {
      *error = file + ": MSR " + MsrName(0x200 + 2 * uint32_t(n)) + " (IA32_MTRR_PHYSBASE" + std::to_string(n) +
               "): memory type " + std::to_string(base & 0xff) + " is reserved (SDM Vol. 3A Table 12-8)";
      return false;
    }
    v.base = base & phys & ~uint64_t{0xfff};
    v.mask = mask & phys & ~uint64_t{0xfff};
    out->variable.push_back(v);
  }
  return true;
}

namespace {

struct NamedType {
  std::string_view name;
  MemType type;
};
// mtrr_attrib_to_str (arch/x86/kernel/cpu/mtrr/mtrr.c).
constexpr NamedType kProcTypes[] = {{"uncachable", MemType::kUC},     {"write-combining", MemType::kWC},
                                    {"write-through", MemType::kWT},  {"write-protect", MemType::kWP},
                                    {"write-back", MemType::kWB}};

// "reg00: base=0x080000000 ( 2048MB), size= 1024MB, count=1: uncachable"
bool ParseProcMtrrLine(std::string_view t, const std::string& where, uint8_t maxphyaddr, map::MtrrVariable* v,
                       std::string* error) {
  std::string_view s = t;
  uint64_t reg = 0, base = 0, n = 0;
  const auto bad = [&](const char* what) {
    *error = where + ": " + what + ", in " + importer::Quote(t);
    return false;
  };
  if (!importer::ConsumePrefix(&s, "reg") || !importer::ConsumeDec(&s, &reg) || !importer::ConsumePrefix(&s, ": base="))
    return bad("expected \"regNN: base=0xHEX (NMB), size=N[MK]B, count=N: TYPE\"");
  if (!importer::ConsumeHex0x(&s, &base)) return bad("expected a hex base of at most 64 bits");
  const size_t close = s.find("), size=");
  if (close == std::string_view::npos) return bad("expected \"(NMB), size=\"");
  s.remove_prefix(close + 8);
  importer::SkipSpaces(&s);
  if (!importer::ConsumeDec(&s, &n)) return bad("expected a decimal size of at most 64 bits");
  const int shift = importer::ConsumePrefix(&s, "MB") ? 20 : importer::ConsumePrefix(&s, "KB") ? 10 : -1;
  if (shift < 0) return bad("expected the size unit MB or KB");
  if (n == 0 || n > (~uint64_t{0} >> shift)) return bad("the size is zero or does not fit 64 bits");
  const uint64_t size = n << shift;
  const size_t colon = s.find(": ");
  if (colon == std::string_view::npos) return bad("expected \", count=N: TYPE\"");
  const std::string_view type = importer::Trim(s.substr(colon + 2));
  bool known = false;
  for (const NamedType& k : kProcTypes) {
    if (type == k.name) v->type = k.type, known = true;
  }
  if (!known) return bad("expected a type uncachable, write-combining, write-through, write-protect or write-back");
  // SDM Vol. 3A 12.11.3: a range is a power of two, its base aligned to it, below MAXPHYADDR.
  const uint64_t phys = (uint64_t{1} << maxphyaddr) - 1;
  if ((size & (size - 1)) != 0 || size < 0x1000 || (base & (size - 1)) != 0 || base > phys || size - 1 > phys)
    return bad("the range is not a power of two of at least 4 KiB, aligned, below MAXPHYADDR");
  v->base = base;
  v->mask = ~(size - 1) & phys;
  return true;
}

}  // namespace

bool ParseProcMtrr(std::string_view text, const std::string& file, uint8_t maxphyaddr,
                   std::vector<map::MtrrVariable>* out, std::string* error) {
  importer::LineReader reader(text);
  std::string_view line;
  while (reader.Next(&line)) {
    const std::string_view t = importer::Trim(line);
    if (t.empty()) continue;
    map::MtrrVariable v;
    if (!ParseProcMtrrLine(t, file + ":" + std::to_string(reader.line_no()), maxphyaddr, &v, error)) return false;
    out->push_back(v);
  }
  return true;
}

}  // namespace bootmap::capture
