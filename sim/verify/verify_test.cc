#include "sim/verify/verify.h"

#include <gtest/gtest.h>

#include <set>

#include "sim/verify/test_world.h"

namespace bootmap::verify {
namespace {

using testing::kDirect;
using testing::kGiB;
using testing::kMiB;
using testing::World;

std::string Dump(const Report& r) {
  std::string s = r.error + "\n";
  for (const Violation& v : r.violations) s += std::string(CodeName(v.code)) + ": " + v.message + "\n";
  return s;
}

// Code names are unique, non-empty and stable in spelling (lower-case, dashes).
TEST(Codes, NamesAreUniqueAndStable) {
  std::set<std::string_view> names;
  for (int c = 0; c < kCodeCount; ++c) {
    std::string_view n = CodeName(Code(c));
    ASSERT_FALSE(n.empty());
    EXPECT_TRUE(names.insert(n).second) << n;
    for (char ch : n) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '-') << n;
    EXPECT_FALSE(CodeSummary(Code(c)).empty());
  }
  EXPECT_EQ(CodeName(Code::kUnmapped), "unmapped");
  EXPECT_EQ(CodeName(Code::kWriteExec), "write-exec");
}

// Correct IA-32e 4-level tables verify with no violation and no optimality gap.
TEST(Verify, CorrectTablesVerify) {
  World w;
  w.Build();
  Report r = w.Check();
  EXPECT_TRUE(r.verified) << Dump(r);
  EXPECT_EQ(r.leaf_total(), r.minimal_total());
  EXPECT_EQ(r.leaves, r.minimal_leaves);
  EXPECT_EQ(r.table_pages, r.minimal_table_pages);
  EXPECT_EQ(r.table_pages, r.needed_table_pages);
  EXPECT_GT(r.walks, 1000u);
  // [4 GiB, 6 GiB) takes two 1 GiB pages; [1 GiB, 2 GiB) is split by the WT MTRR range.
  EXPECT_EQ(r.leaves[2], 2u);
  EXPECT_EQ(r.expected_bytes, r.mapped_bytes);
}

// The same with 5-level paging (CR4.LA57), and with EPT.
TEST(Verify, CorrectFiveLevelAndEptVerify) {
  for (Format f : {Format::kIa32e5, Format::kEpt4}) {
    World w(f);
    w.Build();
    Report r = w.Check();
    EXPECT_TRUE(r.verified) << FormatName(f) << Dump(r);
    EXPECT_EQ(r.leaves, r.minimal_leaves) << FormatName(f);
  }
}

// The minimum follows greedy largest aligned pages: 4K up to 2 MiB alignment, then 2M, then 1G.
TEST(Verify, MinimalLeavesAreGreedy) {
  World w;
  w.in.expected = {testing::Map(kDirect + 4 * kGiB + 0x1000, 4 * kGiB + 0x1000, 2 * kGiB - 0x1000, true, true, MemType::kWB, kGiB, 1)};
  // All allocatable RAM is mapped; the tables live in loader memory at 16 MiB.
  w.in.regions = {{16 * kMiB, 16 * kMiB, RegionKind::kLoader}, {4 * kGiB + 0x1000, 2 * kGiB - 0x1000, RegionKind::kUsable}};
  w.cuts.clear();
  w.in.map.mtrr.reset();
  w.Build();
  Report r = w.Check();
  // 511 4K to 2 MiB, 511 2M to 1 GiB, one 1G page.
  EXPECT_EQ(r.minimal_leaves, (std::array<uint64_t, 3>{511, 511, 1}));
  EXPECT_EQ(r.leaves, r.minimal_leaves);
  EXPECT_EQ(r.minimal_table_pages, 4u);  // PML4, PDPT, PD, PT
  EXPECT_TRUE(r.verified) << Dump(r);
}

// A page-size cap and an offset not aligned to 2 MiB force small pages in the minimum.
TEST(Verify, MinimalRespectsCapsAndOffsets) {
  World w;
  w.cuts.clear();
  w.in.map.mtrr.reset();
  w.in.expected = {testing::Map(kDirect, 4 * kGiB + 0x1000, 4 * kMiB, true, true, MemType::kWB, kGiB, 1),
                   testing::Map(kDirect + kGiB, 5 * kGiB, 4 * kMiB, true, true, MemType::kWB, 0x1000, 1)};
  w.in.regions = {{16 * kMiB, 16 * kMiB, RegionKind::kLoader}, {4 * kGiB + 0x1000, 4 * kMiB, RegionKind::kUsable},
                  {5 * kGiB, 4 * kMiB, RegionKind::kUsable}};
  w.Build();
  Report r = w.Check();
  EXPECT_EQ(r.minimal_leaves, (std::array<uint64_t, 3>{2048, 0, 0}));
  EXPECT_TRUE(r.verified) << Dump(r);
}

// Overlapping expectations that disagree are bad input, not violations.
TEST(Verify, ConflictingExpectationsAreAnError) {
  World w;
  w.Build();
  w.in.expected.push_back(testing::Map(kDirect, 0x5000, 0x1000, true, true, MemType::kWB, kGiB, 2));
  Report r = w.Check();
  EXPECT_FALSE(r.verified);
  EXPECT_NE(r.error.find("conflict"), std::string::npos) << r.error;
}

// Overlapping expectations that agree are one mapping.
TEST(Verify, AgreeingOverlapsMerge) {
  World w;
  w.in.expected.push_back(testing::Map(kDirect + kMiB, kMiB, 8 * kMiB, true, true, MemType::kWB, kGiB, 1));
  w.Build();
  Report r = w.Check();
  EXPECT_TRUE(r.verified) << Dump(r);
}

// Walk and ProbeRuns agree on a mapped and an unmapped address.
TEST(Verify, WalkAndProbe) {
  World w;
  w.Build();
  Probe p = Walk(w.in, kDirect + 0x1234);
  EXPECT_TRUE(p.mapped);
  EXPECT_EQ(p.pa, 0x1234u);
  EXPECT_TRUE(p.writable);
  EXPECT_FALSE(p.exec);
  EXPECT_FALSE(Walk(w.in, kDirect + 0xa0000).mapped);
  std::vector<Leaf> runs = {{0x1000, 0x2000, 0x5000, 0x1000, true, false, false, MemType::kWB}};
  EXPECT_EQ(ProbeRuns(runs, 0x2fff).pa, 0x6fffu);
  EXPECT_FALSE(ProbeRuns(runs, 0x3000).mapped);
  EXPECT_FALSE(ProbeRuns(runs, 0xfff).mapped);
}

// Only the first max_listed violations carry messages; all are counted.
TEST(Verify, ListsFirstNWithTotal) {
  World w;
  w.Build();
  for (int i = 0; i < 30; ++i) w.Set(kDirect + kMiB + 2 * i * 0x1000, 1, 0);  // 30 separate holes
  Options o;
  o.max_listed = 5;
  Report r = w.Check(o);
  EXPECT_EQ(r.violations.size(), 5u);
  EXPECT_EQ(r.by_code[int(Code::kUnmapped)], 30u);
  EXPECT_EQ(r.violation_count, 30u);
  EXPECT_NE(r.violations[0].message.find("va 0xffff888000100000-0xffff888000100fff (window 'direct-map', -> pa 0x100000) is not mapped"),
            std::string::npos) << r.violations[0].message;
}

}  // namespace
}  // namespace bootmap::verify
