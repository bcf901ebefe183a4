#include "sim/core/sort_merge.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace bootmap::core {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kAllOnes = ~uint64_t{0};

std::vector<RegionInfo> Merge(std::vector<RegionInfo> in) {
  const size_t n = in.size();
  in.resize(3 * n + 1);
  Result<size_t> r = SortAndMerge(in.data(), n, in.size());
  EXPECT_TRUE(r.ok()) << r.error.reason;
  in.resize(r.ok() ? r.value : 0);
  return in;
}

bool Same(const std::vector<RegionInfo>& a, const std::vector<RegionInfo>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].base != b[i].base || a[i].size != b[i].size || a[i].kind != b[i].kind ||
        a[i].efi_attributes != b[i].efi_attributes)
      return false;
  return true;
}

// Unsorted entries come out sorted; touching equal ones merge; empty ones go.
TEST(SortAndMerge, SortsAndMergesTouching) {
  const std::vector<RegionInfo> got = Merge({{4 * kMiB, kMiB, RegionKind::kUsable, 0},
                                             {0, kMiB, RegionKind::kUsable, 0},
                                             {9 * kMiB, 0, RegionKind::kReserved, 0},
                                             {kMiB, 3 * kMiB, RegionKind::kUsable, 0},
                                             {6 * kMiB, kMiB, RegionKind::kReserved, 0}});
  EXPECT_TRUE(Same(got, {{0, 5 * kMiB, RegionKind::kUsable, 0}, {6 * kMiB, kMiB, RegionKind::kReserved, 0}}));
}

// A reserved entry inside RAM wins there and splits the RAM in two.
TEST(SortAndMerge, ReservedInsideRamSplitsIt) {
  const std::vector<RegionInfo> got =
      Merge({{0, 8 * kMiB, RegionKind::kUsable, 0}, {2 * kMiB, kMiB, RegionKind::kReserved, 0}});
  EXPECT_TRUE(Same(got, {{0, 2 * kMiB, RegionKind::kUsable, 0},
                         {2 * kMiB, kMiB, RegionKind::kReserved, 0},
                         {3 * kMiB, 5 * kMiB, RegionKind::kUsable, 0}}));
}

// The rank order decides overlaps: usable < boot services < loader < other RAM < the rest.
TEST(SortAndMerge, OverlapRuleRanks) {
  const RegionKind order[] = {RegionKind::kUsable, RegionKind::kBootServices, RegionKind::kLoader,
                              RegionKind::kAcpiReclaim, RegionKind::kMmio};
  for (size_t lo = 0; lo < 5; ++lo)
    for (size_t hi = lo + 1; hi < 5; ++hi) {
      for (bool hi_first : {false, true}) {
        RegionInfo a{0, 2 * kMiB, order[lo], 0}, b{kMiB, 2 * kMiB, order[hi], 0};
        const std::vector<RegionInfo> got = hi_first ? Merge({b, a}) : Merge({a, b});
        EXPECT_TRUE(Same(got, {{0, kMiB, order[lo], 0}, {kMiB, 2 * kMiB, order[hi], 0}})) << lo << " " << hi;
      }
    }
  // Same kind: the entry with EFI_MEMORY_RUNTIME (larger attributes) wins.
  const uint64_t kRuntime = uint64_t{1} << 63;
  const std::vector<RegionInfo> got =
      Merge({{0, 2 * kMiB, RegionKind::kMmio, 1}, {0, kMiB, RegionKind::kMmio, kRuntime | 1}});
  EXPECT_TRUE(Same(got, {{0, kMiB, RegionKind::kMmio, kRuntime | 1}, {kMiB, kMiB, RegionKind::kMmio, 1}}));
}

// An entry ending exactly at 2^64 is fine; one running past it is named by index.
TEST(SortAndMerge, WrapIsAnErrorNamingTheEntry) {
  EXPECT_TRUE(Same(Merge({{kAllOnes - 0xfff, 0x1000, RegionKind::kReserved, 0}}),
                   {{kAllOnes - 0xfff, 0x1000, RegionKind::kReserved, 0}}));
  std::vector<RegionInfo> in = {{0, kMiB, RegionKind::kUsable, 0}, {kAllOnes - 0xfff, 0x2000, RegionKind::kReserved, 0}};
  in.resize(8);
  const Result<size_t> r = SortAndMerge(in.data(), 2, in.size());
  EXPECT_EQ(r.error.status, Status::kInvalidMap);
  EXPECT_EQ(r.error.list, InputList::kFirmware);
  EXPECT_EQ(r.error.request, 1u);
}

// The entry limit is explicit: one entry past it is refused, nothing sorted.
TEST(SortAndMerge, EntryLimit) {
  std::vector<RegionInfo> in(3 * (kSortAndMergeMaxEntries + 1));
  for (size_t i = 0; i <= kSortAndMergeMaxEntries; ++i) in[i] = {(kSortAndMergeMaxEntries - i) * 0x1000, 0x1000, RegionKind::kUsable, 0};
  const Result<size_t> over = SortAndMerge(in.data(), kSortAndMergeMaxEntries + 1, in.size());
  EXPECT_EQ(over.error.status, Status::kInvalidMap);
  EXPECT_EQ(over.error.request, kSortAndMergeMaxEntries);
  EXPECT_EQ(in[0].base, kSortAndMergeMaxEntries * 0x1000);
  const Result<size_t> at = SortAndMerge(in.data() + 1, kSortAndMergeMaxEntries, in.size() - 1);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at.value, 1u);  // touching usable entries merge into one
}

// Too little room: kBufferTooSmall with the capacity that works, entries kept.
TEST(SortAndMerge, TooLittleRoomSaysHowMuch) {
  std::vector<RegionInfo> in = {{0, 8 * kMiB, RegionKind::kUsable, 0}, {2 * kMiB, kMiB, RegionKind::kReserved, 0}};
  const Result<size_t> r = SortAndMerge(in.data(), 2, 2);
  ASSERT_EQ(r.error.status, Status::kBufferTooSmall);
  EXPECT_EQ(r.error.needed, 5u);  // 2 input + 3 merged
  in.resize(r.error.needed);
  const Result<size_t> again = SortAndMerge(in.data(), 2, in.size());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value, 3u);
}

// Random maps: the result is sorted, disjoint, never two touching equal neighbours, and
// every address has the kind the rule picks from the input entries covering it.
TEST(SortAndMerge, RandomMapsAgreeWithPointwiseRule) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<RegionInfo> in;
    for (int i = 0, n = 1 + int(rng() % 12); i < n; ++i)
      in.push_back({(rng() % 32) * 0x1000, (rng() % 8) * 0x1000, RegionKind(rng() % kRegionKindCount), rng() % 2});
    const std::vector<RegionInfo> out = Merge(in);
    // What Plan requires of its regions holds: it accepts them.
    Window w;
    w.kinds = kAllKinds;
    WindowPlacement place;
    std::vector<MapRequest> reqs(64);
    PlanInput plan;
    plan.regions = out.data();
    plan.region_count = out.size();
    plan.layout = {&w, 1, nullptr, 0};
    PlanOutput po{reqs.data(), reqs.size(), &place};
    EXPECT_TRUE(Plan(plan, &po).ok()) << trial;
    for (size_t i = 1; i < out.size(); ++i) {
      EXPECT_GT(out[i].base, out[i - 1].base + out[i - 1].size - 1);
      const bool touching = out[i - 1].base + out[i - 1].size == out[i].base;
      EXPECT_FALSE(touching && out[i].kind == out[i - 1].kind && out[i].efi_attributes == out[i - 1].efi_attributes);
    }
    for (uint64_t a = 0; a < 40 * 0x1000; a += 0x1000) {
      const RegionInfo* want = nullptr;
      for (const RegionInfo& r : in)
        if (a >= r.base && a - r.base < r.size && (want == nullptr || Outranks(r, *want))) want = &r;
      const RegionInfo* got = nullptr;
      for (const RegionInfo& r : out)
        if (a >= r.base && a - r.base < r.size) got = &r;
      ASSERT_EQ(got == nullptr, want == nullptr) << trial << " " << a;
      if (got != nullptr) {
        EXPECT_EQ(got->kind, want->kind);
        EXPECT_EQ(got->efi_attributes, want->efi_attributes);
      }
    }
  }
}

}  // namespace
}  // namespace bootmap::core
