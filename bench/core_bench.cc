// The production core's cost: bulk 4 KiB identity map, the QEMU 4 GiB AMD-hole map
// with the default profile, and a 64 TiB map with 1 GiB pages. Tables live in
// pre-faulted host memory, so the figures are the core's, not the page-fault handler's.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cstring>
#include <vector>

#include "sim/core/builder.h"
#include "sim/core/frame_alloc.h"
#include "sim/core/host/build.h"
#include "sim/core/host/layout.h"
#include "sim/core/host/test_maps.h"
#include "sim/core/plan.h"
#include "sim/map/normalize.h"

namespace bootmap::core {
namespace {

constexpr uint64_t kPoolBase = 1ull << 20;

// A pre-faulted arena standing for physical memory [kPoolBase, kPoolBase + bytes).
struct Arena {
  uint8_t* base = nullptr;
  uint64_t bytes = 0;
  static Arena& Get(uint64_t bytes) {
    static Arena arena;
    if (arena.bytes < bytes) {
      if (arena.base) munmap(arena.base, arena.bytes);
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      arena.base = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
      arena.bytes = arena.base ? bytes : 0;
    }
    return arena;
  }
  PhysWindow Window() {
    return PhysWindow{this, [](void* c, uint64_t pa) {
                        return reinterpret_cast<uint64_t*>(static_cast<Arena*>(c)->base + (pa - kPoolBase));
                      }};
  }
};

void Counters(benchmark::State& state, const BuildStats& stats, uint64_t entries) {
  state.counters["leaves_4k"] = double(stats.total.leaves[0]);
  state.counters["leaves_2m"] = double(stats.total.leaves[1]);
  state.counters["leaves_1g"] = double(stats.total.leaves[2]);
  state.counters["table_pages"] = double(stats.total.tables);
  // CPU time per leaf entry written (shown with an SI prefix: "1.3n" is 1.3 ns).
  state.counters["time_per_entry"] = benchmark::Counter(
      double(entries), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Builds `reqs` from scratch each iteration into the arena (the allocator zeroes frames).
void BuildLoop(benchmark::State& state, Paging paging, const std::vector<MapRequest>& reqs) {
  BuildOptions o;
  o.paging = paging;
  Arena scratch;
  Result<uint64_t> size = SizeTables(o, scratch.Window(), kNoRoot, reqs.data(), reqs.size());
  if (!size.ok()) return state.SkipWithError(size.error.reason);
  const uint64_t bytes = size.value * kFrameBytes;
  Arena& arena = Arena::Get(bytes);
  if (!arena.base) return state.SkipWithError("cannot map the arena");
  RegionInfo pool{kPoolBase, bytes, RegionKind::kUsable, 0};
  FramePolicy policy;
  policy.regions = &pool;
  policy.region_count = 1;
  BuildStats stats;
  for (auto _ : state) {
    RegionFrameAllocator frames(policy, arena.Window());
    FrameAllocator a = frames.Interface();
    stats = {};
    Result<BuildOutput> r = BuildTables(o, arena.Window(), a, kNoRoot, reqs.data(), reqs.size(), &stats);
    if (!r.ok()) return state.SkipWithError(r.error.reason);
    benchmark::DoNotOptimize(r.value.root_pa);
  }
  Counters(state, stats, stats.total.leaves[0] + stats.total.leaves[1] + stats.total.leaves[2]);
}

// bootloader 0.10's identity map of the 1 TiB-hole map: 2^28 4 KiB entries, ~2 GiB of tables.
void BM_CoreBulk4KIdentity1TiB(benchmark::State& state) {
  MapRequest r;
  r.size = 1ull << 40;
  r.writable = true;
  r.max_level = kLevel4K;
  BuildLoop(state, Paging::kX86Level4, {r});
}
BENCHMARK(BM_CoreBulk4KIdentity1TiB)->Unit(benchmark::kMillisecond)->Iterations(3);

// 64 TiB identity map with 1 GiB pages.
void BM_Core64TiB1G(benchmark::State& state) {
  MapRequest r;
  r.size = 64ull << 40;
  r.writable = true;
  BuildLoop(state, Paging::kX86Level4, {r});
}
BENCHMARK(BM_Core64TiB1G)->Unit(benchmark::kMicrosecond);

// The QEMU 7.2 4 GiB AMD-hole map, default profile: plan + build (the core's part).
void BM_CoreQemu4GDefault(benchmark::State& state) {
  const map::MemoryMap m = host::testing::QemuAmdHole4G();
  const map::NormalizedMap n = map::Normalize(m);
  std::vector<RegionInfo> regions;
  for (const map::Region& r : n.regions) regions.push_back({r.base, r.size, r.kind, r.efi_attributes});
  host::HostLayout layout;
  host::LoadProfile(host::kDefaultProfile, &layout);
  PlanInput in;
  in.regions = regions.data();
  in.region_count = regions.size();
  in.cpu = {m.cpu.maxphyaddr, m.cpu.page1gb, m.cpu.la57, m.cpu.nx};
  in.layout = {layout.windows.data(), layout.windows.size(), nullptr, 0};
  std::vector<MapRequest> reqs(256);
  std::vector<WindowPlacement> places(layout.windows.size());
  Arena& arena = Arena::Get(64 << 20);
  FramePolicy policy;
  policy.regions = regions.data();
  policy.region_count = regions.size();
  // Window over the arena: the map's RAM starting at 1 MiB fits in its first 64 MiB.
  BuildOptions o;
  BuildStats stats;
  for (auto _ : state) {
    PlanOutput out{reqs.data(), reqs.size(), places.data()};
    Result<size_t> planned = Plan(in, &out);
    if (!planned.ok()) return state.SkipWithError(planned.error.reason);
    RegionFrameAllocator frames(policy, arena.Window());
    FrameAllocator a = frames.Interface();
    stats = {};
    Result<BuildOutput> r = BuildTables(o, arena.Window(), a, kNoRoot, reqs.data(), planned.value, &stats);
    if (!r.ok()) return state.SkipWithError(r.error.reason);
    benchmark::DoNotOptimize(r.value.root_pa);
  }
  Counters(state, stats, stats.total.leaves[0] + stats.total.leaves[1] + stats.total.leaves[2]);
}
BENCHMARK(BM_CoreQemu4GDefault)->Unit(benchmark::kMicrosecond);

// The same map through the host entry point (normalise, layout, plan, build into the
// emulator's sparse PhysMem, output map): what `bootmap build` costs.
void BM_HostQemu4GDefault(benchmark::State& state) {
  const map::MemoryMap m = host::testing::QemuAmdHole4G();
  for (auto _ : state) {
    emu::PhysMem mem(m.cpu.maxphyaddr);
    host::BuildResult r = host::BuildTables(m, {}, &mem);
    if (!r.ok) return state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r.root_pa);
  }
}
BENCHMARK(BM_HostQemu4GDefault)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bootmap::core
