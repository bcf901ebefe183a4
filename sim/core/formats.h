// Page-table entry formats, one traits type per format; the builder is generic over them.
// Freestanding.
#pragma once
#include <stdint.h>

#include "sim/core/bits.h"
#include "sim/core/kinds.h"
#include "sim/core/types.h"

namespace bootmap::core {

// Leaf permissions and memory type, as a request states them.
struct LeafAttrs {
  bool writable = false;
  bool user = false;
  bool nx = false;
  bool global = false;
  MemType type = MemType::kWB;
};

// ---- PAT: the core encodes memory types through this IA32_PAT value, which the
// embedder must load (SDM Vol. 3A 12.12.2). Same layout Linux programs.
inline constexpr MemType kPatLayout[8] = {MemType::kWB, MemType::kWC, MemType::kUCMinus,
                                         MemType::kUC, MemType::kWB, MemType::kWP,
                                         MemType::kUCMinus, MemType::kWT};
constexpr uint64_t PatMsrValue() {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(kPatLayout[i]) << (8 * i);
  return v;
}
inline constexpr uint64_t kPatMsr = PatMsrValue();
// PAT entry of each memory type: the first that holds it, else 3 (UC). A table, not a
// search: the builder encodes a type for every request.
struct PatIndexTable {
  uint8_t of[8];
};
constexpr PatIndexTable MakePatIndexTable() {
  PatIndexTable t{};
  for (unsigned v = 0; v < 8; ++v) {
    t.of[v] = 3;
    for (unsigned i = 8; i-- > 0;)
      if (uint8_t(kPatLayout[i]) == v) t.of[v] = uint8_t(i);
  }
  return t;
}
inline constexpr PatIndexTable kPatIndexOf = MakePatIndexTable();
constexpr unsigned PatIndex(MemType t) {
  const uint8_t v = uint8_t(t);
  return v < 8 ? kPatIndexOf.of[v] : 3;
}
static_assert(PatIndex(MemType::kWB) == 0 && PatIndex(MemType::kUC) == 3 && PatIndex(MemType::kWT) == 7);

// What IA-32e and EPT entries share: PS in bit 7 above level 0, and the next table's
// (or the leaf's) address in bits 51:12 (SDM Vol. 3A Figure 4-11, Vol. 3C 29.3.2).
struct EntryLayout {
  using PageSize = Bit<7>;
  using TableAddr = AddrField<51, 12>;

  static constexpr uint64_t LeafAddrMask(int level) {
    return TableAddr::kMask & ~(LevelBytes(level) - 1);
  }
  static constexpr bool IsLeaf(int level, uint64_t e) {
    return level == 0 || PageSize::Get(e) != 0;
  }
  static constexpr uint64_t TableAddress(uint64_t e) { return TableAddr::Get(e); }
  static constexpr uint64_t LeafAddress(int level, uint64_t e) { return e & LeafAddrMask(level); }
  // Same leaf but for the bits the CPU sets (`cpu_owned`: the format's A/D bits).
  static constexpr bool SameLeaf(uint64_t a, uint64_t b, uint64_t cpu_owned) {
    return ((a ^ b) & ~cpu_owned) == 0;
  }
};

// ---- IA-32e entries. SDM Vol. 3A 4.5, Figure 4-11 (formats of paging-structure
// entries with 4-level and 5-level paging). Bit 7 is PS above level 0 and PAT at level 0;
// bit 12 is PAT in a 2 MiB / 1 GiB leaf and an address bit elsewhere.
struct X86Entry : EntryLayout {
  using Present = Bit<0>;
  using Writable = Bit<1>;
  using User = Bit<2>;
  using Pwt = Bit<3>;
  using Pcd = Bit<4>;
  using Accessed = Bit<5>;
  using Dirty = Bit<6>;
  using PatPte = Bit<7>;  // level 0 (PageSize above it)
  using Global = Bit<8>;
  using PatLarge = Bit<12>;
  using ExecuteDisable = Bit<63>;

  // Set by the CPU on access and write (SDM Vol. 3A 4.8); "same mapping" ignores them.
  static constexpr uint64_t kAccessedDirty = Accessed::kMask | Dirty::kMask;

  static constexpr bool IsPresent(uint64_t e) { return Present::Get(e) != 0; }
  // SDM Vol. 3A 4.6: access needs R/W and U/S set, and XD clear, in every entry on the
  // path. True if the non-leaf `upper` allows what `leaf` grants.
  static constexpr bool PathAllows(uint64_t upper, uint64_t leaf) {
    constexpr uint64_t kGrants = Writable::kMask | User::kMask;
    return (leaf & kGrants & ~upper) == 0 && (ExecuteDisable::Get(upper) <= ExecuteDisable::Get(leaf));
  }
  // Non-leaf entries grant everything; the leaf decides (SDM Vol. 3A 4.6).
  static constexpr uint64_t Table(uint64_t pa) {
    return Present::kMask | Writable::kMask | User::kMask | TableAddr::Get(pa);
  }
  // Everything of a leaf but its address.
  static constexpr uint64_t LeafBits(int level, const LeafAttrs& a, bool nx_supported) {
    const unsigned pat = PatIndex(a.type);
    uint64_t e = Present::kMask | Writable::Make(a.writable) | User::Make(a.user) |
                 Global::Make(a.global) | Pwt::Make(pat & 1) | Pcd::Make((pat >> 1) & 1);
    if (level == 0) {
      e |= PatPte::Make(pat >> 2);
    } else {
      e |= PageSize::kMask | PatLarge::Make(pat >> 2);
    }
    if (nx_supported) e |= ExecuteDisable::Make(a.nx);
    return e;
  }
};
static_assert(X86Entry::TableAddr::kMask == 0x000f'ffff'ffff'f000ull);
static_assert(X86Entry::LeafAddrMask(kLevel1G) == 0x000f'ffff'c000'0000ull);
// Bytes 0..7: WB WC UC- UC WB WP UC- WT.
static_assert(kPatMsr == 0x0407'0506'0007'0106ull);

// ---- EPT entries. SDM Vol. 3C 29.3.2, Tables 29-2..29-7.
struct EptEntry : EntryLayout {
  using Read = Bit<0>;
  using Write = Bit<1>;
  using Execute = Bit<2>;
  using RwxBits = Field<2, 0>;
  using MemoryType = Field<5, 3>;  // leaves only
  using IgnorePat = Bit<6>;
  using Accessed = Bit<8>;  // SDM Vol. 3C 29.3.5: set by the CPU if EPTP[6] enables A/D,
  using Dirty = Bit<9>;     // ignored otherwise
  static constexpr uint64_t kAccessedDirty = Accessed::kMask | Dirty::kMask;

  // An entry with bits 2:0 clear is not present (SDM Vol. 3C 29.3.2).
  static constexpr bool IsPresent(uint64_t e) { return RwxBits::Get(e) != 0; }
  // SDM Vol. 3C 29.3.3: an access needs its R/W/X bit in every entry on the path.
  static constexpr bool PathAllows(uint64_t upper, uint64_t leaf) {
    return (leaf & RwxBits::kMask & ~upper) == 0;
  }
  static constexpr uint64_t Table(uint64_t pa) { return RwxBits::kMask | TableAddr::Get(pa); }
  // EPT has no UC-; UC is the nearest (SDM Vol. 3C 29.3.7). user/global do not exist.
  static constexpr uint64_t LeafBits(int level, const LeafAttrs& a, bool /*nx_supported*/) {
    const MemType t = a.type == MemType::kUCMinus ? MemType::kUC : a.type;
    uint64_t e = Read::kMask | Write::Make(a.writable) | Execute::Make(!a.nx) |
                 MemoryType::Make(uint64_t(t));
    if (level != 0) e |= PageSize::kMask;
    return e;
  }
};
static_assert(EptEntry::MemoryType::kMask == 0x38);

// ---- Traits: one per format.
template <int Levels, int VaBits, bool Ept, class E>
struct PagingTraits {
  static constexpr int kLevels = Levels;        // root is level kLevels - 1
  static constexpr int kVaBits = VaBits;        // linear / guest-physical width
  static constexpr bool kEpt = Ept;             // no canonical halves
  using Entry = E;
};
using X86Paging4 = PagingTraits<4, 48, false, X86Entry>;
using X86Paging5 = PagingTraits<5, 57, false, X86Entry>;
using EptPaging4 = PagingTraits<4, 48, true, EptEntry>;
using EptPaging5 = PagingTraits<5, 57, true, EptEntry>;

}  // namespace bootmap::core
