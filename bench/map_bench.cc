// Map-file loading and normalisation throughput.
#include <benchmark/benchmark.h>

#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/map/normalize.h"

namespace bootmap {
namespace {

std::string SyntheticMapText(uint64_t entries) {
  std::string text = R"({"format": "bootmap-map/1", "name": "big", "e820": [)";
  for (uint64_t i = 0; i < entries; ++i) {
    if (i) text += ",\n";
    text += "{\"base\": \"" + io::Hex(i * 0x2000) + "\", \"size\": \"0x1000\", \"type\": \"" +
            (i % 3 ? "usable" : "reserved") + "\"}";
  }
  return text + "]}";
}

void BM_LoadJson(benchmark::State& state) {
  const std::string text = SyntheticMapText(uint64_t(state.range(0)));
  for (auto _ : state) {
    map::MemoryMap m;
    io::LoadResult r = io::ParseMap(text, "bench", &m);
    if (!r.ok) state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(m);
  }
  state.counters["entries"] = double(state.range(0));
  state.counters["bytes_per_s"] =
      benchmark::Counter(double(text.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LoadJson)->Name("LoadJson/synthetic")->Arg(1000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_Normalize(benchmark::State& state) {
  map::MemoryMap m;
  io::ParseMap(SyntheticMapText(uint64_t(state.range(0))), "bench", &m);
  for (auto _ : state) benchmark::DoNotOptimize(map::Normalize(m));
  state.counters["entries"] = double(state.range(0));
}
BENCHMARK(BM_Normalize)->Name("Normalize/synthetic")->Arg(1000)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bootmap
