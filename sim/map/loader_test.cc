#include "sim/map/loader.h"

#include <gtest/gtest.h>

namespace bootmap::map {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

MemoryMap Ram() {
  MemoryMap m;
  m.cpu.maxphyaddr = 36;
  m.e820 = {{0, 0x9f000, e820::kUsable}, {kMiB, 63 * kMiB, e820::kUsable}};
  return m;
}

/** No used ranges: 2 MiB at 1 MiB, split into code (half), data and stack (an eighth). */
TEST(LoaderFootprint, DefaultAtOneMiB) {
  MemoryMap m = Ram();
  std::string error;
  const std::string said = AddLoaderFootprint(&m, std::nullopt, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(said, "the map names no used ranges: assumed a loader footprint 0x100000+2 MiB (code, data, stack: "
                  "halves and an eighth); --loader BASE:SIZE sets it");
  ASSERT_EQ(m.used.size(), 3u);
  EXPECT_EQ(m.used[0], (UsedRange{"loader-code", kMiB, kMiB, RangeRole::kCode}));
  EXPECT_EQ(m.used[1], (UsedRange{"loader-data", 2 * kMiB, 0xc0000, RangeRole::kData}));
  EXPECT_EQ(m.used[2], (UsedRange{"loader-stack", 2 * kMiB + 0xc0000, 0x40000, RangeRole::kStack}));
}

/** Used ranges that name no code: the footprint is still assumed, placed clear of them. */
TEST(LoaderFootprint, NoCodeRangeStillAssumedClearOfUsedRanges) {
  MemoryMap m = Ram();
  m.used = {{"boot-info", kMiB + 0x3000, 0x1000, RangeRole::kBootInfo}, {"kernel", 2 * kMiB, kMiB, RangeRole::kData}};
  std::string error;
  const std::string said = AddLoaderFootprint(&m, std::nullopt, &error);
  EXPECT_EQ(said.rfind("the map names no code range: assumed a loader footprint 0x300000+2 MiB", 0), 0u) << said;
  ASSERT_EQ(m.used.size(), 5u);
  EXPECT_EQ(m.used[2].base, 3 * kMiB);
  EXPECT_EQ(m.used[2].role, RangeRole::kCode);
}

/** A used code range says where the loader runs: nothing is assumed. */
TEST(LoaderFootprint, CodeRangeNamedNothingAssumed) {
  MemoryMap m = Ram();
  m.used = {{"loader", 4 * kMiB, kMiB, RangeRole::kCode}};
  std::string error;
  EXPECT_EQ(AddLoaderFootprint(&m, std::nullopt, &error), "");
  EXPECT_EQ(m.used.size(), 1u);
}

/** No free 2 MiB of usable RAM at or above 1 MiB: said, nothing added. */
TEST(LoaderFootprint, NoRoomSaysSo) {
  MemoryMap m = Ram();
  m.used = {{"kernel", kMiB, 62 * kMiB, RangeRole::kData}};
  std::string error;
  const std::string said = AddLoaderFootprint(&m, std::nullopt, &error);
  EXPECT_NE(said.find("no free 2 MiB of usable RAM"), std::string::npos) << said;
  EXPECT_EQ(m.used.size(), 1u);
}

/** --loader: taken as given when aligned and at least 64 KiB, else an error naming it. */
TEST(LoaderFootprint, GivenFootprint) {
  MemoryMap m = Ram();
  std::string error;
  EXPECT_NE(AddLoaderFootprint(&m, LoaderFootprint{8 * kMiB, kMiB}, &error).find("from --loader"), std::string::npos);
  EXPECT_EQ(m.used.size(), 3u);
  MemoryMap bad = Ram();
  EXPECT_EQ(AddLoaderFootprint(&bad, LoaderFootprint{8 * kMiB + 1, kMiB}, &error), "");
  EXPECT_EQ(error, "--loader 0x800001:0x100000: base and size must be 4 KiB aligned, size at least 64 KiB, "
                   "end below 2^MAXPHYADDR");
  EXPECT_TRUE(bad.used.empty());
}

}  // namespace
}  // namespace bootmap::map
