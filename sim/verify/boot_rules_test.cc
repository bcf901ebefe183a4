// Each rule added with the specification, broken on purpose: exactly its code is reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "sim/verify/spec.h"
#include "sim/verify/test_world.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {
namespace {

using testing::kDirect;
using testing::kFirstFrame;
using testing::kGiB;
using testing::kKernel;
using testing::kMiB;
using testing::World;
namespace x = emu::ia32e;

constexpr uint64_t kLowPte = kDirect + 0x150000;  // a 4 KiB direct-map leaf

std::map<std::string_view, uint64_t> Codes(const Report& r) {
  std::map<std::string_view, uint64_t> m;
  for (int c = 0; c < kCodeCount; ++c)
    if (r.by_code[c]) m[CodeName(Code(c))] = r.by_code[c];
  return m;
}
std::string Dump(const Report& r) {
  std::string s = r.error + "\n";
  for (const Violation& v : r.violations) s += std::string(CodeName(v.code)) + ": " + v.message + "\n";
  return s;
}
using CodeCounts = std::map<std::string_view, uint64_t>;

void SortRegions(World* w) {
  std::sort(w->in.regions.begin(), w->in.regions.end(),
            [](const map::Region& a, const map::Region& b) { return a.base < b.base; });
}

World Built() {
  World w;
  w.Build();
  return w;
}

/** A leaf with G set where the window asks for none: wrong-global. */
TEST(BootRules, GlobalBitIsChecked) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) | x::kG);
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"wrong-global", 1}})) << Dump(r);
}

/** A protection key on a leaf (with CR4.PKE): wrong-pkey. */
TEST(BootRules, ProtectionKeyIsChecked) {
  World w = Built();
  w.in.cpu.cr4_pke = true;
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) | (uint64_t{5} << 59));
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"wrong-pkey", 1}})) << Dump(r);
}

/** 2 MiB leaves under a 4 KiB cap: page-over-cap. */
TEST(BootRules, PageCapIsChecked) {
  World w = Built();
  w.in.expected[0].max_page = 0x1000;  // kernel-text, built with 2 MiB pages
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"page-over-cap", 1}})) << Dump(r);
}

/** Two windows over the same bytes: the smaller cap applies, whichever comes first. */
TEST(BootRules, SmallestCapWinsInEitherOrder) {
  for (bool small_first : {false, true}) {
    World w;
    Expected extra = w.in.expected[1];  // direct map of [0, 0x9f000)
    extra.max_page = 0x1000;
    extra.window = 3;
    if (small_first) w.in.expected.insert(w.in.expected.begin(), extra);
    else w.in.expected.push_back(extra);
    w.Build();  // the test writer takes each expectation's own cap: 4 KiB pages here anyway
    const Report r = w.Check();
    EXPECT_TRUE(r.verified) << Dump(r);
    for (const Expected& e : r.spec) {
      if (e.va == kDirect) {
        EXPECT_EQ(e.max_page, 0x1000u) << small_first;
      }
    }
  }
}

/** A transition range holding data mapped read-execute: transition-permissions. */
TEST(BootRules, DataTransitionMustBeWritableNx) {
  World w;
  w.in.windows.push_back("transition");
  w.in.expected.push_back(testing::Map(2 * kMiB, 2 * kMiB, 0x1000, false, false, MemType::kWB, kGiB, 4));
  w.in.transition = {{2 * kMiB, 0x1000, RangeRole::kStack}};
  w.Build();
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"transition-permissions", 1}})) << Dump(r);
}

/** A table frame inside a transition range (mapped identically): table-overlaps-transition. */
TEST(BootRules, TableFrameOnTransitionRange) {
  World w;
  w.in.windows.push_back("transition");
  w.in.expected.push_back(testing::Map(kFirstFrame, kFirstFrame, 0x1000, true, true, MemType::kWB, kGiB, 4));
  w.in.transition = {{kFirstFrame, 0x1000, RangeRole::kData}};
  w.Build();
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"table-overlaps-transition", 1}})) << Dump(r);
}

/** An EFI_MEMORY_RUNTIME MMIO region nobody maps: efi-runtime-unmapped. */
TEST(BootRules, RuntimeMmioMustBeMapped) {
  World w = Built();
  w.in.regions.push_back({0xfed00000, 0x1000, RegionKind::kMmio, map::efi_attr::kRuntime | map::efi_attr::kUC});
  SortRegions(&w);
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"efi-runtime-unmapped", 1}})) << Dump(r);
}

/** Runtime data whose attributes allow only UC, mapped WB: efi-runtime-memtype. */
TEST(BootRules, RuntimeTypeFollowsAttributes) {
  World w;
  w.in.regions.push_back({0x90000000, 0x1000, RegionKind::kRuntimeData, map::efi_attr::kRuntime | map::efi_attr::kUC});
  SortRegions(&w);
  w.in.windows.push_back("runtime");
  w.in.expected.push_back(testing::Map(0x90000000, 0x90000000, 0x1000, true, true, MemType::kWB, kGiB, 4));
  w.Build();
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"efi-runtime-memtype", 1}})) << Dump(r);
}

/** Usable RAM no expectation covers (and the tables agree): ram-unmapped. */
TEST(BootRules, RamNoWindowMaps) {
  World w;
  w.in.expected.erase(w.in.expected.begin() + 3);  // the direct map of [4 GiB, 6 GiB)
  w.Build();
  const Report r = w.Check();
  EXPECT_EQ(Codes(r), (CodeCounts{{"ram-unmapped", 1}})) << Dump(r);
}

/** No MTRRs: cacheable-non-ram is counted as assumed, and the assumption is said. */
TEST(BootRules, NoMtrrVerdictIsAnAssumption) {
  World w;
  w.in.map.mtrr.reset();
  w.cuts.clear();
  w.in.expected[4].type = MemType::kWB;  // the MMIO window, write-back
  w.Build();
  const Report r = w.Check();
  EXPECT_TRUE(r.verified) << Dump(r);
  EXPECT_EQ(r.assumed_by_code[int(Code::kCacheableNonRam)], 1u);
  ASSERT_EQ(r.assumptions.size(), 1u);
  EXPECT_NE(r.assumptions[0].find("no MTRRs given"), std::string::npos);
}

}  // namespace
}  // namespace bootmap::verify
