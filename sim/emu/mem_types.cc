#include "sim/emu/mem_types.h"

#include <algorithm>
#include <bit>

#include "sim/emu/bits.h"

namespace bootmap::emu {
namespace {

using M = MemType;
constexpr uint64_t k1MiB = uint64_t{1} << 20;

// Variable-range match, SDM Vol. 3A 12.11.3: (PhysMask & pa) == (PhysMask & PhysBase),
// with PhysMask covering bits MAXPHYADDR-1:12.
uint64_t PhysMask(const map::MtrrVariable& v, uint8_t maxphyaddr) {
  return v.mask & bits::Range(std::min<int>(maxphyaddr, 64) - 1, 12);
}
bool Matches(const map::MtrrVariable& v, uint64_t pa, uint8_t maxphyaddr) {
  uint64_t m = PhysMask(v, maxphyaddr);
  return (pa & m) == (v.base & m);
}

}  // namespace

bool PatValid(uint64_t pat) {
  for (int i = 0; i < 8; ++i) {
    uint8_t byte = static_cast<uint8_t>(pat >> (8 * i));
    MemType t;
    if ((byte & ~uint8_t{7}) != 0 || !DecodeMemType(byte, true, &t)) return false;
  }
  return true;
}

MemType EffectiveMemType(MemType pat, MemType mtrr) {
  // SDM Vol. 3A Table 12-7, rows by MTRR type; columns by PAT type.
  if (pat == M::kUC) return M::kUC;
  if (pat == M::kWC) return M::kWC;
  switch (mtrr) {
    case M::kUC:
    case M::kUCMinus:  // not an MTRR encoding; treated as UC
      return M::kUC;
    case M::kWC:
      return (pat == M::kUCMinus || pat == M::kWB) ? M::kWC : M::kUC;  // WT, WP -> UC
    case M::kWT:
      if (pat == M::kUCMinus) return M::kUC;
      return pat == M::kWP ? M::kWP : M::kWT;  // WT, WB -> WT
    case M::kWB:
      return pat == M::kUCMinus ? M::kUC : pat;  // WT, WB, WP unchanged
    case M::kWP:
      if (pat == M::kUCMinus) return M::kWC;
      return pat == M::kWT ? M::kWT : M::kWP;  // WB, WP -> WP
  }
  return M::kUC;
}

MtrrType MtrrTypeAt(const map::Mtrrs& mtrrs, uint64_t pa, uint8_t maxphyaddr) {
  if (pa < k1MiB && !mtrrs.fixed_known) return {M::kWB, false, true};
  if (pa < k1MiB && !mtrrs.fixed.empty()) {
    for (const map::MtrrRange& r : mtrrs.fixed) {
      if (pa >= r.base && pa - r.base < r.size) return {r.type, false};
    }
  }
  bool any = false, uc = false, mixed = false, only_wt_wb = true;
  MemType first = M::kUC;
  for (const map::MtrrVariable& v : mtrrs.variable) {
    if (!Matches(v, pa, maxphyaddr)) continue;
    if (!any) first = v.type;
    any = true;
    uc |= v.type == M::kUC;
    mixed |= v.type != first;
    only_wt_wb &= v.type == M::kWT || v.type == M::kWB;
  }
  if (!any) return {mtrrs.default_type, false, !mtrrs.default_known};
  if (uc) return {M::kUC, false};        // 12.11.4.1: UC takes precedence
  if (!mixed) return {first, false};     // all the same type
  if (only_wt_wb) return {M::kWT, false};  // WT and WB -> WT
  return {M::kUC, true};  // undefined combination
}

MtrrRangeType MtrrTypeOfRange(const map::Mtrrs& mtrrs, uint64_t pa, uint64_t len, uint8_t maxphyaddr) {
  MtrrRangeType out;
  MtrrType at = MtrrTypeAt(mtrrs, pa, maxphyaddr);
  out.type = at.type;
  out.conflict = at.conflict;
  if (len == 0) return out;
  uint64_t last = pa + (len - 1);  // inclusive, so a range ending at 2^64 works
  if (last < pa) last = ~uint64_t{0};
  uint64_t cur = pa;
  // The type can only change where some range's match status changes: fixed-range edges,
  // 1 MiB, and multiples of 2^(lowest mask bit) for each variable range.
  while (true) {
    uint64_t next = ~uint64_t{0};
    auto consider = [&](uint64_t b) {
      if (b > cur && b < next) next = b;
    };
    if ((!mtrrs.fixed.empty() || !mtrrs.fixed_known) && cur < k1MiB) {
      consider(k1MiB);
      for (const map::MtrrRange& r : mtrrs.fixed) {
        consider(r.base);
        consider(r.base + r.size);
      }
    }
    for (const map::MtrrVariable& v : mtrrs.variable) {
      uint64_t m = PhysMask(v, maxphyaddr);
      if (m == 0) continue;
      uint64_t granule = m & (~m + 1);
      uint64_t b = (cur | (granule - 1)) + 1;
      if (b != 0) consider(b);
    }
    if (next == ~uint64_t{0} || next > last) return out;
    cur = next;
    MtrrType t = MtrrTypeAt(mtrrs, cur, maxphyaddr);
    out.conflict |= t.conflict;
    if (t.type != out.type || t.conflict != at.conflict) {
      out.uniform = false;
      out.first_change = cur;
      return out;
    }
  }
}

bool FindPageSpanningMtrrTypes(const map::Mtrrs& mtrrs, uint64_t pa, uint64_t len, uint64_t page_size,
                               uint8_t maxphyaddr, uint64_t* page) {
  uint64_t cur = pa, left = len;
  while (left > 0) {
    MtrrRangeType r = MtrrTypeOfRange(mtrrs, cur, left, maxphyaddr);
    if (r.uniform) return false;
    if (r.first_change % page_size != 0) {
      *page = r.first_change & ~(page_size - 1);
      return true;
    }
    left -= r.first_change - cur;
    cur = r.first_change;
  }
  return false;
}

}  // namespace bootmap::emu
