// Map files: loading (JSON parse + validation) and normalisation, per bundled map and on
// synthetic maps of 1,000 and 1,000,000 entries (the latter "bulk": skipped by --quick).
#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/map/normalize.h"

namespace bootmap::bench {
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

Work MapEntries(const map::MemoryMap& m) {
  Work w;
  w.handled = m.e820.size() + m.efi.size();
  return w;
}

void LoadJson(benchmark::State& state, const std::string& text, const std::string& source) {
  map::MemoryMap m;
  for (auto _ : state) {
    m = {};
    io::LoadResult r = io::ParseMap(text, source, &m);
    if (!r.ok) return state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(m);
  }
  state.counters["bytes_per_s"] = benchmark::Counter(double(text.size()), benchmark::Counter::kIsIterationInvariantRate);
  SetCounters(state, MapEntries(m));
}

void Normalize(benchmark::State& state, const std::string& text) {
  map::MemoryMap m;
  io::LoadResult r = io::ParseMap(text, "bench", &m);
  if (!r.ok) return state.SkipWithError(r.error.c_str());
  for (auto _ : state) benchmark::DoNotOptimize(map::Normalize(m));
  SetCounters(state, MapEntries(m));
}

void RegisterCases() {
  for (const MapFile& f : BundledMaps()) {
    const std::string text = ReadFile(f.path);
    AddCase("LoadJson/" + f.name, [text, f](benchmark::State& s) { LoadJson(s, text, f.path); });
    AddCase("Normalize/" + f.name, [text](benchmark::State& s) { Normalize(s, text); });
  }
  for (auto [entries, name] : {std::pair<uint64_t, const char*>{1000, "synthetic-1k-entries"},
                               std::pair<uint64_t, const char*>{1000000, "synthetic-1m-entries/bulk"}}) {
    const uint64_t n = entries;
    AddCase(std::string("LoadJson/") + name,
            [n](benchmark::State& s) { LoadJson(s, SyntheticMapText(n), "synthetic"); }, benchmark::kMillisecond);
    AddCase(std::string("Normalize/") + name,
            [n](benchmark::State& s) { Normalize(s, SyntheticMapText(n)); }, benchmark::kMillisecond);
  }
}

const bool registered = AddRegistrar(&RegisterCases);

}  // namespace
}  // namespace bootmap::bench
