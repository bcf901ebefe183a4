// Memory types: PAT (SDM Vol. 3A 12.12), MTRRs (12.11) and their combination (12.5.2.2).
#pragma once
#include <array>
#include <cstdint>

#include "sim/map/mem_type.h"
#include "sim/map/memory_map.h"

namespace bootmap::emu {

// IA32_PAT holds PA0..PA7, one byte each, type in bits 2:0 (SDM Vol. 3A 12.12.2).
constexpr uint64_t MakePat(const std::array<MemType, 8>& entries) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(entries[i])} << (8 * i);
  return v;
}
// Power-on IA32_PAT, SDM Vol. 3A 12.12.4 Table 12-12.
inline constexpr uint64_t kPowerOnPat = MakePat({MemType::kWB, MemType::kWT, MemType::kUCMinus, MemType::kUC,
                                                 MemType::kWB, MemType::kWT, MemType::kUCMinus, MemType::kUC});
static_assert(kPowerOnPat == 0x0007040600070406ull);

// True if every PAT field is a defined encoding (Table 12-10) with bits 7:3 zero; WRMSR #GPs otherwise.
bool PatValid(uint64_t pat);
// Decodes a 3-bit memory-type encoding; false for the reserved values 2 and 3 (and 7 if !allow_uc_minus).
constexpr bool DecodeMemType(uint8_t encoding, bool allow_uc_minus, MemType* out) {
  if (encoding == 2 || encoding == 3 || encoding > 7 || (encoding == 7 && !allow_uc_minus)) return false;
  *out = static_cast<MemType>(encoding);
  return true;
}
static_assert(static_cast<uint8_t>(MemType::kWP) == 5 && static_cast<uint8_t>(MemType::kUCMinus) == 7);
// The type in PAT entry `index` (0..7); an undefined encoding reads as UC.
constexpr MemType PatEntry(uint64_t pat, int index) {
  MemType t = MemType::kUC;
  return DecodeMemType(static_cast<uint8_t>((pat >> (8 * index)) & 7), true, &t) ? t : MemType::kUC;
}

// Effective memory type of a PAT type combined with an MTRR type,
// SDM Vol. 3A 12.5.2.2 Table 12-7 "Effective Page-Level Memory Types".
MemType EffectiveMemType(MemType pat_type, MemType mtrr_type);

// MTRR type of one physical address, SDM Vol. 3A 12.11.4.1 precedence: fixed ranges below 1 MiB,
// then variable ranges (one match: its type; UC wins; WT+WB -> WT; other mixes are undefined).
struct MtrrType {
  MemType type = MemType::kUC;
  bool conflict = false;  // overlapping variable ranges whose combination the SDM leaves undefined (type: UC)
  bool assumed = false;   // an unknown default or fixed range decides: WB by assumption (map::Mtrrs)
};
MtrrType MtrrTypeAt(const map::Mtrrs& mtrrs, uint64_t pa, uint8_t maxphyaddr);

// MTRR type over [pa, pa+len): one type, or several (a large page there is undefined,
// SDM Vol. 3A 12.11.9 "Large Page Size Considerations").
struct MtrrRangeType {
  MemType type = MemType::kUC;  // type at pa
  bool uniform = true;          // one type over the whole range
  bool conflict = false;        // some address in the range has an undefined overlap
  uint64_t first_change = 0;    // if !uniform: first address whose type differs from `type`
};
MtrrRangeType MtrrTypeOfRange(const map::Mtrrs& mtrrs, uint64_t pa, uint64_t len, uint8_t maxphyaddr);

// The first page of a run [pa, pa+len) of page_size pages whose range has more than one MTRR
// type (undefined for a large page, SDM Vol. 3A 12.11.9); false if every page has one type.
// Work is proportional to the MTRR type changes inside the run, not to its pages.
bool FindPageSpanningMtrrTypes(const map::Mtrrs& mtrrs, uint64_t pa, uint64_t len, uint64_t page_size,
                               uint8_t maxphyaddr, uint64_t* page);

}  // namespace bootmap::emu
