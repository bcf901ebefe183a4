#include "sim/core/frame_alloc.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/core/test_support.h"

namespace bootmap::core {
namespace {

constexpr uint64_t kMiB = 1 << 20;

bool Inside(uint64_t pa, uint64_t base, uint64_t size) { return pa >= base && pa - base < size; }

// Frames come only from allocatable RAM at or above 1 MiB, outside exclusions,
// below the ceiling, each once; then the pool runs dry.
TEST(FrameAlloc, OnlyAllowedFramesEachOnce) {
  std::vector<RegionInfo> regions = {
      {0, 0x9f000, RegionKind::kUsable, 0},
      {0x100000, 3 * kMiB, RegionKind::kUsable, 0},
      {4 * kMiB, kMiB, RegionKind::kAcpiReclaim, 0},
      {5 * kMiB, 2 * kMiB, RegionKind::kBootServices, 0},
      {7 * kMiB, kMiB, RegionKind::kRuntimeData, 0},
      {8 * kMiB, 8 * kMiB, RegionKind::kUsable, 0},
  };
  std::vector<PhysRange> exclude = {{0x180000, 0x1000}, {0x1ff800, 0x1000}, {5 * kMiB, kMiB}};
  FramePolicy policy;
  policy.regions = regions.data();
  policy.region_count = regions.size();
  policy.exclude = exclude.data();
  policy.exclude_count = exclude.size();
  policy.ceiling = 10 * kMiB;
  testing::HostMemory mem;
  RegionFrameAllocator alloc(policy, mem.Window());
  const uint64_t expected = (3 * kMiB - 0x1000 - 0x2000) / 4096 + kMiB / 4096 + 2 * kMiB / 4096;
  EXPECT_TRUE(alloc.Reserve(expected));
  EXPECT_FALSE(alloc.Reserve(expected + 1));
  std::vector<uint64_t> got;
  uint64_t pa;
  while (alloc.Allocate(&pa)) got.push_back(pa);
  EXPECT_EQ(got.size(), expected);
  for (size_t i = 0; i < got.size(); ++i) {
    if (i) {
      EXPECT_GT(got[i], got[i - 1]);
    }
    EXPECT_GE(got[i], kMiB);
    EXPECT_LE(got[i] + 4096, 10 * kMiB);
    for (const PhysRange& x : exclude) EXPECT_FALSE(Inside(got[i], x.base, x.size)) << std::hex << got[i];
    bool allocatable = false;
    for (const RegionInfo& r : regions)
      allocatable |= Inside(got[i], r.base, r.size) && IsAllocatable(r.kind);
    EXPECT_TRUE(allocatable) << std::hex << got[i];
  }
}

// Frames come back untouched: zeroing is not the allocator's job (memory.h).
TEST(FrameAlloc, LeavesFramesUntouched) {
  std::vector<RegionInfo> regions = {{kMiB, kMiB, RegionKind::kUsable, 0}};
  FramePolicy policy;
  policy.regions = regions.data();
  policy.region_count = 1;
  testing::HostMemory mem;
  mem.Table(kMiB)[5] = 42;
  RegionFrameAllocator alloc(policy, mem.Window());
  uint64_t pa;
  ASSERT_TRUE(alloc.Allocate(&pa));
  EXPECT_EQ(pa, kMiB);
  EXPECT_EQ(mem.Table(kMiB)[5], 42u);
}

// Frames the physical window cannot reach are never handed out, and Reserve does not
// count them: after Reserve(n) succeeds, n Allocate calls succeed.
TEST(FrameAlloc, UnreachableFramesAreSkippedAndNotReserved) {
  std::vector<RegionInfo> regions = {{kMiB, 8 * 4096, RegionKind::kUsable, 0}};
  FramePolicy policy;
  policy.regions = regions.data();
  policy.region_count = 1;
  testing::HostMemory mem;
  struct Holes {
    testing::HostMemory* mem;
    static bool Hole(uint64_t pa) { return pa == kMiB || pa == kMiB + 3 * 4096 || pa == kMiB + 7 * 4096; }
  } holes{&mem};
  PhysWindow window{&holes, [](void* c, uint64_t pa) -> uint64_t* {
                      return Holes::Hole(pa) ? nullptr : static_cast<Holes*>(c)->mem->Table(pa);
                    }};
  RegionFrameAllocator alloc(policy, window);
  EXPECT_TRUE(alloc.Reserve(5));
  EXPECT_FALSE(alloc.Reserve(6));
  // With PhysWindow::reaches, Reserve answers without touching a frame.
  PhysWindow asks = window;
  asks.table = [](void*, uint64_t) -> uint64_t* { ADD_FAILURE() << "Reserve touched a frame"; return nullptr; };
  asks.reaches = [](void*, uint64_t pa) { return !Holes::Hole(pa); };
  EXPECT_TRUE(RegionFrameAllocator(policy, asks).Reserve(5));
  EXPECT_FALSE(RegionFrameAllocator(policy, asks).Reserve(6));
  std::vector<uint64_t> got;
  uint64_t pa;
  while (alloc.Allocate(&pa)) {
    got.push_back(pa);
    EXPECT_FALSE(Holes::Hole(pa));
    EXPECT_TRUE(alloc.Reserve(5 - got.size()));
    EXPECT_FALSE(alloc.Reserve(6 - got.size()));
  }
  EXPECT_EQ(got.size(), 5u);
}

}  // namespace
}  // namespace bootmap::core
