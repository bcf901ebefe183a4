// IA-32e paging-structure entry formats, SDM Vol. 3A 4.5 (Tables 4-15 .. 4-20, Figure 4-11).
// Levels are numbered as the SDM counts them: 5 = PML5E, 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE.
#pragma once
#include <cstdint>

#include "sim/emu/bits.h"

namespace bootmap::emu::ia32e {

using bits::Bit;
using bits::Range;

inline constexpr uint64_t kP = Bit(0);
inline constexpr uint64_t kRW = Bit(1);
inline constexpr uint64_t kUS = Bit(2);
inline constexpr uint64_t kPWT = Bit(3);
inline constexpr uint64_t kPCD = Bit(4);
inline constexpr uint64_t kA = Bit(5);
inline constexpr uint64_t kD = Bit(6);       // leaves only
inline constexpr uint64_t kPS = Bit(7);      // PDPTE/PDE: page size; reserved in PML5E/PML4E
inline constexpr uint64_t kPat4k = Bit(7);   // PTE: PAT
inline constexpr uint64_t kG = Bit(8);       // leaves only
inline constexpr uint64_t kPatLarge = Bit(12);  // 1 GiB / 2 MiB leaves: PAT
inline constexpr uint64_t kXD = Bit(63);
inline constexpr uint64_t kPkey = Range(62, 59);  // leaves, with CR4.PKE or CR4.PKS
inline constexpr int kPkeyShift = 59;
inline constexpr uint64_t kAddr = Range(51, 12);  // widest address field (MAXPHYADDR 52)

inline constexpr uint64_t kCr3Pwt = Bit(3);
inline constexpr uint64_t kCr3Pcd = Bit(4);

inline constexpr int kIndexBits = 9;
inline constexpr int kEntries = 1 << kIndexBits;

// Bits 29:13 of a 1 GiB leaf and 20:13 of a 2 MiB leaf are reserved (Tables 4-17, 4-18).
inline constexpr uint64_t kRsvd1g = Range(29, 13);
inline constexpr uint64_t kRsvd2m = Range(20, 13);
static_assert(kRsvd1g == 0x3FFF'E000ull && kRsvd2m == 0x1F'E000ull);

// Physical-address bits MAXPHYADDR..51 are reserved in every entry (SDM Vol. 3A 4.5.4).
constexpr uint64_t AddrMask(int maxphyaddr) { return Range(maxphyaddr - 1, 12); }
constexpr uint64_t RsvdAbovePhys(int maxphyaddr) { return maxphyaddr >= 52 ? 0 : Range(51, maxphyaddr); }

// Reserved bits of a present entry (SDM Vol. 3A 4.5.4): `always` holds the bits reserved at every
// level (address bits >= MAXPHYADDR; XD without EFER.NXE); PS is reserved in PML5E/PML4E, and
// in PDPTEs without 1 GiB pages; large leaves reserve the address bits below their alignment.
constexpr uint64_t AlwaysReserved(int maxphyaddr, bool nxe) { return RsvdAbovePhys(maxphyaddr) | (nxe ? 0 : kXD); }
constexpr uint64_t Reserved(uint64_t always, bool page1gb, int level, uint64_t e) {
  uint64_t r = e & always;
  if (level >= 4) return r | (e & kPS);
  if (!(e & kPS) || level == 1) return r;
  if (level == 3) return r | (page1gb ? (e & kRsvd1g) : kPS);
  return r | (e & kRsvd2m);
}

// Linear-address bits translated by a level's entry: 12 + 9 * (level - 1).
constexpr int Shift(int level) { return 12 + kIndexBits * (level - 1); }
constexpr uint64_t PageSize(int level) { return uint64_t{1} << Shift(level); }
constexpr int Index(uint64_t va, int level) { return static_cast<int>(bits::Field(va, Shift(level) + 8, Shift(level))); }
static_assert(PageSize(1) == 4096 && PageSize(2) == (2u << 20) && PageSize(3) == (1ull << 30));

// Leaf base address: address field without the PAT bit and reserved low bits of large pages.
constexpr uint64_t LeafBase(uint64_t e, int level) { return e & kAddr & ~(PageSize(level) - 1); }

// PAT index (SDM Vol. 3A 12.12.3, Table 12-11): PAT*4 + PCD*2 + PWT.
constexpr int PatIndex(uint64_t e, int level) {
  uint64_t pat = level == 1 ? kPat4k : kPatLarge;
  return ((e & pat) ? 4 : 0) | ((e & kPCD) ? 2 : 0) | ((e & kPWT) ? 1 : 0);
}

}  // namespace bootmap::emu::ia32e
