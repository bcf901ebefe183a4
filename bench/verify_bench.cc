// Verifier throughput. The legacy build (bootloader-0.10 on the QEMU 4 GiB AMD-hole map:
// 2^28 4 KiB leaves, 2 GiB of tables) is built once per process, then verified.
//   build/release/bench/bootmap_bench --benchmark_filter=Verify
// ("Bulk" cases build 2^28 entries; tools/bench-gate --quick skips them.)
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "sim/core/host/build.h"
#include "sim/emu/enumerate.h"
#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {
namespace {

std::string MapPath(const std::string& name) {
  std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/../maps/" + name;
}

struct Built {
  map::MemoryMap map;
  std::unique_ptr<emu::PhysMem> mem;
  core::host::BuildResult build;
  Input input;
  bool ok = false;
  std::string error;
};

Built Build(const std::string& file, const std::string& profile) {
  Built b;
  io::LoadResult loaded = io::LoadMapFile(MapPath(file), &b.map);
  if (!loaded.ok) {
    b.error = loaded.error;
    return b;
  }
  b.mem = std::make_unique<emu::PhysMem>(b.map.cpu.maxphyaddr);
  core::host::HostOptions o;
  o.profile = profile;
  b.build = core::host::BuildTables(b.map, o, b.mem.get());
  if (!b.build.built) {
    b.error = b.build.error;
    return b;
  }
  b.input = FromBuild(b.map, b.build, b.mem.get());
  b.ok = true;
  return b;
}

Built& Legacy() {
  static Built b = Build("real/qemu-7.2-q35-epyc-4g-seabios-e820.json", "bootloader-0.10");
  return b;
}

void Report(benchmark::State& state, const verify::Report& r) {
  const double leaves = double(r.leaf_total());
  state.counters["leaves"] = leaves;
  state.counters["runs"] = double(r.runs);
  state.counters["table_pages"] = double(r.table_pages);
  state.counters["violations"] = double(r.violation_count);
  state.counters["leaves_per_s"] = benchmark::Counter(leaves, benchmark::Counter::kIsIterationInvariantRate);
}

void VerifyLoop(benchmark::State& state, const Built& b) {
  if (!b.ok) return state.SkipWithError(b.error.c_str());
  verify::Report r;
  for (auto _ : state) {
    r = Verify(b.input);
    benchmark::DoNotOptimize(r.verified);
  }
  Report(state, r);
}

// The whole verification of 2^28 leaves (issue 5: >= 100 M leaves/s).
void BM_VerifyBulkLegacy2p28(benchmark::State& state) { VerifyLoop(state, Legacy()); }
BENCHMARK(BM_VerifyBulkLegacy2p28)->Unit(benchmark::kMillisecond)->Iterations(3);

// The emulator's enumeration alone over the same tree: the floor under the verifier.
void BM_VerifyBulkLegacyEnumerateOnly(benchmark::State& state) {
  Built& b = Legacy();
  if (!b.ok) return state.SkipWithError(b.error.c_str());
  uint64_t leaves = 0;
  for (auto _ : state) {
    emu::EnumerateResult e = emu::Enumerate(*b.mem, b.input.cpu);
    leaves = e.leaves[0] + e.leaves[1] + e.leaves[2];
    benchmark::DoNotOptimize(e.runs.data());
  }
  state.counters["leaves_per_s"] = benchmark::Counter(double(leaves), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_VerifyBulkLegacyEnumerateOnly)->Unit(benchmark::kMillisecond)->Iterations(3);

// The default profile on a bundled map: what `bootmap replay` spends verifying.
void BM_VerifyDefault(benchmark::State& state, const char* file) {
  static std::map<std::string, Built>* cache = new std::map<std::string, Built>;
  auto it = cache->find(file);
  if (it == cache->end()) it = cache->emplace(file, Build(file, "bootmap")).first;
  VerifyLoop(state, it->second);
}
BENCHMARK_CAPTURE(BM_VerifyDefault, qemu4g, "real/qemu-7.2-q35-epyc-4g-seabios-e820.json")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_VerifyDefault, server12t, "synthetic/server-12t.json")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_VerifyDefault, uefi300, "synthetic/uefi-fragmented-300.json")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bootmap::verify
