// Import throughput: every raw dump the importer tests use, and a synthetic 1,000,000-line
// dmesg (issue 6 target: >= 50 MB/s).
//   build/release/bench/bootmap_bench --benchmark_filter=^Import/
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "sim/io/import/import.h"

namespace {

using namespace bootmap::importer;
namespace bench = bootmap::bench;

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

void Run(benchmark::State& state, const std::string& text, Format format) {
  ImportResult r;
  for (auto _ : state) {
    r = Import(text, format, {});
    if (!r.ok) return state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(int64_t(state.iterations() * text.size()));
  state.counters["input_bytes"] = double(text.size());
  bench::Work w;
  w.handled = r.map.e820.size() + r.map.efi.size();
  bench::SetCounters(state, w);
}

// Import/<format>/<name>: every raw dump in sim/io/import/testdata (format auto-detected,
// parsed with that format), and the 1,000,000-line dmesg inputs.
void RegisterCases() {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(bench::RepoPath("sim/io/import/testdata"), ec))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& f : files) {
    std::string text = bench::ReadFile(f.string());
    const Format format = DetectFormat(text);
    const std::string name = "Import/" + std::string(FormatName(format)) + "/" + f.stem().string();
    bench::AddCase(name, [text, format](benchmark::State& s) { Run(s, text, format); });
  }
  bench::AddCase("Import/dmesg/e820-1m-lines", [](benchmark::State& s) { Run(s, E820Dmesg(), Format::kDmesg); },
                 benchmark::kMillisecond);
  bench::AddCase("Import/auto/e820-1m-lines", [](benchmark::State& s) { Run(s, E820Dmesg(), Format::kAuto); },
                 benchmark::kMillisecond);
  bench::AddCase("Import/auto/mixed-1m-lines", [](benchmark::State& s) { Run(s, MixedDmesg(), Format::kAuto); },
                 benchmark::kMillisecond);
}

const bool registered = bench::AddRegistrar(&RegisterCases);

}  // namespace
