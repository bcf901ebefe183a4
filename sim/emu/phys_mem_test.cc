#include "sim/emu/phys_mem.h"

#include "sim/emu/flat_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>
#include <utility>

namespace bootmap::emu {
namespace {

// Never-written memory reads as zero and allocates nothing; writes allocate one frame each.
TEST(PhysMem, SparseZeroFill) {
  PhysMem mem(46);
  EXPECT_EQ(mem.Read64(0x1234'5000), 0u);
  EXPECT_EQ(mem.FrameForRead(0x1234'5000), nullptr);
  EXPECT_EQ(mem.frames(), 0u);
  mem.Write64(0x1234'5008, 42);
  EXPECT_EQ(mem.Read64(0x1234'5008), 42u);
  EXPECT_EQ(mem.Read64(0x1234'5000), 0u);
  EXPECT_EQ(mem.frames(), 1u);
}

// Addresses at or above 2^MAXPHYADDR are outside memory.
TEST(PhysMem, Range) {
  PhysMem mem(36);
  EXPECT_EQ(mem.FrameForWrite(uint64_t{1} << 36), nullptr);
  EXPECT_NE(mem.FrameForWrite((uint64_t{1} << 36) - 1), nullptr);
  uint8_t bytes[16] = {1};
  EXPECT_FALSE(mem.WriteBytes((uint64_t{1} << 36) - 8, bytes, 16));
}

// Many frames stay addressable and distinct (the index grows), and ForEachFrame visits each once.
TEST(PhysMem, ManyFrames) {
  PhysMem mem(52);
  const uint64_t n = 50000;
  for (uint64_t i = 0; i < n; ++i) mem.Write64(i * 0x10'0000'0000ull % (uint64_t{1} << 52) + i * 4096, i + 1);
  EXPECT_EQ(mem.frames(), n);
  for (uint64_t i = 0; i < n; i += 997) {
    EXPECT_EQ(mem.Read64(i * 0x10'0000'0000ull % (uint64_t{1} << 52) + i * 4096), i + 1);
  }
  uint64_t seen = 0;
  mem.ForEachFrame([&](uint64_t, const uint8_t*) { ++seen; });
  EXPECT_EQ(seen, n);
  mem.Clear();
  EXPECT_EQ(mem.frames(), 0u);
  EXPECT_EQ(mem.Read64(4096), 0u);
}

// ForEachFrame gives each written frame's own address and bytes: both sides of a 2 MiB
// block edge, a block's last frame, and the top of a 52-bit space.
TEST(PhysMem, ForEachFrameGivesEachFramesAddress) {
  PhysMem mem(52);
  const uint64_t frames[] = {0x1ff000, 0x200000, 0x3ff000, 0x5000, (uint64_t{1} << 52) - 4096};
  for (uint64_t pa : frames) mem.Write64(pa + 8, pa ^ 0x55);
  std::vector<uint64_t> seen;
  mem.ForEachFrame([&](uint64_t pa, const uint8_t* bytes) {
    uint64_t v;
    std::memcpy(&v, bytes + 8, 8);
    EXPECT_EQ(v, pa ^ 0x55) << std::hex << pa;
    seen.push_back(pa);
  });
  std::sort(seen.begin(), seen.end());
  std::vector<uint64_t> want(std::begin(frames), std::end(frames));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);
  EXPECT_EQ(mem.frames(), 5u);
}

// FrameSet counts each frame once and lists them ascending, across blocks inserted out of order.
TEST(FrameSet, SortedListsEachFrameOnceAscending) {
  FrameSet set;
  const uint64_t frames[] = {(uint64_t{1} << 51) + 0x3000, 0x200000, 0x1ff000, 0x5000, 0x1ff000, 0x40000, 0x7000};
  size_t inserted = 0;
  for (uint64_t pa : frames) inserted += set.Insert(pa);
  EXPECT_EQ(inserted, 6u);
  EXPECT_EQ(set.size(), 6u);
  EXPECT_EQ(set.Sorted(),
            (std::vector<uint64_t>{0x5000, 0x7000, 0x40000, 0x1ff000, 0x200000, (uint64_t{1} << 51) + 0x3000}));
}

// The frame-pointer cache never serves a frame to another PhysMem, after Clear(), or after a move.
TEST(PhysMem, FrameCacheIsPerInstance) {
  alignas(PhysMem) unsigned char storage[sizeof(PhysMem)];
  auto* a = new (storage) PhysMem(46);
  a->Write64(0x5000, 7);
  EXPECT_EQ(a->Read64(0x5000), 7u);  // cached now
  a->~PhysMem();
  auto* b = new (storage) PhysMem(46);  // same address, new instance
  EXPECT_EQ(b->Read64(0x5000), 0u);
  b->Write64(0x5000, 9);
  EXPECT_EQ(b->Read64(0x5000), 9u);
  b->Clear();
  EXPECT_EQ(b->Read64(0x5000), 0u);
  b->Write64(0x5000, 11);
  EXPECT_EQ(b->Read64(0x5000), 11u);
  PhysMem moved(std::move(*b));
  EXPECT_EQ(moved.Read64(0x5000), 11u);
  EXPECT_EQ(b->Read64(0x5000), 0u);
  EXPECT_EQ(b->frames(), 0u);
  b->~PhysMem();
}

}  // namespace
}  // namespace bootmap::emu
