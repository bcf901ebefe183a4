#include "sim/emu/paging.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sim/emu/table_builder.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;
constexpr uint64_t kVa4k = 0x0000'1234'5678'9000ull;  // 4 KiB page
constexpr uint64_t kPa4k = 0x0000'0002'3456'7000ull;
constexpr uint64_t kVa2m = 0x0000'2000'0020'0000ull;  // 2 MiB page
constexpr uint64_t kPa2m = 0x0000'0004'0040'0000ull;
constexpr uint64_t kVa1g = 0x0000'3000'4000'0000ull;  // 1 GiB page
constexpr uint64_t kPa1g = 0x0000'0008'c000'0000ull;
constexpr uint64_t kLeafFlags = kP | kRW | kUS;

struct Tree {
  PhysMem mem{52};
  TableBuilder tb{mem};
  CpuState cpu;
  Tree() {
    cpu.cr3 = tb.root();
    tb.Set(kVa4k, 1, kPa4k | kLeafFlags);
    tb.Set(kVa2m, 2, kPa2m | kLeafFlags | kPS);
    tb.Set(kVa1g, 3, kPa1g | kLeafFlags | kPS);
  }
  void Or(uint64_t va, int level, uint64_t bits) { tb.Set(va, level, tb.Get(va, level) | bits); }
  void Clear(uint64_t va, int level, uint64_t bits) { tb.Set(va, level, tb.Get(va, level) & ~bits); }
  Translation Go(uint64_t va, AccessMode mode = {}) { return Translate(mem, cpu, va, mode); }
};

// A present 4 KiB, 2 MiB and 1 GiB leaf translate to base | offset with their page size.
TEST(Translate, LeavesOfEachSize) {
  Tree t;
  for (auto [va, pa, size] : {std::tuple{kVa4k, kPa4k, 4096ull}, {kVa2m, kPa2m, 2ull << 20}, {kVa1g, kPa1g, 1ull << 30}}) {
    Translation r = t.Go(va + 0x123);
    ASSERT_TRUE(r.ok) << std::hex << va;
    EXPECT_EQ(r.pa, pa + 0x123);
    EXPECT_EQ(r.page_size, size);
    EXPECT_TRUE(r.writable && r.user && !r.nx);
  }
  EXPECT_EQ(t.Go(kVa4k).step_count, 4);
  EXPECT_EQ(t.Go(kVa2m).step_count, 3);
  EXPECT_EQ(t.Go(kVa1g).step_count, 2);
}

// Non-canonical addresses raise #GP(0), not #PF (SDM Vol. 3A 4.5).
TEST(Translate, NonCanonicalIsGeneralProtection) {
  struct Case {
    uint64_t va;
    bool la57;
    bool canonical;
  } cases[] = {
      {0x0000'7fff'ffff'f000ull, false, true},  {0x0000'8000'0000'0000ull, false, false},
      {0xffff'8000'0000'0000ull, false, true},  {0xfff7'8000'0000'0000ull, false, false},
      {0x0000'8000'0000'0000ull, true, true},   {0x0100'0000'0000'0000ull, true, false},
      {0xff00'0000'0000'0000ull, true, true},   {0x8000'0000'0000'0000ull, true, false},
  };
  for (const Case& c : cases) {
    Tree t;
    t.cpu.cr4_la57 = c.la57;
    Translation r = t.Go(c.va);
    EXPECT_EQ(IsCanonical(c.va, c.la57), c.canonical) << std::hex << c.va;
    EXPECT_EQ(r.fault.vector, c.canonical ? kVectorPF : kVectorGP) << std::hex << c.va;
    if (!c.canonical) {
      EXPECT_EQ(r.step_count, 0);
    }
  }
}

// A not-present entry at any level gives #PF with P=0 and the access bits.
TEST(Translate, NotPresentAtEachLevel) {
  for (int level = 4; level >= 1; --level) {
    Tree t;
    t.Clear(kVa4k, level, kP);
    Translation r = t.Go(kVa4k, {Access::kWrite, true});
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.fault.vector, kVectorPF);
    EXPECT_EQ(r.fault.error_code, pf::kWR | pf::kUS) << "level " << level;
    EXPECT_EQ(r.step_count, 5 - level);
  }
}

// Each reserved-bit rule of SDM Vol. 3A 4.5.4 faults with P=1, RSVD=1; its neighbours do not.
TEST(Translate, ReservedBits) {
  struct Case {
    const char* name;
    uint64_t va;
    int level;
    uint64_t set;
    std::function<void(CpuState&)> cpu;
    bool reserved;
  };
  auto none = [](CpuState&) {};
  const Case cases[] = {
      {"PML4E PA bit 46 (MAXPHYADDR 46)", kVa4k, 4, Bit(46), none, true},
      {"PTE PA bit 45", kVa4k, 1, Bit(45), none, false},
      {"PDPTE PA bit 51", kVa4k, 3, Bit(51), none, true},
      {"PDE PA bit 47", kVa4k, 2, Bit(47), none, true},
      {"PTE PA bit 46", kVa4k, 1, Bit(46), none, true},
      {"PTE PA bit 46, MAXPHYADDR 52", kVa4k, 1, Bit(46), [](CpuState& c) { c.maxphyaddr = 52; }, false},
      {"PTE ignored bit 52", kVa4k, 1, Bit(52), none, false},
      {"PS in PML4E", kVa4k, 4, kPS, none, true},
      {"PS in PML5E", kVa4k, 5, kPS, [](CpuState& c) { c.cr4_la57 = true; }, true},
      {"1 GiB page without support", kVa1g, 3, 0, [](CpuState& c) { c.page1gb = false; }, true},
      {"1 GiB leaf bit 13", kVa1g, 3, Bit(13), none, true},
      {"1 GiB leaf bit 29", kVa1g, 3, Bit(29), none, true},
      {"1 GiB leaf bit 12 (PAT)", kVa1g, 3, Bit(12), none, false},
      {"2 MiB leaf bit 13", kVa2m, 2, Bit(13), none, true},
      {"2 MiB leaf bit 20", kVa2m, 2, Bit(20), none, true},
      {"2 MiB leaf bit 12 (PAT)", kVa2m, 2, Bit(12), none, false},
      {"XD with NXE=0", kVa4k, 2, kXD, [](CpuState& c) { c.efer_nxe = false; }, true},
      {"XD with NXE=1", kVa4k, 2, kXD, none, false},
  };
  for (const Case& c : cases) {
    Tree t;
    c.cpu(t.cpu);
    if (t.cpu.cr4_la57) {  // a PML5 above the 4-level tree
      uint64_t pml5 = t.tb.NewTable();
      t.mem.Write64(pml5 + 8 * Index(c.va, 5), t.cpu.cr3 | kP | kRW | kUS | c.set);
      t.cpu.cr3 = pml5;
    } else {
      t.Or(c.va, c.level, c.set);
    }
    Translation r = t.Go(c.va);
    if (c.reserved) {
      EXPECT_EQ(r.fault.vector, kVectorPF) << c.name;
      EXPECT_EQ(r.fault.error_code, pf::kP | pf::kRSVD) << c.name;
    } else {
      EXPECT_TRUE(r.ok) << c.name;
    }
  }
}

// R/W, U/S and XD combine across levels; WP, SMEP, SMAP (with AC and implicit accesses) as in SDM Vol. 3A 4.6.1.
TEST(Translate, AccessRights) {
  struct Case {
    const char* name;
    int level;         // entry to change (0: none)
    uint64_t clear;    // bits cleared there
    uint64_t set;      // bits set there
    std::function<void(CpuState&)> cpu;
    AccessMode mode;
    uint32_t error;    // 0: allowed
  };
  auto none = [](CpuState&) {};
  const AccessMode kSupRead{}, kSupWrite{Access::kWrite}, kSupFetch{Access::kFetch};
  const AccessMode kUserRead{Access::kRead, true}, kUserWrite{Access::kWrite, true}, kUserFetch{Access::kFetch, true};
  const AccessMode kImplicitRead{Access::kRead, false, true};
  const Case cases[] = {
      {"user read, all U/S=1", 0, 0, 0, none, kUserRead, 0},
      {"user read, U/S=0 in PML4E", 4, kUS, 0, none, kUserRead, pf::kP | pf::kUS},
      {"user read, U/S=0 in PTE", 1, kUS, 0, none, kUserRead, pf::kP | pf::kUS},
      {"user write, R/W=0 in PDPTE", 3, kRW, 0, none, kUserWrite, pf::kP | pf::kWR | pf::kUS},
      {"user write, R/W=0, WP=0", 3, kRW, 0, [](CpuState& c) { c.cr0_wp = false; }, kUserWrite,
       pf::kP | pf::kWR | pf::kUS},
      {"supervisor write, R/W=0 in PDE, WP=1", 2, kRW, 0, none, kSupWrite, pf::kP | pf::kWR},
      {"supervisor write, R/W=0 in PDE, WP=0", 2, kRW, 0, [](CpuState& c) { c.cr0_wp = false; }, kSupWrite, 0},
      {"fetch, XD in PDPTE", 3, 0, kXD, none, kSupFetch, pf::kP | pf::kID},
      {"user fetch, XD in PTE", 1, 0, kXD, none, kUserFetch, pf::kP | pf::kUS | pf::kID},
      {"read, XD in PTE", 1, 0, kXD, none, kUserRead, 0},
      {"supervisor fetch of user page, SMEP=0", 0, 0, 0, none, kSupFetch, 0},
      {"supervisor fetch of user page, SMEP=1", 0, 0, 0, [](CpuState& c) { c.cr4_smep = true; }, kSupFetch,
       pf::kP | pf::kID},
      {"supervisor fetch of supervisor page, SMEP=1", 2, kUS, 0, [](CpuState& c) { c.cr4_smep = true; }, kSupFetch, 0},
      {"supervisor read of user page, SMAP=1 AC=0", 0, 0, 0, [](CpuState& c) { c.cr4_smap = true; }, kSupRead, pf::kP},
      {"supervisor write of user page, SMAP=1 AC=0", 0, 0, 0, [](CpuState& c) { c.cr4_smap = true; }, kSupWrite,
       pf::kP | pf::kWR},
      {"supervisor read of user page, SMAP=1 AC=1", 0, 0, 0,
       [](CpuState& c) { c.cr4_smap = c.rflags_ac = true; }, kSupRead, 0},
      {"implicit supervisor read of user page, SMAP=1 AC=1", 0, 0, 0,
       [](CpuState& c) { c.cr4_smap = c.rflags_ac = true; }, kImplicitRead, pf::kP},
      {"implicit supervisor read of user page, SMAP=0", 0, 0, 0, none, kImplicitRead, 0},
      {"supervisor read of supervisor page, SMAP=1", 1, kUS, 0, [](CpuState& c) { c.cr4_smap = true; }, kSupRead, 0},
      {"supervisor fetch of user page, SMAP=1 SMEP=0", 0, 0, 0, [](CpuState& c) { c.cr4_smap = true; }, kSupFetch, 0},
  };
  for (const Case& c : cases) {
    Tree t;
    c.cpu(t.cpu);
    if (c.level != 0) t.tb.Set(kVa4k, c.level, (t.tb.Get(kVa4k, c.level) & ~c.clear) | c.set);
    Translation r = t.Go(kVa4k, c.mode);
    EXPECT_EQ(r.ok, c.error == 0) << c.name;
    EXPECT_EQ(r.fault.error_code, c.error) << c.name;
    if (c.error != 0) {
      EXPECT_EQ(r.fault.vector, kVectorPF) << c.name;
    }
  }
}

// I/D is set for fetches only with NXE or SMEP (SDM Vol. 3A 4.7).
TEST(Translate, InstructionFetchBit) {
  for (bool nxe : {false, true}) {
    for (bool smep : {false, true}) {
      Tree t;
      t.cpu.efer_nxe = nxe;
      t.cpu.cr4_smep = smep;
      t.Clear(kVa4k, 1, kP);
      Translation r = t.Go(kVa4k, {Access::kFetch});
      EXPECT_EQ(r.fault.error_code, (nxe || smep) ? pf::kID : 0u) << nxe << smep;
    }
  }
}

// Protection keys: PKRU AD/WD for user pages, PKRS for supervisor pages, data accesses only (SDM Vol. 3A 4.6.2).
TEST(Translate, ProtectionKeys) {
  struct Case {
    const char* name;
    bool pke, pks, user_page, wp;
    uint32_t pkru, pkrs;
    AccessMode mode;
    uint32_t error;
  };
  constexpr uint32_t kAD5 = 1u << 10, kWD5 = 1u << 11;
  const AccessMode kSupRead{}, kSupWrite{Access::kWrite}, kFetch{Access::kFetch, true};
  const AccessMode kUserRead{Access::kRead, true}, kUserWrite{Access::kWrite, true};
  const Case cases[] = {
      {"AD, user read", true, false, true, true, kAD5, 0, kUserRead, pf::kP | pf::kUS | pf::kPK},
      {"AD, supervisor read of user page", true, false, true, true, kAD5, 0, kSupRead, pf::kP | pf::kPK},
      {"AD, PKE=0", false, false, true, true, kAD5, 0, kUserRead, 0},
      {"AD, fetch", true, false, true, true, kAD5, 0, kFetch, 0},
      {"WD, user read", true, false, true, true, kWD5, 0, kUserRead, 0},
      {"WD, user write", true, false, true, true, kWD5, 0, kUserWrite, pf::kP | pf::kWR | pf::kUS | pf::kPK},
      {"WD, supervisor write, WP=1", true, false, true, true, kWD5, 0, kSupWrite, pf::kP | pf::kWR | pf::kPK},
      {"WD, supervisor write, WP=0", true, false, true, false, kWD5, 0, kSupWrite, 0},
      {"PKRU does not cover supervisor pages", true, false, false, true, kAD5, 0, kSupRead, 0},
      {"PKS AD, supervisor page", false, true, false, true, 0, kAD5, kSupRead, pf::kP | pf::kPK},
      {"PKS does not cover user pages", false, true, true, true, 0, kAD5, kSupRead, 0},
  };
  for (const Case& c : cases) {
    Tree t;
    t.cpu.cr4_pke = c.pke;
    t.cpu.cr4_pks = c.pks;
    t.cpu.cr0_wp = c.wp;
    t.cpu.pkru = c.pkru;
    t.cpu.pkrs = c.pkrs;
    t.Or(kVa4k, 1, uint64_t{5} << kPkeyShift);
    if (!c.user_page) t.Clear(kVa4k, 1, kUS);
    Translation r = t.Go(kVa4k, c.mode);
    EXPECT_EQ(r.fault.error_code, c.error) << c.name;
    EXPECT_EQ(r.ok, c.error == 0) << c.name;
    EXPECT_EQ(r.pkey, (c.pke || c.pks) ? 5 : 0) << c.name;
  }
}

// With A/D updates: A at every level, D on the leaf for writes only, nothing on a fault (SDM Vol. 3A 4.8).
TEST(Translate, AccessedDirty) {
  auto flags = [](Tree& t, uint64_t va, int leaf_level, uint64_t bit) {
    int n = 0;
    for (int l = 4; l >= leaf_level; --l) n += (t.tb.Get(va, l) & bit) != 0;
    return n;
  };
  {
    Tree t;
    t.cpu.ad_updates = true;
    ASSERT_TRUE(t.Go(kVa4k).ok);
    EXPECT_EQ(flags(t, kVa4k, 1, kA), 4);
    EXPECT_EQ(t.tb.Get(kVa4k, 1) & kD, 0u);
    ASSERT_TRUE(t.Go(kVa2m, {Access::kWrite}).ok);
    EXPECT_EQ(flags(t, kVa2m, 2, kA), 3);
    EXPECT_NE(t.tb.Get(kVa2m, 2) & kD, 0u);
    EXPECT_EQ(t.tb.Get(kVa2m, 3) & kD, 0u);  // D only in the leaf
  }
  {
    Tree t;
    t.cpu.ad_updates = true;
    t.Clear(kVa4k, 1, kRW);
    EXPECT_FALSE(t.Go(kVa4k, {Access::kWrite}).ok);
    EXPECT_EQ(flags(t, kVa4k, 1, kA), 0);
  }
  {
    Tree t;  // updates disabled
    ASSERT_TRUE(t.Go(kVa4k, {Access::kWrite}).ok);
    EXPECT_EQ(flags(t, kVa4k, 1, kA | kD), 0);
  }
}

// The PAT index is PAT*4 + PCD*2 + PWT, with PAT at bit 7 of a PTE and bit 12 of a large leaf (SDM Vol. 3A 12.12.3).
TEST(Translate, PatIndexSelection) {
  // Two PAT values so that every index maps to a type unique to it in one of them.
  const uint64_t pats[] = {
      MakePat({MemType::kWB, MemType::kWT, MemType::kUCMinus, MemType::kUC, MemType::kWC, MemType::kWP,
               MemType::kWB, MemType::kWB}),
      MakePat({MemType::kUC, MemType::kUC, MemType::kUC, MemType::kUC, MemType::kUC, MemType::kUC, MemType::kWC,
               MemType::kWP}),
  };
  for (uint64_t pat : pats) {
    for (int index = 0; index < 8; ++index) {
      for (auto [va, level] : {std::pair{kVa4k, 1}, {kVa2m, 2}, {kVa1g, 3}}) {
        Tree t;
        t.cpu.pat = pat;
        uint64_t pat_bit = level == 1 ? Bit(7) : Bit(12);
        t.Or(va, level, ((index & 4) ? pat_bit : 0) | ((index & 2) ? kPCD : 0) | ((index & 1) ? kPWT : 0));
        Translation r = t.Go(va);
        ASSERT_TRUE(r.ok);
        EXPECT_EQ(r.pat_type, PatEntry(pat, index)) << "index " << index << " level " << level;
      }
    }
  }
  // The power-on PAT maps PCD=1 PWT=1 to UC and the default index 0 to WB.
  Tree t;
  EXPECT_EQ(t.Go(kVa4k).pat_type, MemType::kWB);
  t.Or(kVa4k, 1, kPCD | kPWT);
  EXPECT_EQ(t.Go(kVa4k).pat_type, MemType::kUC);
}

// CR3.PWT/PCD select the type of the top table access; each entry's PWT/PCD the next table's.
TEST(Translate, TableAccessTypes) {
  Tree t;
  t.cpu.cr3 |= kCr3Pcd;
  t.Or(kVa4k, 4, kPWT);
  Translation r = t.Go(kVa4k);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.steps[0].table_type, MemType::kUCMinus);  // index 2
  EXPECT_EQ(r.steps[1].table_type, MemType::kWT);       // index 1
  EXPECT_EQ(r.steps[2].table_type, MemType::kWB);
}

// G counts only with CR4.PGE; the protection key only with CR4.PKE/PKS.
TEST(Translate, GlobalAndKey) {
  Tree t;
  t.Or(kVa4k, 1, kG | (uint64_t{9} << kPkeyShift));
  EXPECT_TRUE(t.Go(kVa4k).global);
  EXPECT_EQ(t.Go(kVa4k).pkey, 0);
  t.cpu.cr4_pge = false;
  t.cpu.cr4_pke = true;
  EXPECT_FALSE(t.Go(kVa4k).global);
  EXPECT_EQ(t.Go(kVa4k).pkey, 9);
  t.Or(kVa4k, 2, kG);  // G in a non-leaf entry is ignored
  t.cpu.cr4_pge = true;
  t.Clear(kVa4k, 1, kG);
  EXPECT_FALSE(t.Go(kVa4k).global);
}

// 5-level paging walks a PML5E first; CR0.PG=0 is the identity; other modes are not modelled.
TEST(Translate, ModesAndFiveLevels) {
  PhysMem mem(52);
  TableBuilder tb(mem, 5);
  const uint64_t va = 0x00ab'cdef'1234'5000ull;  // needs LA57
  tb.Set(va, 1, kPa4k | kLeafFlags);
  CpuState cpu;
  cpu.cr3 = tb.root();
  cpu.cr4_la57 = true;
  Translation r = Translate(mem, cpu, va, {});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.pa, kPa4k);
  EXPECT_EQ(r.step_count, 5);
  EXPECT_EQ(r.steps[0].level, 5);
  cpu.cr4_la57 = false;
  EXPECT_EQ(Translate(mem, cpu, va, {}).fault.vector, kVectorGP);
  cpu.cr0_pg = false;
  EXPECT_EQ(Translate(mem, cpu, va, {}).pa, va);
  cpu.cr0_pg = true;
  cpu.efer_lme = false;
  r = Translate(mem, cpu, va, {});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.fault.vector, 0);
}

}  // namespace
}  // namespace bootmap::emu
