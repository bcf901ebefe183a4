#include "tools/probe/mtrr.h"

#include "tools/probe/console.h"
#include "tools/probe/cpu.h"

namespace probe {
namespace {

using bootmap::MemType;
using bootmap::core::TypeRange;

constexpr uint32_t kMtrrCap = 0xfe, kMtrrDefType = 0x2ff, kPhysBase0 = 0x200;
constexpr uint32_t kFix64K = 0x250, kFix16K80 = 0x258, kFix16KA0 = 0x259, kFix4KC0 = 0x268;
constexpr uint64_t k1MiB = uint64_t{1} << 20;

// Fixed range i: its base and size (SDM Vol. 3A Table 12-9).
void FixedRange(int i, uint64_t* base, uint64_t* size) {
  if (i < 8) *base = uint64_t(i) << 16, *size = 0x10000;
  else if (i < 24) *base = 0x80000 + (uint64_t(i - 8) << 14), *size = 0x4000;
  else *base = 0xc0000 + (uint64_t(i - 24) << 12), *size = 0x1000;
}

const char* TypeName(uint8_t t) {
  switch (t) {
    case 0: return "UC";
    case 1: return "WC";
    case 4: return "WT";
    case 5: return "WP";
    case 6: return "WB";
  }
  return "UC";  // reserved encodings: treat as UC
}

struct At {
  uint8_t type;
  bool undefined;
};

// SDM Vol. 3A 12.11.4.1: fixed ranges below 1 MiB; else the variable ranges that match
// (one type; UC if any is UC; WT for WT with WB; other mixes undefined); else the default.
At TypeAt(const MtrrState& s, uint64_t phys_mask, uint64_t a) {
  if (!s.enabled) return {0, false};
  if (s.fixed_enabled && a < k1MiB) {
    for (int i = 0; i < 88; ++i) {
      uint64_t base, size;
      FixedRange(i, &base, &size);
      if (a >= base && a - base < size) return {s.fixed[i], false};
    }
  }
  int matches = 0;
  bool uc = false, wt = false, only_wt_wb = true, mixed = false;
  uint8_t t = s.default_type;
  for (int i = 0; i < s.var_count; ++i) {
    const uint64_t mask = s.var[i].mask & phys_mask;
    if ((a & mask) != (s.var[i].base & mask)) continue;
    if (matches && s.var[i].type != t) mixed = true;
    t = s.var[i].type;
    ++matches;
    uc |= t == 0;
    wt |= t == 4;
    only_wt_wb &= t == 4 || t == 6;
  }
  if (!matches) return {s.default_type, false};
  if (uc) return {0, false};
  if (!mixed) return {t, false};
  if (wt && only_wt_wb) return {4, false};
  return {0, true};
}

void InsertCut(uint64_t* cuts, int* n, int cap, uint64_t v) {
  for (int i = 0; i < *n; ++i)
    if (cuts[i] == v) return;
  if (*n == cap) return;
  int j = (*n)++;
  for (; j > 0 && cuts[j - 1] > v; --j) cuts[j] = cuts[j - 1];
  cuts[j] = v;
}

}  // namespace

void ReadMtrrs(MtrrState* s) {
  s->present = (Cpuid(1).edx >> 12) & 1;
  if (!s->present) return;
  const uint64_t cap = ReadMsr(kMtrrCap), def = ReadMsr(kMtrrDefType);
  s->enabled = (def >> 11) & 1;
  s->fixed_enabled = s->enabled && ((def >> 10) & 1) && ((cap >> 8) & 1);
  s->default_type = uint8_t(def & 0xff);
  if (s->fixed_enabled) {
    const uint32_t msrs[11] = {kFix64K, kFix16K80, kFix16KA0, kFix4KC0, kFix4KC0 + 1, kFix4KC0 + 2,
                               kFix4KC0 + 3, kFix4KC0 + 4, kFix4KC0 + 5, kFix4KC0 + 6, kFix4KC0 + 7};
    for (int m = 0; m < 11; ++m) {
      const uint64_t v = ReadMsr(msrs[m]);
      for (int b = 0; b < 8; ++b) s->fixed[m * 8 + b] = uint8_t(v >> (8 * b));
    }
  }
  const int vcnt = int(cap & 0xff) < 32 ? int(cap & 0xff) : 32;
  for (int i = 0; i < vcnt && s->enabled; ++i) {
    const uint64_t base = ReadMsr(kPhysBase0 + 2 * i), mask = ReadMsr(kPhysBase0 + 2 * i + 1);
    if (!((mask >> 11) & 1)) continue;  // PHYSMASK.V (SDM Vol. 3A 12.11.2.3)
    s->var[s->var_count++] = {base & ~uint64_t{0xfff}, mask & ~uint64_t{0xfff}, uint8_t(base & 0xff)};
  }
}

void ReportMtrrs(const MtrrState& s) {
  if (!s.present) return;
  Out("mtrr default").Word(s.enabled ? TypeName(s.default_type) : "UC").End();
  for (int i = 0; s.fixed_enabled && i < 88;) {
    uint64_t base, size, b2, s2;
    FixedRange(i, &base, &size);
    int j = i + 1;
    for (; j < 88 && s.fixed[j] == s.fixed[i]; ++j) FixedRange(j, &b2, &s2);
    FixedRange(j - 1, &b2, &s2);
    Out("mtrr-fixed").Hex(base).Hex(b2 + s2 - base).Word(TypeName(s.fixed[i])).End();
    i = j;
  }
  for (int i = 0; i < s.var_count; ++i)
    Out("mtrr-var").Hex(s.var[i].base).Hex(s.var[i].mask).Word(TypeName(s.var[i].type)).End();
}

int EffectiveTypes(const MtrrState& s, uint8_t maxphyaddr, TypeRange* out, size_t capacity) {
  if (!s.present) return 0;  // no MTRRs: no type boundaries (as a map without `mtrr`)
  const uint64_t top = uint64_t{1} << maxphyaddr, phys_mask = top - 1;
  static uint64_t cuts[2 + 1 + 2 * 88 + 2 * 32];
  int n = 0;
  const int cap = int(sizeof(cuts) / sizeof(cuts[0]));
  InsertCut(cuts, &n, cap, 0);
  InsertCut(cuts, &n, cap, top);
  if (s.fixed_enabled) {
    InsertCut(cuts, &n, cap, k1MiB);
    for (int i = 0; i < 88; ++i) {
      uint64_t base, size;
      FixedRange(i, &base, &size);
      InsertCut(cuts, &n, cap, base);
      InsertCut(cuts, &n, cap, base + size);
    }
  }
  for (int i = 0; i < s.var_count; ++i) {  // contiguous masks: [base, base + size)
    const uint64_t mask = s.var[i].mask & phys_mask;
    const uint64_t size = mask & (~mask + 1);
    InsertCut(cuts, &n, cap, s.var[i].base & mask);
    InsertCut(cuts, &n, cap, (s.var[i].base & mask) + (mask ? size : top));
  }
  int count = 0;
  At last{};
  for (int i = 0; i + 1 < n && cuts[i] < top; ++i) {
    const uint64_t end = cuts[i + 1] < top ? cuts[i + 1] : top;
    const At at = TypeAt(s, phys_mask, cuts[i]);
    if (count && at.type == last.type && at.undefined == last.undefined) {
      out[count - 1].size = end - out[count - 1].base;
    } else {
      if (size_t(count) == capacity) return -1;
      out[count++] = {cuts[i], end - cuts[i], MemType(at.type)};
    }
    last = at;
  }
  return count;
}

}  // namespace probe
