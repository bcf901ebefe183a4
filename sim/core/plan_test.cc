#include "sim/core/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace bootmap::core {
namespace {

constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024, kTiB = kGiB * 1024;

struct Planned {
  Result<size_t> result;
  std::vector<MapRequest> requests;
  std::vector<WindowPlacement> windows;
};

struct Bounds2 {
  uint64_t lo, hi;
};

Planned RunPlan(PlanInput in, std::vector<Window> windows, size_t capacity = 4096) {
  Planned p;
  in.layout.windows = windows.data();
  in.layout.window_count = windows.size();
  p.requests.resize(capacity);
  p.windows.resize(windows.size());
  PlanOutput out{p.requests.data(), capacity, p.windows.data()};
  p.result = Plan(in, &out);
  p.requests.resize(p.result.ok() ? p.result.value : 0);
  return p;
}

Window DirectMap(uint32_t max_slots = 0) {
  Window w;
  w.name = "direct";
  w.kinds = RamLikeKinds();
  w.placement = Placement::kAuto;
  w.max_slots = max_slots;
  return w;
}

PlanInput WithRam(const std::vector<RegionInfo>* regions, uint8_t maxphyaddr = 52) {
  PlanInput in;
  in.regions = regions->data();
  in.region_count = regions->size();
  in.cpu.maxphyaddr = maxphyaddr;
  return in;
}

// One window of the used ranges over `regions`.
Planned PlanUsed(std::vector<RegionInfo> regions, std::vector<NamedRange> used) {
  PlanInput in = WithRam(&regions);
  in.used = used.data();
  in.used_count = used.size();
  Window w;
  w.sources = kSourceUsed;
  return RunPlan(in, {w});
}

// An `auto` window of exactly 512 GiB takes one PML4 slot; 4 KiB more takes two.
TEST(Offset, SlotCountEdges) {
  for (uint64_t size : {512 * kGiB, 512 * kGiB + 4 * kKiB}) {
    std::vector<RegionInfo> regions = {{0, size, RegionKind::kUsable, 0}};
    Planned p = RunPlan(WithRam(&regions), {DirectMap()});
    ASSERT_TRUE(p.result.ok()) << p.result.error.reason;
    EXPECT_EQ(p.windows[0].slot_count, size == 512 * kGiB ? 1u : 2u);
    EXPECT_GE(p.windows[0].first_slot, 256u);
    EXPECT_EQ(p.windows[0].offset % (512 * kGiB), 0u);
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].va, p.windows[0].va_lo);
  }
}

// A window limited to one slot (bootloader 0.10) fails with the slots it needed.
TEST(Offset, TooManySlotsForLegacyLimit) {
  std::vector<RegionInfo> regions = {{0, kTiB, RegionKind::kUsable, 0}};
  Planned p = RunPlan(WithRam(&regions), {DirectMap(1)});
  EXPECT_EQ(p.result.error.status, Status::kTooManySlots);
  EXPECT_EQ(p.result.error.needed, 2u);
  EXPECT_EQ(p.result.error.request, 0u);
}

// When every kernel-half slot is taken no run exists; 5-level paging has room.
TEST(Offset, AllSlotsUsedThen5Level) {
  // 255 free kernel-half slots (256..510); a 255-slot window fits, a second one cannot.
  std::vector<RegionInfo> regions = {{0, 255 * 512 * kGiB, RegionKind::kUsable, 0}};
  Planned ok = RunPlan(WithRam(&regions), {DirectMap()});
  ASSERT_TRUE(ok.result.ok()) << ok.result.error.reason;
  EXPECT_EQ(ok.windows[0].first_slot, 256u);
  EXPECT_EQ(ok.windows[0].slot_count, 255u);
  Planned full = RunPlan(WithRam(&regions), {DirectMap(), DirectMap()});
  EXPECT_EQ(full.result.error.status, Status::kNoSlots);
  EXPECT_EQ(full.result.error.request, 1u);
  EXPECT_EQ(full.result.error.needed, 255u);
  PlanInput in5 = WithRam(&regions);
  in5.paging = Paging::kX86Level5;
  Planned five = RunPlan(in5, {DirectMap(), DirectMap()});
  ASSERT_TRUE(five.result.ok()) << five.result.error.reason;
  EXPECT_EQ(five.windows[0].slot_count, 1u);
  EXPECT_NE(five.windows[0].first_slot, five.windows[1].first_slot);
}

// A seed picks among all fitting runs, the same way every time.
TEST(Offset, SeedIsDeterministicAndVaries) {
  std::vector<RegionInfo> regions = {{0, 8 * kGiB, RegionKind::kUsable, 0}};
  std::set<uint64_t> offsets;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    PlanInput in = WithRam(&regions);
    in.seed = seed;
    Planned a = RunPlan(in, {DirectMap()});
    Planned b = RunPlan(in, {DirectMap()});
    ASSERT_TRUE(a.result.ok());
    EXPECT_EQ(a.windows[0].offset, b.windows[0].offset);
    EXPECT_EQ(a.requests[0].va, b.requests[0].va);
    offsets.insert(a.windows[0].offset);
  }
  EXPECT_GT(offsets.size(), 8u);
}

// Slots taken by fixed windows and the kernel-image slot are never chosen.
TEST(Offset, AvoidsFixedWindowsAndKernelSlot) {
  std::vector<RegionInfo> regions = {{0, 4 * kGiB, RegionKind::kUsable, 0}};
  Window fixed = DirectMap();
  fixed.placement = Placement::kOffset;
  fixed.base = 0xffff800000000000ull;  // slot 256
  for (uint64_t seed = 0; seed < 64; ++seed) {
    PlanInput in = WithRam(&regions);
    in.seed = seed;
    Planned p = RunPlan(in, {fixed, DirectMap()});
    ASSERT_TRUE(p.result.ok());
    EXPECT_NE(p.windows[1].first_slot, 256u);
    EXPECT_NE(p.windows[1].first_slot, 511u);
  }
}

// Requests never span an MTRR type boundary, even inside one region.
TEST(Plan, SplitsAtMtrrBoundaries) {
  std::vector<RegionInfo> regions = {{0, 8 * kGiB, RegionKind::kUsable, 0}};
  std::vector<TypeRange> mtrr = {{0, 3 * kGiB + 2 * kMiB, MemType::kWB},
                                 {3 * kGiB + 2 * kMiB, kGiB - 2 * kMiB, MemType::kUC},
                                 {4 * kGiB, 4 * kGiB, MemType::kWB}};
  PlanInput in = WithRam(&regions);
  in.mtrr = mtrr.data();
  in.mtrr_count = mtrr.size();
  Window id;
  id.kinds = kAllKinds;
  Planned p = RunPlan(in, {id});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 3u);
  for (const MapRequest& r : p.requests)
    for (const TypeRange& t : mtrr)
      EXPECT_FALSE(r.pa < t.base + t.size && t.base < r.pa + r.size &&
                   !(t.base <= r.pa && r.pa + r.size <= t.base + t.size));
}

// A framebuffer that a map puts inside RAM is a type boundary too: no direct-map request
// crosses its edges, so no large page gives it the RAM's type (found by build_verify_fuzzer).
TEST(Plan, SplitsAtFramebufferEdges) {
  std::vector<RegionInfo> regions = {{0, 4 * kGiB, RegionKind::kUsable, 0}};
  PlanInput in = WithRam(&regions);
  in.has_framebuffer = true;
  in.framebuffer = {kGiB + 6 * kMiB, 2 * kMiB};
  Planned p = RunPlan(in, {DirectMap()});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 3u);
  for (const MapRequest& r : p.requests) {
    for (uint64_t edge : {in.framebuffer.base, in.framebuffer.base + in.framebuffer.size})
      EXPECT_FALSE(r.pa < edge && edge < r.pa + r.size) << std::hex << r.pa << "+" << r.size;
  }
}

// A used range is write-back only where it lies in RAM: over reserved memory or a hole
// it keeps their uncached type (found by build_verify_fuzzer: cacheable-non-ram).
TEST(Plan, UsedRangeOverReservedIsNotCached) {
  Planned p = PlanUsed({{0, 2 * kMiB, RegionKind::kUsable, 0}, {2 * kMiB, 2 * kMiB, RegionKind::kReserved, 0}},
                       {{kMiB, 4 * kMiB, "kernel"}});  // RAM, reserved, then a hole
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].pa, kMiB);
  EXPECT_EQ(p.requests[0].size, kMiB);
  EXPECT_EQ(p.requests[0].type, MemType::kWB);
  EXPECT_EQ(p.requests[1].pa, 2 * kMiB);
  EXPECT_EQ(p.requests[1].size, 3 * kMiB);
  EXPECT_EQ(p.requests[1].type, MemType::kUC);
}

// A used range over RAM whose EFI attributes allow only UC is UC, as the region is for
// any window (found by build_verify_fuzzer: a 2 MiB page spanning that UC loader data
// and write-back runtime code).
TEST(Plan, UsedRangeTakesTheRamsEfiCacheability) {
  constexpr uint64_t kEfiUc = 1, kEfiWb = 8;  // EFI_MEMORY_UC, EFI_MEMORY_WB
  Planned p = PlanUsed({{0, 2 * kMiB, RegionKind::kLoader, kEfiUc},
                        {2 * kMiB, 2 * kMiB, RegionKind::kRuntimeCode, kEfiUc | kEfiWb}},
                       {{0, 4 * kMiB, "kernel"}});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].size, 2 * kMiB);
  EXPECT_EQ(p.requests[0].type, MemType::kUC);
  EXPECT_EQ(p.requests[1].pa, 2 * kMiB);
  EXPECT_EQ(p.requests[1].type, MemType::kWB);
}

// Overlapping ranges of one window, listed out of order, become one request, so the
// builder can take the largest pages over their union (found by build_verify_fuzzer:
// leaves-not-minimal).
TEST(Plan, OverlappingRangesOfAWindowMerge) {
  Planned p = PlanUsed({{0, 64 * kMiB, RegionKind::kUsable, 0}},
                       {{14 * kMiB, 12 * kMiB, "initrd"}, {0, 16 * kMiB + 4096, "kernel"}});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].pa, 0u);
  EXPECT_EQ(p.requests[0].size, 26 * kMiB);
}

// Found by build_verify_fuzzer: a used range overlapping the RAM window of another
// window with the same mapping was built first, so its page table blocked the 2 MiB page
// the second window's run could take. Same-mapping runs merge across windows.
TEST(Plan, SameMappingRunsMergeAcrossWindows) {
  std::vector<RegionInfo> regions = {{0, 64 * kMiB, RegionKind::kUsable, 0}};
  PlanInput in = WithRam(&regions);
  const NamedRange kernel{7 * kMiB, 3 * kMiB + 4096, "kernel"};
  in.used = &kernel;
  in.used_count = 1;
  Window used;
  used.name = "transition";
  used.sources = kSourceUsed;
  Window ram;
  ram.name = "ram";
  ram.kinds = RamLikeKinds();
  ram.min_addr = 8 * kMiB + 4096;
  Planned p = RunPlan(in, {used, ram});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].pa, 7 * kMiB);
  EXPECT_EQ(p.requests[0].size, 57 * kMiB);
  EXPECT_EQ(p.requests[0].window, 0u);
  ram.max_level = kLevel4K;  // a smaller cap: the overlap and the rest of ram take it
  p = RunPlan(in, {used, ram});
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].size, 8 * kMiB + 4096 - 7 * kMiB);
  EXPECT_EQ(p.requests[0].max_level, kLevel1G);
  EXPECT_EQ(p.requests[1].max_level, kLevel4K);
}

// Identity windows of one type over [lo, hi) each, with their caps.
Planned PlanCapped(const std::vector<std::pair<Bounds2, uint8_t>>& windows, size_t capacity = 4096) {
  static const std::vector<RegionInfo> regions = {{0, 8 * kGiB, RegionKind::kUsable, 0}};
  std::vector<Window> ws;
  for (const auto& [b, level] : windows) {
    Window w;
    w.kinds = kAllKinds;
    w.min_addr = b.lo;
    w.max_addr = b.hi;
    w.type_rule = TypeRule::kFixed;
    w.max_level = level;
    ws.push_back(w);
  }
  return RunPlan(WithRam(&regions), ws, capacity);
}

// Found by build_verify_fuzzer in CI (leaves-not-minimal): a window capped at 2 MiB over
// [0, 4 KiB) and one capped at 1 GiB over [0, 2 MiB) were built as two requests, the
// first's page table blocking the 2 MiB page both allow. Differing caps now give
// disjoint pieces with the smallest cap over each (cap_pieces.h).
TEST(Plan, OverlappingCapsTakeTheSmallestWhereTheyMeet) {
  Planned p = PlanCapped({{{0, 4096}, kLevel2M}, {{0, 2 * kMiB}, kLevel1G}});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].size, 2 * kMiB);
  EXPECT_EQ(p.requests[0].max_level, kLevel2M);
  // The open bug this closes (was fuzz/known/): a 4 KiB cap inside a 1 GiB run.
  p = PlanCapped({{{0, 4 * kGiB}, kLevel1G}, {{kGiB + 4096, kGiB + 8192}, kLevel4K}});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 3u);
  EXPECT_EQ(p.requests[1].va, kGiB + 4096);
  EXPECT_EQ(p.requests[1].size, 4096u);
  EXPECT_EQ(p.requests[1].max_level, kLevel4K);
  EXPECT_EQ(p.requests[2].size, 3 * kGiB - 8192);
}

// Pieces can outnumber the requests: the buffer must hold them while the requests are
// still read, and a short one reports the capacity to retry with.
TEST(Plan, CapPiecesThatOutgrowTheBufferReportNeeded) {
  std::vector<std::pair<Bounds2, uint8_t>> ws = {{{0, 4 * kGiB}, kLevel1G}};
  for (uint64_t g = 1; g <= 3; ++g) ws.push_back({{g * kGiB + 4096, g * kGiB + 8192}, kLevel4K});
  Planned small = PlanCapped(ws, 4);
  ASSERT_EQ(small.result.error.status, Status::kBufferTooSmall);
  const size_t needed = small.result.error.needed;
  EXPECT_GE(needed, 7u);
  Planned enough = PlanCapped(ws, needed);
  ASSERT_TRUE(enough.result.ok()) << StatusName(enough.result.error.status);
  ASSERT_EQ(enough.requests.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(enough.requests[i].max_level, i % 2 ? kLevel4K : kLevel1G);
    if (i > 0) {
      EXPECT_EQ(enough.requests[i].va, enough.requests[i - 1].va + enough.requests[i - 1].size);
    }
  }
  EXPECT_EQ(PlanCapped(ws, needed - 1).result.error.status, Status::kBufferTooSmall);
}

// A window's placed extent is the extent of what it selects, worked out here region by
// region, and of what it maps (one identity window alone: its requests). Random sorted
// regions and kinds, clips and rounding (the planner scans only the first and last hit).
TEST(Plan, WindowExtentIsWhatItMaps) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<RegionInfo> regions;
    uint64_t pos = (rng() % 4) * 0x3000;
    for (int i = 0, n = 1 + int(rng() % 12); i < n; ++i) {
      pos += (rng() % 3) * (rng() % 2 ? 0x1000 : 0x20'0000);
      const uint64_t size = (1 + rng() % 600) * 0x1000;
      regions.push_back({pos, size, RegionKind(rng() % 3 == 0 ? uint64_t(RegionKind::kReserved) : uint64_t(RegionKind::kUsable)),
                         (rng() % 4 == 0) ? uint64_t{1} << 63 : 0});  // EFI_MEMORY_RUNTIME
      pos += size;
    }
    Window w;
    w.kinds = rng() % 2 ? kAllKinds : KindBit(RegionKind::kReserved);
    w.runtime_kinds = rng() % 2 ? KindBit(RegionKind::kUsable) : 0;
    w.round_level = uint8_t(rng() % 2);
    w.min_addr = rng() % 2 ? 0 : (rng() % 64) * 0x10'0000;
    w.max_addr = rng() % 2 ? ~uint64_t{0} : w.min_addr + (1 + rng() % 512) * 0x10'0000;
    w.type_rule = TypeRule::kFixed;
    const Planned p = RunPlan(WithRam(&regions, 40), {w});
    ASSERT_TRUE(p.result.ok()) << iter;
    // The selection worked out here, region by region: kind (or runtime kind), rounded out, clipped.
    const uint64_t round = w.round_level ? 0x20'0000 : 0x1000;
    uint64_t want_lo = ~uint64_t{0}, want_hi = 0;
    for (const RegionInfo& r : regions) {
      const bool runtime = (r.efi_attributes >> 63) != 0;
      if (!(w.kinds & KindBit(r.kind)) && !(runtime && (w.runtime_kinds & KindBit(r.kind)))) continue;
      const uint64_t a = std::max(r.base / round * round, w.min_addr);
      const uint64_t b = std::min((r.base + r.size + round - 1) / round * round, w.max_addr);
      if (a >= b) continue;
      want_lo = std::min(want_lo, a);
      want_hi = std::max(want_hi, b);
    }
    uint64_t lo = ~uint64_t{0}, hi = 0;
    for (const MapRequest& r : p.requests) {
      lo = std::min(lo, r.pa);
      hi = std::max(hi, r.pa + r.size);
    }
    ASSERT_EQ(p.windows[0].empty, want_lo >= want_hi) << iter;
    if (want_lo >= want_hi) continue;
    EXPECT_EQ(p.windows[0].pa_lo, want_lo) << iter;
    EXPECT_EQ(p.windows[0].pa_hi, want_hi) << iter;
    EXPECT_EQ(lo, want_lo) << iter;
    EXPECT_EQ(hi, want_hi) << iter;
  }
}

// Memory types by kind: RAM WB (or per EFI attributes), MMIO UC, framebuffer WC.
TEST(Plan, TypeRule) {
  EXPECT_EQ(TypeByKind(RegionKind::kUsable, 0), MemType::kWB);
  EXPECT_EQ(TypeByKind(RegionKind::kRuntimeData, 1 | 2), MemType::kWC);
  EXPECT_EQ(TypeByKind(RegionKind::kMmio, 0), MemType::kUC);
  // Runtime regions come only from UEFI maps: no attribute allows only UC.
  EXPECT_EQ(TypeByKind(RegionKind::kRuntimeCode, 0), MemType::kUC);
  EXPECT_EQ(TypeByKind(RegionKind::kRuntimeData, 0), MemType::kUC);
  std::vector<RegionInfo> regions = {{0, kGiB, RegionKind::kUsable, 0},
                                     {kGiB, kGiB, RegionKind::kMmio, 0}};
  PlanInput in = WithRam(&regions);
  in.has_framebuffer = true;
  in.framebuffer = {0x80000000ull + 0x1000, 0x300000};  // not page... rounded
  Window fb;
  fb.sources = kSourceFramebuffer;
  Window all;
  all.kinds = kAllKinds;
  all.placement = Placement::kOffset;
  all.base = 0xffff800000000000ull;
  Planned p = RunPlan(in, {all, fb});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 3u);
  EXPECT_EQ(p.requests[0].type, MemType::kWC);  // identity framebuffer sorts first
  EXPECT_EQ(p.requests[1].type, MemType::kWB);
  EXPECT_EQ(p.requests[2].type, MemType::kUC);
}

// Whole-span windows include holes; regions-only windows never do.
TEST(Plan, WholeSpanCoversHoles) {
  std::vector<RegionInfo> regions = {{0, kGiB, RegionKind::kUsable, 0},
                                     {3 * kGiB, kGiB, RegionKind::kReserved, 0}};
  Window only;
  only.kinds = kAllKinds;
  Window whole = only;
  whole.whole_span = true;
  whole.type_rule = TypeRule::kFixed;
  Planned a = RunPlan(WithRam(&regions), {only});
  Planned b = RunPlan(WithRam(&regions), {whole});
  ASSERT_TRUE(a.result.ok() && b.result.ok());
  uint64_t sa = 0, sb = 0;
  for (auto& r : a.requests) sa += r.size;
  for (auto& r : b.requests) sb += r.size;
  EXPECT_EQ(sa, 2 * kGiB);
  EXPECT_EQ(sb, 4 * kGiB);
  ASSERT_EQ(b.requests.size(), 1u);  // one fixed type: merged
}

// A short buffer reports the capacity needed; retrying with it succeeds.
TEST(Plan, BufferTooSmallReportsNeeded) {
  std::vector<RegionInfo> regions;
  for (int i = 0; i < 10; ++i) regions.push_back({uint64_t(i) * 2 * kMiB, kMiB, RegionKind::kUsable, 0});
  Window id;
  id.kinds = kAllKinds;
  Planned small = RunPlan(WithRam(&regions), {id}, 3);
  EXPECT_EQ(small.result.error.status, Status::kBufferTooSmall);
  EXPECT_EQ(small.result.error.needed, 10u);
  Planned enough = RunPlan(WithRam(&regions), {id}, 10);
  ASSERT_TRUE(enough.result.ok());
  EXPECT_EQ(enough.requests.size(), 10u);
}

// A page size above 1 GiB in a layout is rejected, naming the window.
TEST(Plan, InvalidWindow) {
  std::vector<RegionInfo> regions = {{0, kGiB, RegionKind::kUsable, 0}};
  Window w;
  w.kinds = kAllKinds;
  Window bad = w;
  bad.max_level = 3;
  Planned p = RunPlan(WithRam(&regions), {w, bad});
  EXPECT_EQ(p.result.error.status, Status::kInvalidLayout);
  EXPECT_EQ(p.result.error.request, 1u);
}

}  // namespace
}  // namespace bootmap::core

namespace bootmap::core {
namespace {

// A window that reaches the top of the 64-bit space keeps all of it when adjacent pieces
// merge (fuzz/known: limine's hhdm on a MAXPHYADDR-47 map was cut to its first 4 GiB).
TEST(Plan, RunEndingAtTopOfAddressSpaceMerges) {
  const std::vector<RegionInfo> regions = {{0, 4 * kGiB, RegionKind::kUsable},
                                           {4 * kGiB, (uint64_t{1} << 47) - 4 * kGiB, RegionKind::kAcpiNvs}};
  PlanInput in = WithRam(&regions, 47);
  Window w;
  w.kinds = kAllKinds;
  w.placement = Placement::kOffset;
  w.base = 0xffff'8000'0000'0000ull;
  w.type_rule = TypeRule::kFixed;
  const Planned p = RunPlan(in, {w});
  ASSERT_TRUE(p.result.ok());
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].va, 0xffff'8000'0000'0000ull);
  EXPECT_EQ(p.requests[0].size, uint64_t{1} << 47);  // to va 2^64, hand-computed
}

// ---- Validated input: what Plan relies on, checked, the offending entry named.

// Regions and MTRR ranges must be sorted, disjoint and not wrap 2^64; used, transition
// and framebuffer ranges must not wrap. Each broken list fails with kInvalidMap naming
// the list and the entry; the same input with the entry fixed plans.
TEST(PlanInput, BrokenListsNameTheEntry) {
  const uint64_t kTop = ~uint64_t{0};
  struct Case {
    std::vector<RegionInfo> regions;
    std::vector<TypeRange> mtrr;
    std::vector<NamedRange> used;
    std::vector<RoleRange> transition;
    PhysRange fb;
    InputList list;
    uint32_t index;
  };
  const RegionInfo ram{0, kGiB, RegionKind::kUsable, 0};
  const RegionInfo ram2{2 * kGiB, kGiB, RegionKind::kUsable, 0};
  const TypeRange wb{0, 4 * kGiB, MemType::kWB};
  const Case cases[] = {
      {{ram2, ram}, {}, {}, {}, {}, InputList::kRegions, 1},                                         // unsorted
      {{ram, {kGiB - 4096, 8192, RegionKind::kReserved, 0}}, {}, {}, {}, {}, InputList::kRegions, 1},  // overlap
      {{ram, {kTop - 0xfff, 0x2000, RegionKind::kReserved, 0}}, {}, {}, {}, {}, InputList::kRegions, 1},  // wraps
      {{ram}, {{4 * kGiB, kGiB, MemType::kUC}, wb}, {}, {}, {}, InputList::kMtrr, 1},                  // unsorted
      {{ram}, {wb, {kGiB, kGiB, MemType::kUC}}, {}, {}, {}, InputList::kMtrr, 1},                      // overlap
      {{ram}, {{kTop - 0xfff, 0x2000, MemType::kUC}}, {}, {}, {}, InputList::kMtrr, 0},                // wraps
      {{ram}, {}, {{0, 4096, "a"}, {kTop, 2, "b"}}, {}, {}, InputList::kUsed, 1},
      {{ram}, {}, {}, {{kTop - 0xfff, 0x2000, RangeRole::kCode}}, {}, InputList::kTransition, 0},
      {{ram}, {}, {}, {}, {kTop - 0xfff, 0x2000}, InputList::kFramebuffer, 0},
  };
  for (const Case& c : cases) {
    PlanInput in = WithRam(&c.regions);
    in.mtrr = c.mtrr.data();
    in.mtrr_count = c.mtrr.size();
    in.used = c.used.data();
    in.used_count = c.used.size();
    in.layout.transition = c.transition.data();
    in.layout.transition_count = c.transition.size();
    in.has_framebuffer = c.fb.size != 0;
    in.framebuffer = c.fb;
    Planned p = RunPlan(in, {DirectMap()});
    EXPECT_EQ(p.result.error.status, Status::kInvalidMap) << InputListName(c.list) << " " << c.index;
    EXPECT_EQ(p.result.error.list, c.list);
    EXPECT_EQ(p.result.error.request, c.index);
  }
  // The reason says which: unsorted, or overlapping.
  std::vector<RegionInfo> unsorted = {ram2, ram}, overlapping = {ram, {kGiB - 4096, 8192, RegionKind::kReserved, 0}};
  EXPECT_STREQ(RunPlan(WithRam(&unsorted), {DirectMap()}).result.error.reason, "not sorted: starts below the entry before it");
  EXPECT_STREQ(RunPlan(WithRam(&overlapping), {DirectMap()}).result.error.reason, "overlaps the entry before it");
  // Touching entries and an entry ending exactly at 2^64 are fine.
  std::vector<RegionInfo> ok = {ram, {kGiB, kGiB, RegionKind::kReserved, 0}, {kTop - 0xfff, 0x1000, RegionKind::kReserved, 0}};
  std::vector<TypeRange> mtrr = {wb, {4 * kGiB, kTop - 4 * kGiB + 1, MemType::kUC}};
  PlanInput in = WithRam(&ok);
  in.mtrr = mtrr.data();
  in.mtrr_count = mtrr.size();
  EXPECT_TRUE(RunPlan(in, {DirectMap()}).result.ok());
}

// MAXPHYADDR above 52 is refused (SDM Vol. 3A 4.1.4), not clamped.
TEST(PlanInput, MaxPhyAddrAbove52IsRefused) {
  std::vector<RegionInfo> regions = {{0, kGiB, RegionKind::kUsable, 0}};
  EXPECT_TRUE(RunPlan(WithRam(&regions, 52), {DirectMap()}).result.ok());
  for (uint8_t bits : {53, 57, 64}) {
    Planned p = RunPlan(WithRam(&regions, bits), {DirectMap()});
    EXPECT_EQ(p.result.error.status, Status::kInvalidCpu);
    EXPECT_EQ(p.result.error.needed, bits);
  }
}

// A null list with a non-zero count is an error, never a dereference.
TEST(PlanInput, NullListIsAnError) {
  PlanInput in;
  in.region_count = 3;
  Planned p = RunPlan(in, {DirectMap()});
  EXPECT_EQ(p.result.error.status, Status::kInvalidMap);
  EXPECT_EQ(p.result.error.list, InputList::kRegions);
}

}  // namespace
}  // namespace bootmap::core
