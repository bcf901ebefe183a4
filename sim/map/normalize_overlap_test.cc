// Overlap rules of normalisation: OverlapRule::kLinux (Linux's e820__update_table, the
// higher E820 type number wins) and the default kind priority. Every expected winner is
// written out by hand here, never computed with KindPriority or KindOfE820.
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sim/map/normalize.h"
#include "sim/map/normalize_test_util.h"

namespace bootmap::map {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint32_t kSoft = 0xefffffff;  // E820_TYPE_SOFT_RESERVED
constexpr uint32_t kUnknown = 20;       // no E820 type has this number
const NormalizeOptions kLinux{.overlap = OverlapRule::kLinux};

using K = RegionKind;

using testing::E820Map;
using testing::Has;

// The kind of each E820 type under test (maps/SCHEMA.md, "The kernel's view").
struct Named {
  uint32_t type;
  RegionKind kind;
};
constexpr Named kTypes[] = {
    {1, K::kUsable},      {2, K::kReserved},    {3, K::kAcpiReclaim}, {4, K::kAcpiNvs},
    {5, K::kUnusable},    {7, K::kPersistent},  {12, K::kPersistent}, {kSoft, K::kSoftReserved},
    {kUnknown, K::kReserved},
};

RegionKind KindOf(uint32_t type) {
  for (const Named& n : kTypes)
    if (n.type == type) return n.kind;
  ADD_FAILURE() << "type " << type << " is not in kTypes";
  return K::kReserved;
}

// Every pair of the types above and the type Linux keeps where they overlap: the larger
// number ("larger value takes precedence", arch/x86/kernel/e820.c e820__update_table).
struct Pair {
  uint32_t a, b, winner;
};
constexpr Pair kPairs[] = {
    {1, 2, 2},         {1, 3, 3},         {1, 4, 4},         {1, 5, 5},
    {1, 7, 7},         {1, 12, 12},       {1, kSoft, kSoft}, {1, kUnknown, kUnknown},
    {2, 3, 3},         {2, 4, 4},         {2, 5, 5},         {2, 7, 7},
    {2, 12, 12},       {2, kSoft, kSoft}, {2, kUnknown, kUnknown},
    {3, 4, 4},         {3, 5, 5},         {3, 7, 7},         {3, 12, 12},
    {3, kSoft, kSoft}, {3, kUnknown, kUnknown},
    {4, 5, 5},         {4, 7, 7},         {4, 12, 12},       {4, kSoft, kSoft},
    {4, kUnknown, kUnknown},
    {5, 7, 7},         {5, 12, 12},       {5, kSoft, kSoft}, {5, kUnknown, kUnknown},
    {7, 12, 12},       {7, kSoft, kSoft}, {7, kUnknown, kUnknown},
    {12, kSoft, kSoft}, {12, kUnknown, kUnknown},
    {kSoft, kUnknown, kSoft},
};
static_assert(std::size(kPairs) == 9 * 8 / 2, "every pair of the nine types");

// `lower` covers [0, 4) MiB, `upper` [2, 6) MiB; `winner` takes [2, 4) MiB.
std::vector<Region> Staggered(uint32_t lower, uint32_t upper, uint32_t winner) {
  if (KindOf(lower) == KindOf(upper)) return {{0, 6 * kMiB, KindOf(lower), 0}};
  const uint64_t split = winner == lower ? 4 * kMiB : 2 * kMiB;
  return {{0, split, KindOf(lower), 0}, {split, 6 * kMiB - split, KindOf(upper), 0}};
}

// Each pair, each type on either side, each listing order: the higher number wins.
TEST(NormalizeLinux, HigherTypeNumberWinsEveryPair) {
  for (const Pair& p : kPairs) {
    for (auto [lower, upper] : {std::pair{p.a, p.b}, std::pair{p.b, p.a}}) {
      const E820Entry lo{0, 4 * kMiB, lower}, up{2 * kMiB, 4 * kMiB, upper};
      for (const auto& entries : {std::vector{lo, up}, std::vector{up, lo}}) {
        SCOPED_TRACE(std::to_string(entries[0].type) + " listed before " + std::to_string(entries[1].type));
        NormalizedMap n = Normalize(E820Map(entries), kLinux);
        EXPECT_EQ(n.regions, Staggered(lower, upper, p.winner));
        EXPECT_TRUE(Has(n, KindOf(lower) == KindOf(upper) ? ChangeKind::kMerged : ChangeKind::kOverlapResolved));
      }
    }
  }
}

// Two entries over the same range: the winner takes all of it, whichever is listed first.
TEST(NormalizeLinux, SameRangeGoesToHigherTypeInEitherOrder) {
  for (const Pair& p : kPairs) {
    for (auto [first, second] : {std::pair{p.a, p.b}, std::pair{p.b, p.a}}) {
      SCOPED_TRACE(std::to_string(first) + " listed before " + std::to_string(second));
      NormalizedMap n = Normalize(E820Map({{0, 4 * kMiB, first}, {0, 4 * kMiB, second}}), kLinux);
      EXPECT_EQ(n.regions, (std::vector<Region>{{0, 4 * kMiB, KindOf(p.winner), 0}}));
    }
  }
}

// Where the rules differ: the default order lets reserved beat ACPI and persistent, and
// unusable beat soft-reserved; Linux lets the higher number win.
TEST(NormalizeLinux, DiffersFromDefaultWhereDocumented) {
  struct Case {
    uint32_t a, b;
    RegionKind by_default, by_linux;
  };
  const Case cases[] = {
      {2, 3, K::kReserved, K::kAcpiReclaim},
      {2, 7, K::kReserved, K::kPersistent},
      {5, kSoft, K::kUnusable, K::kSoftReserved},
      {4, 5, K::kUnusable, K::kUnusable},
  };
  for (const Case& c : cases) {
    const MemoryMap m = E820Map({{0, 4 * kMiB, c.a}, {0, 4 * kMiB, c.b}});
    EXPECT_EQ(Normalize(m).regions[0].kind, c.by_default) << c.a << " vs " << c.b;
    EXPECT_EQ(Normalize(m, kLinux).regions[0].kind, c.by_linux) << c.a << " vs " << c.b;
  }
}

// Unknown numbers compare as numbers: 0xf0000000 (reserved) beats 0xefffffff.
TEST(NormalizeLinux, UnknownTypesRankByNumber) {
  NormalizedMap n = Normalize(E820Map({{0, 4 * kMiB, kSoft}, {2 * kMiB, 4 * kMiB, 0xf0000000}}), kLinux);
  EXPECT_EQ(n.regions, (std::vector<Region>{{0, 2 * kMiB, K::kSoftReserved, 0}, {2 * kMiB, 4 * kMiB, K::kReserved, 0}}));
  n = Normalize(E820Map({{0, 4 * kMiB, 6}, {2 * kMiB, 4 * kMiB, 5}}), kLinux);  // 6: unknown, reserved
  EXPECT_EQ(n.regions, (std::vector<Region>{{0, 4 * kMiB, K::kReserved, 0}, {4 * kMiB, 2 * kMiB, K::kUnusable, 0}}));
}

// Type 0 is e820__update_table's "no entry": it never wins and alone it leaves a gap.
TEST(NormalizeLinux, TypeZeroVanishes) {
  NormalizedMap n =
      Normalize(E820Map({{0, 4 * kMiB, 1}, {2 * kMiB, 4 * kMiB, 0}, {8 * kMiB, kMiB, 0}}), kLinux);
  EXPECT_EQ(n.regions, (std::vector<Region>{{0, 4 * kMiB, K::kUsable, 0}}));
  int dropped = 0;
  for (const Change& c : n.changes) dropped += c.kind == ChangeKind::kDropped;
  EXPECT_EQ(dropped, 2);
  // A one-entry table is left alone by Linux, and the default mode keeps type 0 as reserved.
  EXPECT_EQ(Normalize(E820Map({{0, kMiB, 0}}), kLinux).regions,
            (std::vector<Region>{{0, kMiB, K::kReserved, 0}}));
  EXPECT_EQ(Normalize(E820Map({{0, kMiB, 1}, {0, kMiB, 0}})).regions,
            (std::vector<Region>{{0, kMiB, K::kReserved, 0}}));
}

// A clean map is unchanged in linux mode too, and reports nothing.
TEST(NormalizeLinux, CleanMapUnchanged) {
  NormalizedMap n = Normalize(E820Map({{0, 0x9f000, 1}, {0x100000, 0x1000000, 1}, {0xfee00000, 0x1000, 2}}), kLinux);
  EXPECT_EQ(n.regions.size(), 3u);
  EXPECT_TRUE(n.changes.empty());
}

// EFI maps keep the default order in linux mode, and say so when an overlap was resolved.
TEST(NormalizeLinux, EfiFallsBackToKindPriority) {
  MemoryMap m;
  m.efi = {{0, 0, 1024, 0, 0}, {14, 0x200000, 1024, 0, 0}};  // reserved [0, 4M), persistent [2M, 6M)
  NormalizedMap n = Normalize(m, kLinux);
  EXPECT_EQ(n.regions, (std::vector<Region>{{0, 4 * kMiB, K::kReserved, 0}, {4 * kMiB, 2 * kMiB, K::kPersistent, 0}}));
  EXPECT_NE(n.changes.back().message.find("applies to e820 maps only"), std::string::npos) << n.changes.back().message;
  m.efi = {{7, 0, 256, 0, 0}, {0, 0x100000, 256, 0, 0}};
  EXPECT_TRUE(Normalize(m, kLinux).changes.empty());
}

// maps/SCHEMA.md "Normalisation" step 4, highest priority first, copied from there.
constexpr RegionKind kDocumentedOrder[] = {
    K::kUnusable,    K::kReserved,    K::kMmio,        K::kMmioPort,    K::kUnaccepted,
    K::kSoftReserved, K::kAcpiNvs,    K::kRuntimeCode, K::kRuntimeData, K::kAcpiReclaim,
    K::kPersistent,  K::kLoader,      K::kBootServices, K::kUsable,
};
static_assert(std::size(kDocumentedOrder) == kRegionKindCount, "every kind is ranked");

// A descriptor of each kind, [base, base + 4 MiB), stated by hand (UEFI 2.10 Table 7-5).
EfiDescriptor DescriptorOf(RegionKind k, uint64_t base) {
  struct Row {
    RegionKind kind;
    uint32_t type;
    uint64_t attributes;
  };
  constexpr Row kRows[] = {
      {K::kUsable, 7, 0},       {K::kBootServices, 3, 0}, {K::kLoader, 1, 0},
      {K::kRuntimeCode, 5, 0},  {K::kRuntimeData, 6, 0},  {K::kAcpiReclaim, 9, 0},
      {K::kAcpiNvs, 10, 0},     {K::kPersistent, 14, 0},  {K::kMmio, 11, 0},
      {K::kMmioPort, 12, 0},    {K::kSoftReserved, 7, efi_attr::kSP}, {K::kUnaccepted, 15, 0},
      {K::kUnusable, 8, 0},     {K::kReserved, 0, 0},
  };
  for (const Row& r : kRows)
    if (r.kind == k) return {r.type, base, 4 * kMiB / kPageSize, 0, r.attributes};
  ADD_FAILURE() << "no descriptor for kind " << RegionKindName(k);
  return {};
}

std::vector<std::tuple<uint64_t, uint64_t, RegionKind>> Spans(const NormalizedMap& n) {
  std::vector<std::tuple<uint64_t, uint64_t, RegionKind>> out;
  for (const Region& r : n.regions) out.emplace_back(r.base, r.size, r.kind);
  return out;
}

// The default priority decreases along the documented order.
TEST(NormalizeDefault, KindPriorityIsTheDocumentedOrder) {
  for (size_t i = 1; i < std::size(kDocumentedOrder); ++i)
    EXPECT_GT(KindPriority(kDocumentedOrder[i - 1]), KindPriority(kDocumentedOrder[i]))
        << RegionKindName(kDocumentedOrder[i - 1]) << " vs " << RegionKindName(kDocumentedOrder[i]);
}

// For every pair of kinds, the one earlier in the documented order takes the overlap,
// on either side and in either listing order.
TEST(NormalizeDefault, OverlapFollowsTheDocumentedOrder) {
  using Spans3 = std::vector<std::tuple<uint64_t, uint64_t, RegionKind>>;
  for (size_t w = 0; w < std::size(kDocumentedOrder); ++w) {
    for (size_t l = w + 1; l < std::size(kDocumentedOrder); ++l) {
      const RegionKind win = kDocumentedOrder[w], lose = kDocumentedOrder[l];
      SCOPED_TRACE(std::string(RegionKindName(win)) + " over " + std::string(RegionKindName(lose)));
      MemoryMap m;
      m.efi = {DescriptorOf(win, 0), DescriptorOf(lose, 2 * kMiB)};  // winner below
      EXPECT_EQ(Spans(Normalize(m)), (Spans3{{0, 4 * kMiB, win}, {4 * kMiB, 2 * kMiB, lose}}));
      std::swap(m.efi[0], m.efi[1]);
      EXPECT_EQ(Spans(Normalize(m)), (Spans3{{0, 4 * kMiB, win}, {4 * kMiB, 2 * kMiB, lose}}));
      m.efi = {DescriptorOf(lose, 0), DescriptorOf(win, 2 * kMiB)};  // winner above
      EXPECT_EQ(Spans(Normalize(m)), (Spans3{{0, 2 * kMiB, lose}, {2 * kMiB, 4 * kMiB, win}}));
      std::swap(m.efi[0], m.efi[1]);
      EXPECT_EQ(Spans(Normalize(m)), (Spans3{{0, 2 * kMiB, lose}, {2 * kMiB, 4 * kMiB, win}}));
    }
  }
}

}  // namespace
}  // namespace bootmap::map
