// Paging-emulator throughput on hand-built 4 KiB trees (independent of the core): enumeration
// (contiguous and worst-case scattered) and random translations by tree size. The core's
// trees of the bundled maps are in table_bench.cc.
//   build/release/bench/bootmap_bench --benchmark_filter=synthetic-4k
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "bench/bench_util.h"
#include "sim/emu/enumerate.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/paging.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;
using bench::SetCounters;
namespace bench = bootmap::bench;
using bench::Work;
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

// Counters of a Tree4k: its leaves and table pages (written by hand, not by the core).
Work Counts(const Tree4k& t, uint64_t handled) {
  Work w;
  w.leaves[0] = t.leaves;
  w.table_pages = t.mem.frames();
  w.handled = handled;
  return w;
}

// Enumerate a tree of 2^N 4 KiB leaves: contiguous (one run) or pa stride 8 KiB, the worst
// case for coalescing (every leaf its own run).
void BM_EmuEnumerate4k(benchmark::State& state, int log2_leaves, uint64_t stride) {
  const uint64_t leaves = uint64_t{1} << log2_leaves;
  Tree4k t(leaves, stride);
  EnumerateOptions o;
  o.max_leaves = leaves;
  o.max_runs = leaves;
  uint64_t runs = 0;
  for (auto _ : state) {
    EnumerateResult r = Enumerate(t.mem, t.cpu, o);
    if (!r.ok || r.leaves[0] != leaves) state.SkipWithError("enumeration failed");
    runs = r.runs.size();
    benchmark::DoNotOptimize(r.runs.data());
  }
  state.counters["runs"] = double(runs);
  SetCounters(state, Counts(t, leaves));
}
void RegisterEnumerate() {
  bench::AddCase("Enumerate/synthetic-4k-2p20-contiguous/hand-built/4",
                 [](benchmark::State& s) { BM_EmuEnumerate4k(s, 20, kFrameSize); }, benchmark::kMillisecond);
  bench::AddCase("Enumerate/synthetic-4k-2p22-scattered/hand-built/4",
                 [](benchmark::State& s) { BM_EmuEnumerate4k(s, 22, 2 * kFrameSize); }, benchmark::kMillisecond);
}
const bool enumerate_registered = bench::AddRegistrar(&RegisterEnumerate);

// Random-address translation on a resident 4-level tree of 2^N 4 KiB leaves.
void BM_EmuTranslateRandom(benchmark::State& state, int log2_leaves) {
  const uint64_t leaves = uint64_t{1} << log2_leaves;
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
  SetCounters(state, Counts(t, 1));
}
void RegisterTranslate() {
  for (int log2 : {12, 18, 22})
    bench::AddCase("Translate/synthetic-4k-2p" + std::to_string(log2) + "/hand-built/4",
                   [log2](benchmark::State& s) { BM_EmuTranslateRandom(s, log2); }, benchmark::kNanosecond);
}
const bool translate_registered = bench::AddRegistrar(&RegisterTranslate);

}  // namespace
}  // namespace bootmap::emu
