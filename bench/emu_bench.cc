// Paging-emulator throughput: enumeration of a large 4 KiB tree and random translations.
//   build/release/bench/bootmap_bench --benchmark_filter=Emu
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "sim/emu/enumerate.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/paging.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;
constexpr uint64_t kFlags = kP | kRW;
constexpr uint64_t kTableBase = uint64_t{1} << 44;  // tables above the mapped physical range

// An identity-style tree of `leaves` 4 KiB leaves from va 0, written frame by frame.
// pa_stride 4096 makes one coalesced run; a larger stride makes every leaf its own run.
struct Tree4k {
  PhysMem mem{46};
  CpuState cpu;
  uint64_t leaves;
  Tree4k(uint64_t n, uint64_t pa_stride) : leaves(n) {
    uint64_t next = kTableBase;
    auto table = [&] {
      uint64_t pa = next;
      next += kFrameSize;
      return pa;
    };
    mem.Reserve(n / 512 + n / (512 * 512) + 16);
    uint64_t pml4 = table();
    cpu.cr3 = pml4;
    uint64_t entries[512];
    uint64_t pdpt = 0, pd = 0;
    for (uint64_t pt_index = 0; pt_index * 512 < n; ++pt_index) {
      uint64_t va = pt_index * 512 * kFrameSize;
      if (va % (uint64_t{1} << 39) == 0) {
        pdpt = table();
        mem.Write64(pml4 + 8 * Index(va, 4), pdpt | kFlags);
      }
      if (va % (uint64_t{1} << 30) == 0) {
        pd = table();
        mem.Write64(pdpt + 8 * Index(va, 3), pd | kFlags);
      }
      uint64_t pt = table();
      mem.Write64(pd + 8 * Index(va, 2), pt | kFlags);
      for (uint64_t i = 0; i < 512; ++i) {
        uint64_t leaf = pt_index * 512 + i;
        entries[i] = leaf < n ? ((leaf * pa_stride) & AddrMask(44)) | kFlags : 0;
      }
      std::memcpy(mem.FrameForWrite(pt), entries, sizeof entries);
    }
  }
};

Tree4k& CachedTree(uint64_t leaves, uint64_t stride) {
  static std::unique_ptr<Tree4k> tree;
  if (!tree || tree->leaves != leaves || tree->mem.Read64(tree->cpu.cr3) == 0) tree.reset();
  if (!tree) tree = std::make_unique<Tree4k>(leaves, stride);
  return *tree;
}

// Enumerate a tree of 2^N contiguous 4 KiB leaves (one run): leaves per second.
void BM_EmuEnumerate4k(benchmark::State& state) {
  const uint64_t leaves = uint64_t{1} << state.range(0);
  Tree4k& t = CachedTree(leaves, kFrameSize);
  EnumerateOptions o;
  o.max_leaves = leaves;
  uint64_t runs = 0;
  for (auto _ : state) {
    EnumerateResult r = Enumerate(t.mem, t.cpu, o);
    if (!r.ok || r.leaves[0] != leaves) state.SkipWithError("enumeration failed");
    runs = r.runs.size();
    benchmark::DoNotOptimize(r.runs.data());
  }
  state.counters["leaves"] = static_cast<double>(leaves);
  state.counters["runs"] = static_cast<double>(runs);
  state.counters["leaves_per_s"] = benchmark::Counter(static_cast<double>(leaves), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EmuEnumerate4k)->Arg(20)->Arg(28)->Unit(benchmark::kMillisecond)->UseRealTime();

// Worst case for coalescing: every leaf is its own run (pa stride 8 KiB).
void BM_EmuEnumerate4kScattered(benchmark::State& state) {
  const uint64_t leaves = uint64_t{1} << state.range(0);
  Tree4k t(leaves, 2 * kFrameSize);
  EnumerateOptions o;
  o.max_runs = leaves;
  for (auto _ : state) {
    EnumerateResult r = Enumerate(t.mem, t.cpu, o);
    if (!r.ok || r.runs.size() != leaves) state.SkipWithError("enumeration failed");
    benchmark::DoNotOptimize(r.runs.data());
  }
  state.counters["leaves_per_s"] = benchmark::Counter(static_cast<double>(leaves), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EmuEnumerate4kScattered)->Arg(22)->Unit(benchmark::kMillisecond)->UseRealTime();

// Random-address translation on a resident 4-level tree of 2^N 4 KiB leaves: translations per second.
void BM_EmuTranslateRandom(benchmark::State& state) {
  const uint64_t leaves = uint64_t{1} << state.range(0);
  Tree4k t(leaves, kFrameSize);
  std::mt19937_64 rng(1);
  std::vector<uint64_t> vas(1 << 16);
  for (uint64_t& va : vas) va = (rng() % leaves) * kFrameSize + rng() % kFrameSize;
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    Translation r = Translate(t.mem, t.cpu, vas[i], {});
    sum += r.pa;
    i = (i + 1) & (vas.size() - 1);
  }
  benchmark::DoNotOptimize(sum);
  state.counters["translations_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EmuTranslateRandom)->Arg(12)->Arg(18)->Arg(22);

}  // namespace
}  // namespace bootmap::emu
