// Shared by walker_fuzzer and ept_fuzzer: the input's bytes as a few page-table frames in
// simulated physical memory, the addresses to probe, and the enumeration budgets.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "sim/emu/enumerate.h"
#include "sim/emu/phys_mem.h"

namespace bootmap::fuzz {

inline constexpr uint64_t kMaxFrames = 6;  // a 5-level chain plus one: keeps every exec fast
inline constexpr size_t kMaxProbes = 16;

struct TableBytes {
  uint64_t base = 0;                // frames at base, base + 4 KiB, ...
  uint64_t frames = 0;
  std::vector<uint64_t> probes;     // fuzzed addresses to translate
};

// Takes the probes and the frame base from the input's tail, then writes every remaining
// byte as frames from `base`. Entries point into those frames when their address field is
// base + k * 4 KiB (0 by default: short inputs build tables at 0, 0x1000, ...).
inline TableBytes DecodeTableBytes(FuzzedDataProvider& fdp, emu::PhysMem* mem) {
  TableBytes t;
  const size_t probes = fdp.ConsumeIntegralInRange<size_t>(0, kMaxProbes);
  for (size_t i = 0; i < probes; ++i) t.probes.push_back(fdp.ConsumeIntegral<uint64_t>());
  // Below 2^32 so every MAXPHYADDR the fuzzers pick can hold the frames.
  t.base = uint64_t{fdp.ConsumeIntegral<uint16_t>()} * emu::kFrameSize;
  std::vector<uint8_t> bytes = fdp.ConsumeBytes<uint8_t>(kMaxFrames * emu::kFrameSize);
  t.frames = std::max<uint64_t>(1, (bytes.size() + emu::kFrameSize - 1) / emu::kFrameSize);
  mem->WriteBytes(t.base, bytes.data(), bytes.size());
  return t;
}

// Enumeration budgets for kMaxFrames frames of tables: more tables than a full chain per
// frame means a shared or self-referencing tree.
inline emu::EnumerateOptions TableBudgets(bool follow_shared) {
  emu::EnumerateOptions budgets;
  budgets.max_leaves = 1 << 14;
  budgets.max_tables = 16;
  budgets.max_runs = 1 << 14;
  budgets.max_anomalies = 64;
  budgets.follow_shared = follow_shared;
  return budgets;
}

// Aborts if an enumeration (IA-32e or EPT) went past its budgets.
template <class Enumeration>
void CheckWithinBudgets(const Enumeration& e, const emu::EnumerateOptions& budgets) {
  if (e.runs.size() > budgets.max_runs || e.anomalies.size() > budgets.max_anomalies) std::abort();
  if (e.leaves[0] + e.leaves[1] + e.leaves[2] > budgets.max_leaves) std::abort();
}

// Calls check(address) at every run's first byte, last byte, middle page, one before and
// one past (first kMaxCheckedRuns runs), at every probe, and at 0 when nothing is mapped.
inline constexpr size_t kMaxCheckedRuns = 64;
template <class Runs, class StartOf, class CheckFn>
void CheckRunBoundaries(const Runs& runs, const std::vector<uint64_t>& probes, StartOf start_of, CheckFn check) {
  for (size_t i = 0; i < runs.size() && i < kMaxCheckedRuns; ++i) {
    const auto& r = runs[i];
    const uint64_t start = start_of(r);
    check(start);
    check(start + (r.size - 1));
    check(start + (r.size / r.page_size / 2) * r.page_size);
    check(start - 1);
    check(start + r.size);
  }
  for (uint64_t address : probes) check(address);
  if (runs.empty()) check(0);
}

}  // namespace bootmap::fuzz
