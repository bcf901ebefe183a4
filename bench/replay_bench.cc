// `bootmap replay` end to end in process: read and parse the map file, build with the
// default profile through the CLI's replay pipeline, verify.
//   build/release/bench/bootmap_bench --benchmark_filter=^Replay/
#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "sim/core/host/layout.h"
#include "sim/io/map_json.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::bench {
namespace {

void ReplayCase(benchmark::State& state, const MapFile& file) {
  cli::ReplayResult r;
  for (auto _ : state) {
    map::MemoryMap m;
    io::LoadResult loaded = io::LoadMapFile(file.path, &m);
    if (!loaded.ok) return state.SkipWithError(loaded.error.c_str());
    cli::ReplayOptions o;
    o.profile = std::string(core::host::kDefaultProfile);
    o.map_source = file.path;
    r = cli::Replay(m, o, nullptr);
    if (!r.built) return state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r.report.verified);
  }
  state.counters["violations"] = double(r.report.violation_count);
  SetCounters(state, WrittenBy(r.build.totals));
}

void RegisterCases() {
  for (const MapFile& f : BundledMaps()) {
    const std::string name = CaseName("Replay", f.name, std::string(core::host::kDefaultProfile), core::Paging::kX86Level4);
    AddCase(name, [f](benchmark::State& s) { ReplayCase(s, f); });
  }
}

const bool registered = AddRegistrar(&RegisterCases);

}  // namespace
}  // namespace bootmap::bench
