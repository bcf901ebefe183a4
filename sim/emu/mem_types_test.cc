#include "sim/emu/mem_types.h"

#include <gtest/gtest.h>

namespace bootmap::emu {
namespace {

using M = MemType;

// A PAT with an undefined encoding (2, 3) or bits 7:3 set is invalid; the power-on value is valid.
TEST(Pat, Validity) {
  EXPECT_TRUE(PatValid(kPowerOnPat));
  EXPECT_FALSE(PatValid((kPowerOnPat & ~0xFFull) | 0x02));  // PA0 = 2
  EXPECT_FALSE(PatValid((kPowerOnPat & ~0xFF00ull) | 0x0300));  // PA1 = 3
  EXPECT_FALSE(PatValid(kPowerOnPat | (0x08ull << 56)));  // PA7 bit 3
  EXPECT_EQ(PatEntry(kPowerOnPat, 2), M::kUCMinus);
  EXPECT_EQ(PatEntry(0x02, 0), M::kUC);  // undefined reads as UC
}

// SDM Vol. 3A Table 12-7, every cell.
TEST(EffectiveType, Table) {
  const M pats[] = {M::kUC, M::kUCMinus, M::kWC, M::kWT, M::kWB, M::kWP};
  struct Row {
    M mtrr;
    M expect[6];
  } rows[] = {
      {M::kUC, {M::kUC, M::kUC, M::kWC, M::kUC, M::kUC, M::kUC}},
      {M::kWC, {M::kUC, M::kWC, M::kWC, M::kUC, M::kWC, M::kUC}},
      {M::kWT, {M::kUC, M::kUC, M::kWC, M::kWT, M::kWT, M::kWP}},
      {M::kWB, {M::kUC, M::kUC, M::kWC, M::kWT, M::kWB, M::kWP}},
      {M::kWP, {M::kUC, M::kWC, M::kWC, M::kWT, M::kWP, M::kWP}},
  };
  for (const Row& row : rows) {
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(EffectiveMemType(pats[i], row.mtrr), row.expect[i])
          << "mtrr " << int(row.mtrr) << " pat " << int(pats[i]);
    }
  }
}

map::Mtrrs SampleMtrrs() {
  map::Mtrrs m;
  m.default_type = M::kUC;
  m.fixed = {{0x0, 0xA0000, M::kWB}, {0xA0000, 0x20000, M::kUC}, {0xC0000, 0x40000, M::kWP}};
  m.variable = {
      {0x0, ~(uint64_t{0x80000000} - 1), M::kWB},           // 0 .. 2 GiB WB
      {0x7000'0000, ~(uint64_t{0x1000'0000} - 1), M::kUC},  // 1.75 .. 2 GiB UC inside it
      {0x1'0000'0000, ~(uint64_t{0x4000'0000} - 1), M::kWB},
      {0x1'0000'0000, ~(uint64_t{0x1000'0000} - 1), M::kWT},  // WT over WB
      {0x1'4000'0000, ~(uint64_t{0x4000'0000} - 1), M::kWC},
      {0x1'4000'0000, ~(uint64_t{0x4000'0000} - 1), M::kWB},  // WC + WB: undefined
  };
  return m;
}

// MTRR precedence, SDM Vol. 3A 12.11.4.1.
TEST(Mtrr, Precedence) {
  map::Mtrrs m = SampleMtrrs();
  struct Case {
    const char* name;
    uint64_t pa;
    M type;
    bool conflict;
  } cases[] = {
      {"fixed WB below 640K", 0x9F000, M::kWB, false},
      {"fixed UC legacy VGA beats variable WB", 0xB8000, M::kUC, false},
      {"fixed WP BIOS", 0xF0000, M::kWP, false},
      {"variable WB", 0x10'0000, M::kWB, false},
      {"UC wins over WB", 0x7800'0000, M::kUC, false},
      {"default above all ranges", 0x8000'0000, M::kUC, false},
      {"WT + WB -> WT", 0x1'0800'0000, M::kWT, false},
      {"WB only", 0x1'2000'0000, M::kWB, false},
      {"WC + WB undefined", 0x1'5000'0000, M::kUC, true},
  };
  for (const Case& c : cases) {
    MtrrType t = MtrrTypeAt(m, c.pa, 36);
    EXPECT_EQ(t.type, c.type) << c.name;
    EXPECT_EQ(t.conflict, c.conflict) << c.name;
  }
  m.fixed.clear();  // fixed ranges disabled: variable ranges apply below 1 MiB
  EXPECT_EQ(MtrrTypeAt(m, 0xB8000, 36).type, M::kWB);
}

// Unknown default type and fixed ranges (/proc/mtrr): WB by assumption exactly where they decide,
// and the type change at 1 MiB is a boundary for large pages.
TEST(Mtrr, UnknownPartsAreAssumedWb) {
  map::Mtrrs m = SampleMtrrs();
  m.default_known = m.fixed_known = false;
  m.default_type = M::kWB;
  m.fixed.clear();
  EXPECT_TRUE(MtrrTypeAt(m, 0xB8000, 36).assumed);  // below 1 MiB: the fixed ranges would decide
  EXPECT_EQ(MtrrTypeAt(m, 0xB8000, 36).type, M::kWB);
  EXPECT_FALSE(MtrrTypeAt(m, 0x7800'0000, 36).assumed);  // a variable range decides: UC, known
  EXPECT_EQ(MtrrTypeAt(m, 0x7800'0000, 36).type, M::kUC);
  EXPECT_TRUE(MtrrTypeAt(m, 0x8000'0000, 36).assumed);  // no range matches: the unknown default
  EXPECT_EQ(MtrrTypeAt(m, 0x8000'0000, 36).type, M::kWB);
  m.fixed_known = true;  // fixed ranges known and disabled: the variable ranges decide below 1 MiB
  EXPECT_FALSE(MtrrTypeAt(m, 0xB8000, 36).assumed);
  // With the fixed ranges unknown, 1 MiB is a type boundary for a 2 MiB page at 0.
  m.fixed_known = false;
  m.variable = {{0, 0xF'C000'0000, M::kUC}};  // [0, 1 GiB) UC
  const MtrrRangeType r = MtrrTypeOfRange(m, 0, 0x20'0000, 36);
  EXPECT_FALSE(r.uniform);
  EXPECT_EQ(r.first_change, 0x10'0000u);
}

// PhysMask only covers bits MAXPHYADDR-1:12: mask bits above are ignored, and a range matches its aliases.
TEST(Mtrr, MaskWidth) {
  map::Mtrrs m;
  m.default_type = M::kUC;
  m.variable = {{0x0, 0xF'C000'0000, M::kWB}};  // 1 GiB at 0, mask written for MAXPHYADDR 36
  EXPECT_EQ(MtrrTypeAt(m, 0x1000, 36).type, M::kWB);
  EXPECT_EQ(MtrrTypeAt(m, 0x4000'0000, 36).type, M::kUC);
  // With MAXPHYADDR 40 the mask does not cover bits 39:36: 64 GiB aliases 0.
  EXPECT_EQ(MtrrTypeAt(m, 0x10'0000'1000, 40).type, M::kWB);
  EXPECT_EQ(MtrrTypeAt(m, 0x10'0000'1000, 36).type, M::kWB);  // bit 36 is outside the mask too
}

// A range reports one type or the first address where the type changes.
TEST(Mtrr, RangeUniformity) {
  map::Mtrrs m = SampleMtrrs();
  MtrrRangeType r = MtrrTypeOfRange(m, 0x4000'0000, 0x3000'0000, 36);
  EXPECT_TRUE(r.uniform);
  EXPECT_EQ(r.type, M::kWB);
  r = MtrrTypeOfRange(m, 0x4000'0000, 0x4000'0000, 36);  // a 1 GiB page over WB then UC
  EXPECT_FALSE(r.uniform);
  EXPECT_EQ(r.type, M::kWB);
  EXPECT_EQ(r.first_change, 0x7000'0000u);
  r = MtrrTypeOfRange(m, 0, 2u << 20, 36);  // a 2 MiB page over the fixed ranges
  EXPECT_FALSE(r.uniform);
  EXPECT_EQ(r.first_change, 0xA0000u);
  r = MtrrTypeOfRange(m, 0x10'0000, 0x10'0000, 36);
  EXPECT_TRUE(r.uniform);
  r = MtrrTypeOfRange(m, 0x1'4000'0000, 0x1000, 36);
  EXPECT_TRUE(r.conflict);
  r = MtrrTypeOfRange(m, 0xF'FFFF'F000, 0x1000, 36);  // last page below 2^36
  EXPECT_TRUE(r.uniform);
  r = MtrrTypeOfRange(m, ~uint64_t{0xFFF}, 0x1000, 36);  // ends at 2^64
  EXPECT_TRUE(r.uniform);
}

// A run of large pages is flagged at the first page that straddles an MTRR type change; 4 KiB pages never are.
TEST(Mtrr, LargePageSpansTypes) {
  map::Mtrrs m = SampleMtrrs();
  uint64_t page = 0;
  // 2 MiB pages from 0: the first one covers the fixed ranges (WB, UC, WP).
  ASSERT_TRUE(FindPageSpanningMtrrTypes(m, 0, 1ull << 30, 2ull << 20, 36, &page));
  EXPECT_EQ(page, 0u);
  // 2 MiB pages over 1 .. 2 GiB: the WB -> UC change at 1.75 GiB is 2 MiB aligned.
  EXPECT_FALSE(FindPageSpanningMtrrTypes(m, 1ull << 30, 1ull << 30, 2ull << 20, 36, &page));
  // 1 GiB pages over the same range: the page at 1 GiB spans WB and UC.
  ASSERT_TRUE(FindPageSpanningMtrrTypes(m, 1ull << 30, 1ull << 30, 1ull << 30, 36, &page));
  EXPECT_EQ(page, 1ull << 30);
  // 4 KiB pages never span MTRR ranges (MTRR boundaries are 4 KiB aligned).
  EXPECT_FALSE(FindPageSpanningMtrrTypes(m, 0, 8ull << 30, 4096, 36, &page));
}

}  // namespace
}  // namespace bootmap::emu
