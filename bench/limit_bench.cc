// The memory limit of the bulk cases, measured in the same binary and run: storing 2^28
// computed 4 KiB entries into pre-faulted memory, and reading them back, comparing each with
// the value it must hold (what a coalescing enumeration does per leaf). Build, Enumerate and
// Verify of the bulk tree are read as ratios to these two.
//   build/release/bench/bootmap_bench --benchmark_filter='(Limit|/bulk)'
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bench/bench_util.h"

namespace bootmap::bench {
namespace {

constexpr uint64_t kEntries = uint64_t{1} << 28;  // as many as the bulk tree's 4 KiB leaves
constexpr uint64_t kFlags = 0x3;                  // P | R/W

struct FreeDeleter {
  void operator()(uint64_t* p) const { std::free(p); }
};

// 2 GiB of entries in 2 MiB-aligned, huge-page-hinted memory (as PhysMem's chunks), faulted in
// once and shared by both cases.
uint64_t* Entries() {
  static std::unique_ptr<uint64_t, FreeDeleter> entries = [] {
    constexpr uint64_t kBytes = kEntries * sizeof(uint64_t);
    void* p = std::aligned_alloc(uint64_t{2} << 20, kBytes);
    if (p != nullptr) {
      madvise(p, kBytes, MADV_HUGEPAGE);
      std::memset(p, 0, kBytes);
    }
    return std::unique_ptr<uint64_t, FreeDeleter>(static_cast<uint64_t*>(p));
  }();
  return entries.get();
}

uint64_t Entry(uint64_t i) { return (i << 12) | kFlags; }

void Store(benchmark::State& state) {
  uint64_t* e = Entries();
  if (e == nullptr) return state.SkipWithError("cannot allocate 2 GiB");
  for (auto _ : state) {
    for (uint64_t i = 0; i < kEntries; ++i) e[i] = Entry(i);
    benchmark::ClobberMemory();
  }
  Work w;
  w.entries_written = w.handled = kEntries;
  SetCounters(state, w);
}

void Read(benchmark::State& state) {
  uint64_t* e = Entries();
  if (e == nullptr) return state.SkipWithError("cannot allocate 2 GiB");
  for (uint64_t i = 0; i < kEntries; ++i) e[i] = Entry(i);
  uint64_t differ = 0;  // the bits in which any entry differs from what it must hold
  for (auto _ : state) {
    differ = 0;
    for (uint64_t i = 0; i < kEntries; ++i) differ |= e[i] ^ Entry(i);
    benchmark::DoNotOptimize(differ);
  }
  if (differ != 0) return state.SkipWithError("entries changed");
  Work w;
  w.handled = kEntries;
  SetCounters(state, w);
}

void RegisterLimits() {
  AddCase("Limit/store-2p28-entries/memory/4/bulk", &Store, benchmark::kMillisecond);
  AddCase("Limit/read-2p28-entries/memory/4/bulk", &Read, benchmark::kMillisecond);
}
const bool registered = AddRegistrar(&RegisterLimits);

}  // namespace
}  // namespace bootmap::bench
