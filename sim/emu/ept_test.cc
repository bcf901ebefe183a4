#include "sim/emu/ept.h"

#include <gtest/gtest.h>

#include "sim/emu/table_builder.h"

namespace bootmap::emu {
namespace {

using namespace ept;
constexpr uint64_t kRWX = kR | kW | kX;
constexpr uint64_t kWbType = uint64_t{6} << 3;
constexpr uint64_t kGpa4k = 0x1234'5000, kHpa4k = 0x9'8765'4000;
constexpr uint64_t kGpa2m = 0x4000'0000 + (6u << 20), kHpa2m = 0x2'0000'0000;
constexpr uint64_t kGpa1g = 0x80'0000'0000, kHpa1g = 0x40'0000'0000;

struct Ept {
  PhysMem mem{52};
  TableBuilder tb{mem, 4, 1u << 20, kRWX};
  EptState s;
  Ept() {
    s.eptp = MakeEptp(tb.root());
    tb.Set(kGpa4k, 1, kHpa4k | kRWX | kWbType);
    tb.Set(kGpa2m, 2, kHpa2m | kRWX | kWbType | kPS);
    tb.Set(kGpa1g, 3, kHpa1g | kRWX | kWbType | kPS | kIpat);
  }
  void Set(uint64_t gpa, int level, uint64_t clear, uint64_t set) {
    tb.Set(gpa, level, (tb.Get(gpa, level) & ~clear) | set);
  }
  EptTranslation Go(uint64_t gpa, EptAccess a = {}) { return EptTranslate(mem, s, gpa, a); }
};

// Leaves of each size translate, with their memory type and IPAT.
TEST(Ept, Leaves) {
  Ept e;
  EptTranslation t = e.Go(kGpa4k + 0x10);
  ASSERT_TRUE(t.ok()) << t.problem;
  EXPECT_EQ(t.hpa, kHpa4k + 0x10);
  EXPECT_EQ(t.mem_type, MemType::kWB);
  EXPECT_FALSE(t.ipat);
  t = e.Go(kGpa2m + 0x12345);
  EXPECT_EQ(t.hpa, kHpa2m + 0x12345);
  EXPECT_EQ(t.page_size, 2u << 20);
  t = e.Go(kGpa1g + 0x123456);
  EXPECT_EQ(t.hpa, kHpa1g + 0x123456);
  EXPECT_TRUE(t.ipat);
  EXPECT_EQ(t.step_count, 2);
}

// A not-present entry at any level is a violation whose permission bits are 0.
TEST(Ept, NotPresentIsViolation) {
  for (int level = 4; level >= 1; --level) {
    Ept e;
    e.Set(kGpa4k, level, kRWX, 0);
    EptTranslation t = e.Go(kGpa4k, {Access::kWrite});
    EXPECT_EQ(t.outcome, EptOutcome::kViolation) << level;
    EXPECT_EQ(t.exit_qualification, kQualWrite | kQualLinearValid | kQualLinearTranslation) << level;
  }
}

// Violations carry the access and the AND of the permission bits across levels (SDM Vol. 3C 28.2.1).
TEST(Ept, ViolationQualification) {
  struct Case {
    const char* name;
    int level;
    uint64_t clear;
    bool mbec;
    EptAccess access;
    uint64_t qual;  // 0: allowed
  } cases[] = {
      {"read of RWX", 0, 0, false, {Access::kRead}, 0},
      {"write, W=0 in PML4E", 4, kW, false, {Access::kWrite},
       kQualWrite | kQualReadable | kQualExecutable | kQualLinearValid | kQualLinearTranslation},
      {"fetch, X=0 in PTE", 1, kX, false, {Access::kFetch},
       kQualFetch | kQualReadable | kQualWritable | kQualLinearValid | kQualLinearTranslation},
      {"read, R=0 (execute-only) in PTE", 1, kR | kW, false, {Access::kRead, false, false},
       kQualRead | kQualExecutable},
      {"MBEC user fetch without UX", 0, 0, true, {Access::kFetch, true},
       kQualFetch | kQualReadable | kQualWritable | kQualExecutable | kQualLinearValid | kQualLinearTranslation},
      {"MBEC supervisor fetch with X", 0, 0, true, {Access::kFetch, false}, 0},
      {"guest paging-structure access", 2, kW, false, {Access::kWrite, false, true, false},
       kQualWrite | kQualReadable | kQualExecutable | kQualLinearValid},
  };
  for (const Case& c : cases) {
    Ept e;
    e.s.mode_based_exec = c.mbec;
    if (c.level != 0) e.Set(kGpa4k, c.level, c.clear, 0);
    EptTranslation t = e.Go(kGpa4k, c.access);
    EXPECT_EQ(t.outcome, c.qual == 0 ? EptOutcome::kOk : EptOutcome::kViolation) << c.name;
    EXPECT_EQ(t.exit_qualification, c.qual) << c.name;
  }
  Ept e;  // with MBEC, UX at every level allows user fetches
  e.s.mode_based_exec = true;
  for (int l = 4; l >= 1; --l) e.Set(kGpa4k, l, 0, kUX);
  EXPECT_TRUE(e.Go(kGpa4k, {Access::kFetch, true}).ok());
  e.Set(kGpa4k, 1, kX, 0);  // UX without X: user fetches only
  EXPECT_TRUE(e.Go(kGpa4k, {Access::kFetch, true}).ok());
  EXPECT_EQ(e.Go(kGpa4k, {Access::kFetch, false}).outcome, EptOutcome::kViolation);
}

// Each misconfiguration rule (SDM Vol. 3C 29.3.3.1) is a misconfiguration, not a violation.
TEST(Ept, Misconfigurations) {
  struct Case {
    const char* name;
    uint64_t gpa;
    int level;
    uint64_t clear, set;
    bool exec_only, page1gb;
    bool misconfig;
  } cases[] = {
      {"W without R in PTE", kGpa4k, 1, kR, 0, true, true, true},
      {"W without R in PML4E", kGpa4k, 4, kR, 0, true, true, true},
      {"X-only without support", kGpa4k, 1, kR | kW, 0, false, true, true},
      {"X-only with support", kGpa4k, 1, kR | kW, 0, true, true, false},
      {"memory type 2", kGpa4k, 1, kMemType, uint64_t{2} << 3, true, true, true},
      {"memory type 3", kGpa4k, 1, kMemType, uint64_t{3} << 3, true, true, true},
      {"memory type 7", kGpa4k, 1, kMemType, uint64_t{7} << 3, true, true, true},
      {"memory type 0 (UC)", kGpa4k, 1, kMemType, 0, true, true, false},
      {"PML4E bit 7", kGpa4k, 4, 0, kPS, true, true, true},
      {"PML4E bit 3", kGpa4k, 4, 0, bits::Bit(3), true, true, true},
      {"non-leaf PDE bit 6", kGpa4k, 2, 0, kIpat, true, true, true},
      {"non-leaf PDE bit 8 (A) is fine", kGpa4k, 2, 0, kA, true, true, false},
      {"1 GiB leaf bit 12", kGpa1g, 3, 0, bits::Bit(12), true, true, true},
      {"1 GiB leaf bit 29", kGpa1g, 3, 0, bits::Bit(29), true, true, true},
      {"1 GiB page without support", kGpa1g, 3, 0, 0, true, false, true},
      {"2 MiB leaf bit 20", kGpa2m, 2, 0, bits::Bit(20), true, true, true},
      {"2 MiB leaf bit 12", kGpa2m, 2, 0, bits::Bit(12), true, true, true},
      {"PA bit 46 (MAXPHYADDR 46)", kGpa4k, 3, 0, bits::Bit(46), true, true, true},
  };
  for (const Case& c : cases) {
    Ept e;
    e.s.execute_only = c.exec_only;
    e.s.page1gb = c.page1gb;
    e.Set(c.gpa, c.level, c.clear, c.set);
    EptTranslation t = e.Go(c.gpa, {Access::kFetch});
    EXPECT_EQ(t.outcome, c.misconfig ? EptOutcome::kMisconfig : EptOutcome::kOk) << c.name << ": " << t.problem;
    if (c.misconfig) {
      EXPECT_NE(t.bad_bits, 0u) << c.name;
    }
  }
}

// A 2 MiB EPT leaf without IA32_VMX_EPT_VPID_CAP[16] is a misconfiguration (its PS bit is
// the bad bit); with it the same entry translates.
TEST(Ept, TwoMiBPageNeedsCapability) {
  for (bool page2m : {false, true}) {
    Ept e;
    e.s.page2m = page2m;
    const EptTranslation t = e.Go(kGpa2m, {Access::kRead});
    EXPECT_EQ(t.outcome, page2m ? EptOutcome::kOk : EptOutcome::kMisconfig) << t.problem;
    if (!page2m) {
      EXPECT_EQ(t.bad_bits, kPS);
      EXPECT_STREQ(t.problem, "2 MiB page without 2 MiB support");
    }
  }
}

// EPTP checks: memory type UC/WB, walk length 4 (or 5 if supported), bits 11:8 zero.
TEST(Ept, BadEptp) {
  Ept e;
  uint64_t root = e.tb.root();
  EXPECT_EQ(e.Go(kGpa4k).outcome, EptOutcome::kOk);
  for (uint64_t eptp : {MakeEptp(root, 4, MemType::kWC), MakeEptp(root, 3), MakeEptp(root) | bits::Bit(8),
                        MakeEptp(root) | bits::Bit(50)}) {
    e.s.eptp = eptp;
    EXPECT_EQ(e.Go(kGpa4k).outcome, EptOutcome::kBadEptp) << std::hex << eptp;
  }
  e.s.eptp = MakeEptp(root, 5);
  e.s.five_level = false;
  EXPECT_EQ(e.Go(kGpa4k).outcome, EptOutcome::kBadEptp);
  e.s.eptp = MakeEptp(root, 4, MemType::kUC);
  EXPECT_EQ(e.Go(kGpa4k).outcome, EptOutcome::kOk);
  EXPECT_EQ(e.Go(kGpa4k).steps[0].table_type, MemType::kUC);
}

// EPT A/D (EPTP[6]): A at every level, D on the leaf for writes; nothing without EPTP[6].
TEST(Ept, AccessedDirty) {
  Ept e;
  e.s.ad_updates = true;
  ASSERT_TRUE(e.Go(kGpa4k, {Access::kWrite}).ok());
  EXPECT_EQ(e.tb.Get(kGpa4k, 1) & (kA | kD), 0u);
  e.s.eptp = MakeEptp(e.tb.root(), 4, MemType::kWB, true);
  ASSERT_TRUE(e.Go(kGpa4k, {Access::kRead}).ok());
  for (int l = 4; l >= 1; --l) EXPECT_NE(e.tb.Get(kGpa4k, l) & kA, 0u) << l;
  EXPECT_EQ(e.tb.Get(kGpa4k, 1) & kD, 0u);
  ASSERT_TRUE(e.Go(kGpa4k, {Access::kWrite}).ok());
  EXPECT_NE(e.tb.Get(kGpa4k, 1) & kD, 0u);
  e.Set(kGpa2m, 2, kW, 0);
  EXPECT_FALSE(e.Go(kGpa2m, {Access::kWrite}).ok());
  EXPECT_EQ(e.tb.Get(kGpa2m, 2) & kA, 0u);
}

// The effective type is the EPT type with IPAT, else the guest PAT type combined with it (Table 12-7).
TEST(Ept, EffectiveType) {
  EXPECT_EQ(EptEffectiveType(MemType::kWB, true, MemType::kUC), MemType::kWB);
  EXPECT_EQ(EptEffectiveType(MemType::kWB, false, MemType::kUC), MemType::kUC);
  EXPECT_EQ(EptEffectiveType(MemType::kUC, false, MemType::kWC), MemType::kWC);
  EXPECT_EQ(EptEffectiveType(MemType::kWT, false, MemType::kWB), MemType::kWT);
}

// EPT enumeration: coalesced runs with r/w/x, type and IPAT; misconfigured entries reported and skipped.
TEST(Ept, Enumerate) {
  Ept e;
  e.tb.Set(kGpa4k + 0x1000, 1, (kHpa4k + 0x1000) | kRWX | kWbType);
  e.tb.Set(kGpa4k + 0x2000, 1, (kHpa4k + 0x2000) | kR | kWbType);
  e.tb.Set(kGpa4k + 0x3000, 1, (kHpa4k + 0x3000) | kW | kWbType);  // misconfigured
  EptEnumerateResult r = EnumerateEpt(e.mem, e.s);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.runs.size(), 4u);
  EXPECT_EQ(r.runs[0].gpa, kGpa4k);
  EXPECT_EQ(r.runs[0].size, 0x2000u);
  EXPECT_TRUE(r.runs[0].r && r.runs[0].w && r.runs[0].x);
  EXPECT_EQ(r.runs[0].mem_type, MemType::kWB);
  EXPECT_FALSE(r.runs[1].w);
  EXPECT_EQ(r.runs[3].gpa, kGpa1g);
  EXPECT_TRUE(r.runs[3].ipat);
  EXPECT_EQ(r.misconfigured_entries, 1u);
  EXPECT_EQ(r.reserved_entries, 1u);
  EXPECT_EQ(r.leaves[0], 3u);
  EXPECT_EQ(r.leaves[1], 1u);
  EXPECT_EQ(r.leaves[2], 1u);
  e.s.eptp |= bits::Bit(9);
  EXPECT_FALSE(EnumerateEpt(e.mem, e.s).ok);
}

// A 5-level EPTP walks a PML5E first and translates guest-physical bits 56:48; 4-level cannot reach them.
TEST(Ept, FiveLevels) {
  PhysMem mem(52);
  TableBuilder tb(mem, 5, 1u << 20, kRWX);
  const uint64_t gpa = 0x0001'2345'6789'a000ull;  // bit 48 set
  tb.Set(gpa, 1, kHpa4k | kRWX | kWbType);
  EptState s;
  s.eptp = MakeEptp(tb.root(), 5);
  EptTranslation t = EptTranslate(mem, s, gpa, {});
  ASSERT_TRUE(t.ok()) << t.problem;
  EXPECT_EQ(t.hpa, kHpa4k);
  EXPECT_EQ(t.step_count, 5);
  EXPECT_EQ(EnumerateEpt(mem, s).runs.at(0).gpa, gpa);
  s.eptp = MakeEptp(tb.root(), 4);
  EXPECT_EQ(EptTranslate(mem, s, gpa, {}).outcome, EptOutcome::kViolation);
}

}  // namespace
}  // namespace bootmap::emu
