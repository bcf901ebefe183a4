// The specification from layout data alone, against expectations worked out by hand.
#include "sim/verify/spec.h"

#include <gtest/gtest.h>

namespace bootmap::verify {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20, kGiB = uint64_t{1} << 30;
constexpr uint32_t kUsable = 1u << uint32_t(RegionKind::kUsable);

// usable [0x1000, 0x9f000), reserved [0xf0000, 1 MiB), usable [1 MiB, 3 MiB + 4 KiB).
map::MemoryMap SmallMap() {
  map::MemoryMap m;
  m.e820 = {{0x1000, 0x9e000, map::e820::kUsable},
            {0xf0000, 0x10000, map::e820::kReserved},
            {kMiB, 2 * kMiB + 0x1000, map::e820::kUsable}};
  return m;
}

Spec Derive(const map::MemoryMap& m, const LayoutSpec& l, const std::vector<WindowOutcome>& o = {}) {
  return DeriveSpec(m, map::Normalize(m).regions, l, Format::kIa32e4, o);
}

/** Usable regions, rounded out to 2 MiB, identity: [0, 2 MiB) and [0, 4 MiB) overlap-free pieces. */
TEST(Spec, SelectsRoundsAndTypesRegions) {
  WindowSpec w;
  w.kinds = kUsable;
  w.round = 2 * kMiB;
  const Spec s = Derive(SmallMap(), {{w}, {}});
  ASSERT_EQ(s.expected.size(), 2u);
  EXPECT_EQ(s.expected[0].pa, 0u);  // 0x1000 rounded down
  EXPECT_EQ(s.expected[0].size, 2 * kMiB);
  EXPECT_EQ(s.expected[1].pa, 0u);  // 1 MiB rounded down to 0, 3 MiB + 4 KiB up to 4 MiB
  EXPECT_EQ(s.expected[1].size, 4 * kMiB);
  EXPECT_EQ(s.expected[1].type, MemType::kWB);
  EXPECT_EQ(s.expected[1].va, s.expected[1].pa);
  EXPECT_TRUE(s.problems.empty());
}

/** A whole span takes the holes (UC) but not unselected regions. */
TEST(Spec, WholeSpanTakesHolesNotOtherRegions) {
  WindowSpec w;
  w.kinds = kUsable;
  w.whole_span = true;
  const Spec s = Derive(SmallMap(), {{w}, {}});
  // [0, 0x1000) hole, [0x1000, 0x9f000) RAM, [0x9f000, 0xf0000) hole, [1 MiB, 3 MiB + 4 KiB) RAM.
  uint64_t hole_bytes = 0, ram_bytes = 0;
  for (const Expected& e : s.expected) (e.type == MemType::kUC ? hole_bytes : ram_bytes) += e.size;
  EXPECT_EQ(hole_bytes, 0x1000u + (0xf0000 - 0x9f000));
  EXPECT_EQ(ram_bytes, 0x9e000u + 2 * kMiB + 0x1000);
}

/** A used range over RAM and reserved memory: WB where RAM, UC elsewhere; linear from its lowest pa. */
TEST(Spec, UsedRangeTakesRegionTypesLinear) {
  map::MemoryMap m = SmallMap();
  m.used = {{"kernel", 0xe0000, 0x30000}};  // hole [0xe0000, 0xf0000), reserved, RAM [1 MiB, +0x10000)
  WindowSpec w;
  w.used = true;
  w.placement = Placement::kLinear;
  w.base = 0xffffffff80000000ull;
  const Spec s = Derive(m, {{w}, {}});
  ASSERT_EQ(s.expected.size(), 3u);
  EXPECT_EQ(s.expected[0].va, 0xffffffff80000000ull);
  EXPECT_EQ(s.expected[0].type, MemType::kUC);  // hole
  EXPECT_EQ(s.expected[1].type, MemType::kUC);  // reserved
  EXPECT_EQ(s.expected[2].type, MemType::kWB);  // RAM
  EXPECT_EQ(s.expected[2].va, 0xffffffff80000000ull + 0x20000);
}

/** Transition windows take only the roles they name; the default transition is the used ranges. */
TEST(Spec, TransitionRolesSelect) {
  map::MemoryMap m = SmallMap();
  m.used = {{"code", kMiB, 0x1000, RangeRole::kCode}, {"stack", kMiB + 0x1000, 0x1000, RangeRole::kStack}};
  WindowSpec w;
  w.transition = true;
  w.transition_roles = RoleBit(RangeRole::kCode);
  const Spec s = Derive(m, {{w}, {}});
  ASSERT_EQ(s.transition.size(), 2u);
  ASSERT_EQ(s.expected.size(), 1u);
  EXPECT_EQ(s.expected[0].pa, kMiB);
}

/** Auto offsets are checked: slot-aligned, free, upper half; a left-out window is a problem. */
TEST(Spec, AutoOffsetsAreCheckedNotTrusted) {
  WindowSpec a;
  a.kinds = kUsable;
  a.placement = Placement::kAuto;
  WindowSpec fixed = a;
  fixed.placement = Placement::kOffset;
  fixed.base = 0xffff800000000000ull;  // slot 256
  const uint64_t good = 0xffff808000000000ull;  // slot 257
  EXPECT_TRUE(Derive(SmallMap(), {{a, fixed}, {}}, {{false, good}, {}}).problems.empty());
  EXPECT_EQ(Derive(SmallMap(), {{a, fixed}, {}}, {{false, good + 0x1000}, {}}).problems.size(), 1u);  // misaligned
  EXPECT_EQ(Derive(SmallMap(), {{a, fixed}, {}}, {{false, fixed.base}, {}}).problems.size(), 0u);    // same offset
  WindowSpec other = fixed;
  other.base = 0xffff800000000000ull + kGiB;  // slot 256 too, another offset
  EXPECT_EQ(Derive(SmallMap(), {{a, other}, {}}, {{false, 0xffff800000000000ull}, {}}).problems.size(), 1u);
  EXPECT_EQ(Derive(SmallMap(), {{a}, {}}, {{false, 0}}).problems.size(), 1u);  // the low half
  const Spec left = Derive(SmallMap(), {{a}, {}}, {{true, std::nullopt}});
  ASSERT_EQ(left.problems.size(), 1u);
  EXPECT_TRUE(left.problems[0].left_out);
  EXPECT_TRUE(left.expected.empty());
}

}  // namespace
}  // namespace bootmap::verify
