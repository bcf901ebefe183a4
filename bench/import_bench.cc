// Import throughput on a synthetic 1,000,000-line dmesg (issue 6 target: >= 50 MB/s).
//   build/release/bench/bootmap_bench --benchmark_filter=Import
#include <benchmark/benchmark.h>

#include <cinttypes>
#include <cstdio>
#include <string>

#include "sim/io/import/import.h"

namespace {

constexpr int kLines = 1'000'000;

// Every line a "[    0.000000] BIOS-e820: [mem a-b] type" entry (the parser's worst case).
const std::string& E820Dmesg() {
  static const std::string text = [] {
    std::string s;
    s.reserve(static_cast<size_t>(kLines) * 90);
    char line[128];
    uint64_t base = 0;
    for (int i = 0; i < kLines; ++i) {
      uint64_t size = 0x1000ull * (1 + i % 7);
      std::snprintf(line, sizeof line, "[%5d.%06d] BIOS-e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] %s\n",
                    i / 100000, i % 1000000, base, base + size - 1, i % 3 ? "usable" : "reserved");
      s += line;
      base += size;
    }
    return s;
  }();
  return text;
}

// A realistic mix: a 100-entry map inside 1,000,000 lines of other kernel messages.
const std::string& MixedDmesg() {
  static const std::string text = [] {
    std::string s;
    s.reserve(static_cast<size_t>(kLines) * 80);
    char line[160];
    for (int i = 0; i < kLines; ++i) {
      if (i >= 10 && i < 110) {
        uint64_t base = static_cast<uint64_t>(i - 10) << 24;
        std::snprintf(line, sizeof line, "[    0.000000] BIOS-e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] usable\n",
                      base, base + (uint64_t{1} << 24) - 1);
      } else {
        std::snprintf(line, sizeof line,
                      "[%5d.%06d] pci 0000:00:%02x.0: reg 0x10: [mem 0xfe%06x-0xfe%06x 64bit pref]\n",
                      i / 100000, i % 1000000, i % 32, i & 0xffff, (i & 0xffff) + 0xfff);
      }
      s += line;
    }
    return s;
  }();
  return text;
}

void Run(benchmark::State& state, const std::string& text, bootmap::importer::Format format) {
  size_t entries = 0;
  for (auto _ : state) {
    bootmap::importer::ImportResult r = bootmap::importer::Import(text, format, {});
    if (!r.ok) state.SkipWithError(r.error.c_str());
    entries = r.map.e820.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["entries"] = static_cast<double>(entries);
  state.counters["input_MB"] = static_cast<double>(text.size()) / 1e6;
}

void BM_ImportDmesgE820(benchmark::State& state) {
  Run(state, E820Dmesg(), bootmap::importer::Format::kDmesg);
}
void BM_ImportDmesgE820Auto(benchmark::State& state) {
  Run(state, E820Dmesg(), bootmap::importer::Format::kAuto);
}
void BM_ImportDmesgMixedAuto(benchmark::State& state) {
  Run(state, MixedDmesg(), bootmap::importer::Format::kAuto);
}
BENCHMARK(BM_ImportDmesgE820)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImportDmesgE820Auto)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImportDmesgMixedAuto)->Unit(benchmark::kMillisecond);

}  // namespace
