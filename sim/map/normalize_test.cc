#include "sim/map/normalize.h"

#include <gtest/gtest.h>

#include "sim/map/normalize_test_util.h"

namespace bootmap::map {
namespace {

constexpr uint64_t kMiB = 1 << 20;

using testing::E820Map;
using testing::Has;

// A clean sorted map passes through unchanged, with no changes reported.
TEST(Normalize, CleanMapUnchanged) {
  NormalizedMap n = Normalize(E820Map({{0, 0x9f000, 1}, {0x100000, 0x1000000, 1}, {0xfee00000, 0x1000, 2}}));
  ASSERT_EQ(n.regions.size(), 3u);
  EXPECT_EQ(n.regions[1], (Region{0x100000, 0x1000000, RegionKind::kUsable, 0}));
  EXPECT_TRUE(n.changes.empty());
}

// Unsorted input is sorted, and the reordering is reported.
TEST(Normalize, SortsAndReports) {
  NormalizedMap n = Normalize(E820Map({{0x100000, kMiB, 1}, {0, 0x9f000, 1}}));
  ASSERT_EQ(n.regions.size(), 2u);
  EXPECT_EQ(n.regions[0].base, 0u);
  EXPECT_TRUE(Has(n, ChangeKind::kReordered));
}

// Adjacent regions of the same kind merge into one; of different kinds they stay apart.
TEST(Normalize, MergesAdjacentEqualKinds) {
  NormalizedMap n = Normalize(E820Map({{0, kMiB, 1}, {kMiB, kMiB, 1}, {2 * kMiB, kMiB, 2}}));
  ASSERT_EQ(n.regions.size(), 2u);
  EXPECT_EQ(n.regions[0].size, 2 * kMiB);
  EXPECT_TRUE(Has(n, ChangeKind::kMerged));
}

// EFI descriptors with different attributes are not merged even when adjacent.
TEST(Normalize, EfiAttributesKeepRegionsApart) {
  MemoryMap m;
  m.efi = {{7, 0, 16, 0, efi_attr::kWB}, {7, 0x10000, 16, 0, efi_attr::kWB | efi_attr::kMoreReliable}};
  EXPECT_EQ(Normalize(m).regions.size(), 2u);
}

// For every pair of kinds, an overlap goes to the higher-priority kind and is reported.
TEST(Normalize, OverlapOfEveryKindPair) {
  const uint32_t types[] = {1, 2, 3, 4, 5, 7, e820::kSoftReserved};
  for (uint32_t a : types) {
    for (uint32_t b : types) {
      NormalizedMap n = Normalize(E820Map({{0, 4 * kMiB, a}, {2 * kMiB, 4 * kMiB, b}}));
      RegionKind ka = KindOfE820(a), kb = KindOfE820(b);
      if (ka == kb) {
        ASSERT_EQ(n.regions.size(), 1u);
        EXPECT_EQ(n.regions[0].size, 6 * kMiB);
        EXPECT_TRUE(Has(n, ChangeKind::kMerged));
        continue;
      }
      RegionKind win = KindPriority(ka) > KindPriority(kb) ? ka : kb;
      // The winner takes the overlap [2, 4) MiB and merges with its own part.
      uint64_t split = win == ka ? 4 * kMiB : 2 * kMiB;
      ASSERT_EQ(n.regions.size(), 2u) << a << " vs " << b;
      EXPECT_EQ(n.regions[0], (Region{0, split, ka, 0}));
      EXPECT_EQ(n.regions[1], (Region{split, 6 * kMiB - split, kb, 0}));
      EXPECT_TRUE(Has(n, ChangeKind::kOverlapResolved));
    }
  }
}

// A region inside another splits it into three; priority decides the middle.
TEST(Normalize, NestedOverlapSplits) {
  NormalizedMap n = Normalize(E820Map({{0, 8 * kMiB, 1}, {2 * kMiB, kMiB, 2}}));
  ASSERT_EQ(n.regions.size(), 3u);
  EXPECT_EQ(n.regions[1], (Region{2 * kMiB, kMiB, RegionKind::kReserved, 0}));
  EXPECT_EQ(n.regions[2], (Region{3 * kMiB, 5 * kMiB, RegionKind::kUsable, 0}));
}

// Usable RAM with sub-page edges shrinks to whole pages; reserved grows (QEMU's 0x9fc00 edge).
TEST(Normalize, SubPageRounding) {
  NormalizedMap n = Normalize(E820Map({{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}}));
  ASSERT_EQ(n.regions.size(), 2u);
  EXPECT_EQ(n.regions[0], (Region{0, 0x9f000, RegionKind::kUsable, 0}));
  EXPECT_EQ(n.regions[1], (Region{0x9f000, 0x1000, RegionKind::kReserved, 0}));
  EXPECT_TRUE(Has(n, ChangeKind::kRoundedInward));
  EXPECT_TRUE(Has(n, ChangeKind::kRoundedOutward));
}

// A usable entry smaller than a page after rounding is dropped, and so is an empty one.
TEST(Normalize, DropsEmptyAndSubPageRam) {
  NormalizedMap n = Normalize(E820Map({{0x1200, 0x400, 1}, {0x5000, 0, 2}, {0x10000, 0x1000, 1}}));
  ASSERT_EQ(n.regions.size(), 1u);
  int dropped = 0;
  for (const Change& c : n.changes) dropped += c.kind == ChangeKind::kDropped;
  EXPECT_EQ(dropped, 2);
}

// Rounding can be switched off: sub-page edges are then kept exactly.
TEST(Normalize, RoundingOptional) {
  NormalizedMap n = Normalize(E820Map({{0, 0x9fc00, 1}}), {.round_to_pages = false});
  EXPECT_EQ(n.regions[0].size, 0x9fc00u);
}

// A region may end exactly at 2^64 without wrapping.
TEST(Normalize, RegionEndingAt2To64) {
  NormalizedMap n = Normalize(E820Map({{0xfffffffffffff000, 0x1000, 2}, {0, 0x1000, 1}}));
  ASSERT_EQ(n.regions.size(), 2u);
  EXPECT_EQ(n.regions[1].end(), (unsigned __int128)1 << 64);
  EXPECT_EQ(ComputeTotals(n).highest_any, (unsigned __int128)1 << 64);
}

// Two halves of the whole address space of one kind cannot merge into a 2^64-byte size.
TEST(Normalize, WholeAddressSpaceDoesNotWrap) {
  NormalizedMap n = Normalize(E820Map({{0, 1ull << 63, 2}, {1ull << 63, 1ull << 63, 2}}));
  unsigned __int128 total = 0;
  for (const Region& r : n.regions) {
    EXPECT_NE(r.size, 0u);
    total += r.size;
  }
  EXPECT_EQ(total, (unsigned __int128)1 << 64);
}

// With both sections present the EFI map is used, and that choice is reported.
TEST(Normalize, EfiPreferredOverE820) {
  MemoryMap m = E820Map({{0, kMiB, 2}});
  m.efi = {{7, 0, 256, 0, efi_attr::kWB}};
  NormalizedMap n = Normalize(m);
  EXPECT_EQ(n.regions[0].kind, RegionKind::kUsable);
  EXPECT_TRUE(Has(n, ChangeKind::kSourceChosen));
}

// Many mutually overlapping entries are handled in bounded time: 100 pairs are listed,
// the rest counted in one line.
TEST(Normalize, ManyOverlapsStayBounded) {
  constexpr uint64_t kEntries = 50000;
  std::vector<E820Entry> entries;
  for (uint64_t i = 0; i < kEntries; ++i) entries.push_back({i * 0x1000, 1ull << 30, uint32_t(1 + i % 2)});
  NormalizedMap n = Normalize(E820Map(entries));
  size_t listed = 0;
  for (const Change& c : n.changes) listed += c.message.find(" overlaps /") != std::string::npos;
  EXPECT_EQ(listed, 100u);
  const uint64_t pairs = kEntries * (kEntries - 1) / 2;  // each entry overlaps every earlier one
  EXPECT_EQ(n.changes.back().message.find("and " + std::to_string(pairs - 100) + " more overlapping pairs"), 0u)
      << n.changes.back().message;
  EXPECT_FALSE(n.regions.empty());
}

// Totals count usable RAM and the highest addresses.
TEST(Normalize, Totals) {
  NormalizedMap n = Normalize(E820Map({{0, kMiB, 1}, {0x100000000, 0x100000000, 1}, {0xfd00000000, 0x300000000, 2}}));
  Totals t = ComputeTotals(n);
  EXPECT_EQ(t.usable_bytes, kMiB + 0x100000000);
  EXPECT_EQ(t.highest_usable, (unsigned __int128)0x200000000);
  EXPECT_EQ(t.highest_any, (unsigned __int128)0x10000000000);
}

}  // namespace
}  // namespace bootmap::map
