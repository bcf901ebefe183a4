// The production core alone (no host planning): a 64 TiB identity map with 1 GiB pages
// built into pre-faulted host memory, the core's best case per entry. The bundled maps'
// builds through the host entry point are in table_bench.cc.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include "bench/bench_util.h"
#include "sim/core/builder.h"
#include "sim/core/frame_alloc.h"

namespace bootmap::bench {
namespace {

constexpr uint64_t kPoolBase = uint64_t{1} << 20;

// A pre-faulted arena standing for physical memory [kPoolBase, kPoolBase + bytes).
struct Arena {
  explicit Arena(uint64_t n) : bytes(n) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    base = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  }
  ~Arena() {
    if (base) munmap(base, bytes);
  }
  core::PhysWindow Window() {
    return {this, [](void* c, uint64_t pa) {
              return reinterpret_cast<uint64_t*>(static_cast<Arena*>(c)->base + (pa - kPoolBase));
            }};
  }
  uint8_t* base;
  uint64_t bytes;
};

void BM_CoreIdentity64T1G(benchmark::State& state) {
  core::MapRequest r;
  r.size = uint64_t{64} << 40;
  r.writable = true;
  core::BuildOptions o;
  core::Result<uint64_t> frames = core::SizeTables(o, core::PhysWindow{}, core::kNoRoot, &r, 1);
  if (!frames.ok()) return state.SkipWithError(frames.error.reason);
  Arena arena(frames.value * core::kFrameBytes);
  if (!arena.base) return state.SkipWithError("cannot map the arena");
  core::RegionInfo pool{kPoolBase, arena.bytes, RegionKind::kUsable, 0};
  core::FramePolicy policy;
  policy.regions = &pool;
  policy.region_count = 1;
  core::BuildStats stats;
  for (auto _ : state) {
    core::RegionFrameAllocator frames_from(policy, arena.Window());
    core::FrameAllocator a = frames_from.Interface();
    stats = {};
    core::Result<core::BuildOutput> b = core::BuildTables(o, arena.Window(), a, core::kNoRoot, &r, 1, &stats);
    if (!b.ok()) return state.SkipWithError(b.error.reason);
    benchmark::DoNotOptimize(b.value.root_pa);
  }
  SetCounters(state, WrittenBy(stats.total));
}
const bool registered = AddRegistrar(
    [] { AddCase("Build/request-identity-64t/core-only/4", [](benchmark::State& s) { BM_CoreIdentity64T1G(s); }); });

}  // namespace
}  // namespace bootmap::bench
