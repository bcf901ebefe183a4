#include "sim/map/normalize.h"

#include <gtest/gtest.h>

#include <random>
#include <tuple>

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

// Page by page, by brute force: the covering entry of the highest rank wins (kind
// priority, or the E820 type number under the Linux rule); among entries of that rank
// the latest-starting (then the last listed) gives the attributes. Random EFI and E820 maps over 64 pages, with
// and without overlaps; the regions never depend on whether changes are recorded.
struct PageView {
  bool mapped = false;
  RegionKind kind = RegionKind::kReserved;
  uint64_t attributes = 0;
  bool operator==(const PageView&) const = default;
};

std::vector<PageView> ExpectedPages(const MemoryMap& m, bool linux_rule) {
  std::vector<PageView> pages(64);
  std::vector<std::tuple<uint64_t, uint64_t, size_t>> best(64, {0, 0, 0});  // rank + 1, base, listing index
  const bool efi = !m.efi.empty();
  const size_t count = efi ? m.efi.size() : m.e820.size();
  for (size_t i = 0; i < count; ++i) {
    const uint64_t first = (efi ? m.efi[i].base : m.e820[i].base) / kPageSize;
    const uint64_t n = efi ? m.efi[i].pages : m.e820[i].size / kPageSize;
    const RegionKind kind = efi ? KindOfEfi(m.efi[i]) : KindOfE820(m.e820[i].type);
    const uint64_t rank = 1 + (linux_rule && !efi ? m.e820[i].type : uint64_t(KindPriority(kind)));
    for (uint64_t p = first; p < first + n; ++p) {
      if (std::make_tuple(rank, first, i) < best[p]) continue;
      best[p] = {rank, first, i};
      pages[p] = {true, kind, efi ? m.efi[i].attributes : 0};
    }
  }
  return pages;
}

std::vector<PageView> PagesOf(const std::vector<Region>& regions) {
  std::vector<PageView> pages(64);
  for (const Region& r : regions)
    for (uint64_t p = r.base / kPageSize; p < r.end() / kPageSize; ++p) pages.at(p) = {true, r.kind, r.efi_attributes};
  return pages;
}

TEST(Normalize, MatchesPageByPageReference) {
  std::mt19937_64 rng(17);
  const uint32_t e820_types[] = {1, 2, 3, 4, 5, 7, 12, 20};
  const uint32_t efi_types[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 14};
  const uint64_t attributes[] = {efi_attr::kWB, efi_attr::kWB | efi_attr::kRuntime, 0};
  for (int round = 0; round < 2000; ++round) {
    MemoryMap m;
    const size_t entries = 1 + rng() % 12;
    const bool efi = round % 2 == 1;
    uint64_t next = 0;
    for (size_t i = 0; i < entries; ++i) {
      const bool disjoint = round % 4 < 2;  // half the maps take the no-overlap path
      const uint64_t first = disjoint ? next + rng() % 3 : rng() % 60;
      const uint64_t pages = 1 + rng() % (disjoint ? 4 : 12);
      if (first + pages > 64) break;
      next = first + pages;
      if (efi) m.efi.push_back({efi_types[rng() % 11], first * kPageSize, pages, 0, attributes[rng() % 3]});
      else m.e820.push_back({first * kPageSize, pages * kPageSize, e820_types[rng() % 8]});
    }
    for (bool linux_rule : {false, true}) {
      const NormalizeOptions options{.overlap = linux_rule ? OverlapRule::kLinux : OverlapRule::kKindPriority};
      const NormalizedMap n = Normalize(m, options);
      ASSERT_EQ(PagesOf(n.regions), ExpectedPages(m, linux_rule)) << "round " << round;
      ASSERT_EQ(NormalizedRegions(m, options), n.regions) << "round " << round;
      for (size_t i = 1; i < n.regions.size(); ++i) {  // sorted, disjoint, merged
        const Region& a = n.regions[i - 1];
        const Region& b = n.regions[i];
        ASSERT_TRUE(a.end() < b.base || (a.end() == b.base && (a.kind != b.kind || a.efi_attributes != b.efi_attributes)));
      }
    }
  }
}

// A shuffled map sorts stably, whether nearly sorted (insertion) or not (past the
// insertion budget): each page is listed twice, same base, and the later listing's
// attributes must win on every page.
TEST(Normalize, ShuffledMapsSortStably) {
  std::mt19937_64 rng(5);
  for (size_t swaps : {size_t{3}, size_t{100000}}) {
    constexpr uint64_t kPages = 3000;
    std::vector<uint64_t> order(kPages);
    for (uint64_t i = 0; i < kPages; ++i) order[i] = i;
    for (size_t k = 0; k < swaps; ++k) std::swap(order[rng() % kPages], order[rng() % kPages]);
    MemoryMap m;
    for (uint64_t page : order) {
      m.efi.push_back({7, page * 2 * kPageSize, 1, 0, efi_attr::kUC});
      m.efi.push_back({7, page * 2 * kPageSize, 1, 0, efi_attr::kWB});
    }
    const std::vector<Region> regions = NormalizedRegions(m);
    ASSERT_EQ(regions.size(), kPages) << swaps << " swaps";
    for (uint64_t i = 0; i < kPages; ++i) {
      ASSERT_EQ(regions[i], (Region{i * 2 * kPageSize, kPageSize, RegionKind::kUsable, efi_attr::kWB})) << swaps << " swaps";
    }
  }
}

// Entries starting at one address are taken in listing order: the overlap notes name
// the earlier-listed entry first, whatever the sort does with ties.
TEST(Normalize, SimultaneousStartsNotedInListingOrder) {
  NormalizedMap n = Normalize(E820Map({{0, 2 * kMiB, 2}, {0, kMiB, 1}, {0, kMiB, 4}}));
  std::vector<std::string> notes;
  for (const Change& c : n.changes)
    if (c.message.find(" overlaps ") != std::string::npos) notes.push_back(c.message.substr(0, c.message.find(" [")));
  // /e820/1 meets /e820/0; /e820/2 meets both, listed by kind (usable before reserved).
  EXPECT_EQ(notes, (std::vector<std::string>{"/e820/0 reserved", "/e820/1 usable", "/e820/0 reserved"}));
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
