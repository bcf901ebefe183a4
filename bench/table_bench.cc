// Page tables of every bundled map x every profile x 4-level / 5-level / EPT, through the
// host entry point (core::host::BuildTables), and what reads them back:
//   Build/<map>/<profile>/<paging>      plan + build into PhysMem frames already faulted in
//   Size/...                            the dry run (core::SizeTables on the same requests)
//   Verify/...                          the oracle over the built tree
//   Enumerate/...                       the emulator's enumeration alone
//   Translate/...                       random addresses inside the mapped runs, resident tree
// Combinations whose tables exceed kSweepFrames (the legacy 4 KiB profiles on big maps) are
// left out, except the one bulk case: bootloader 0.10 on the QEMU 7.2 AMD 1 TiB-hole map,
// 2^28 4 KiB entries in 525,315 table frames (~2 GiB). The same map also runs the layout
// bench/layouts/identity-all.json (every region identity-mapped, whatever its type).
//   build/release/bench/bootmap_bench --benchmark_filter='^Build/'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "sim/core/host/layout.h"
#include "sim/emu/enumerate.h"
#include "sim/emu/ept.h"
#include "sim/emu/paging.h"

namespace bootmap::bench {
namespace {

// Tables up to 32 MiB (~4 M entries): every case of the sweep takes well under a second.
constexpr uint64_t kSweepFrames = uint64_t{1} << 13;
constexpr size_t kTranslateBatch = 4096;

struct Combo {
  MapFile file;
  std::string profile;
  core::Paging paging;
};

World* Get(benchmark::State& state, const Combo& c) {
  std::string error;
  World* w = GetWorld(c.file, c.profile, c.paging, &error);
  if (!w) state.SkipWithError(error.c_str());
  return w;
}

void BuildCase(benchmark::State& state, const Combo& c) {
  World* w = Get(state, c);
  if (!w) return;
  core::host::BuildResult r;
  for (auto _ : state) {
    r = core::host::BuildTables(*w->planned.map, w->planned.options, w->mem.get());
    benchmark::DoNotOptimize(r.root_pa);
  }
  if (!r.built) return state.SkipWithError(r.error.c_str());
  state.counters["windows_left_out"] = double(std::count_if(
      r.windows.begin(), r.windows.end(), [](const core::host::WindowReport& x) { return !x.error.empty(); }));
  SetCounters(state, WrittenBy(r.totals));
}

void SizeCase(benchmark::State& state, const Combo& c) {
  World* w = Get(state, c);
  if (!w) return;
  const Planned& p = w->planned;
  core::BuildStats stats;
  for (auto _ : state) {
    stats = {};
    core::Result<uint64_t> frames =
        core::SizeTables(p.build, core::PhysWindow{}, core::kNoRoot, p.plan.requests.data(), p.plan.requests.size(), &stats);
    benchmark::DoNotOptimize(frames.value);
  }
  SetCounters(state, WrittenBy(stats.total));
}

Work Read(const std::array<uint64_t, 3>& leaves, uint64_t table_pages) {
  Work work;
  std::copy(leaves.begin(), leaves.end(), work.leaves);
  work.table_pages = table_pages;
  work.handled = leaves[0] + leaves[1] + leaves[2];
  return work;
}

void VerifyCase(benchmark::State& state, const Combo& c) {
  World* w = Get(state, c);
  if (!w) return;
  verify::Report r;
  for (auto _ : state) {
    r = verify::Verify(w->input);
    benchmark::DoNotOptimize(r.verified);
  }
  if (!r.error.empty()) return state.SkipWithError(r.error.c_str());
  state.counters["violations"] = double(r.violation_count);
  state.counters["runs"] = double(r.runs);
  SetCounters(state, Read(r.leaves, r.table_pages));
}

template <class Result>
uint64_t TablePages(const Result& e) {
  uint64_t n = 0;
  for (uint64_t t : e.tables) n += t;
  return n;
}

void EnumerateCase(benchmark::State& state, const Combo& c) {
  World* w = Get(state, c);
  if (!w) return;
  const bool ept = verify::IsEpt(w->input.format);
  emu::EnumerationSummary summary;
  size_t runs = 0;
  for (auto _ : state) {
    if (ept) {
      emu::EptEnumerateResult e = emu::EnumerateEpt(*w->mem, w->input.ept);
      runs = e.runs.size();
      summary = std::move(e);
    } else {
      emu::EnumerateResult e = emu::Enumerate(*w->mem, w->input.cpu);
      runs = e.runs.size();
      summary = std::move(e);
    }
    benchmark::DoNotOptimize(runs);
  }
  if (!summary.ok) return state.SkipWithError(summary.error.c_str());
  state.counters["runs"] = double(runs);
  SetCounters(state, Read(summary.leaves, TablePages(summary)));
}

uint64_t Start(const emu::Run& r) { return r.va; }
uint64_t Start(const emu::EptRun& r) { return r.gpa; }

// kTranslateBatch addresses, uniform over the mapped bytes (the enumeration's runs).
template <class Runs>
std::vector<uint64_t> Addresses(const Runs& runs) {
  std::vector<uint64_t> ends;
  uint64_t total = 0;
  for (const auto& r : runs) ends.push_back(total += r.size);
  std::vector<uint64_t> out;
  if (total == 0) return out;
  std::mt19937_64 rng(1);
  for (size_t i = 0; i < kTranslateBatch; ++i) {
    const uint64_t at = rng() % total;
    const size_t k = size_t(std::upper_bound(ends.begin(), ends.end(), at) - ends.begin());
    out.push_back(Start(runs[k]) + (at - (ends[k] - runs[k].size)));
  }
  return out;
}

void TranslateCase(benchmark::State& state, const Combo& c) {
  World* w = Get(state, c);
  if (!w) return;
  const bool ept = verify::IsEpt(w->input.format);
  const std::vector<uint64_t> vas = ept ? Addresses(emu::EnumerateEpt(*w->mem, w->input.ept).runs)
                                        : Addresses(emu::Enumerate(*w->mem, w->input.cpu).runs);
  if (vas.empty()) return state.SkipWithError("nothing mapped");
  uint64_t faults = 0, sum = 0;
  for (auto _ : state) {
    faults = 0;
    if (ept) {
      for (uint64_t gpa : vas) {
        emu::EptTranslation t = emu::EptTranslate(*w->mem, w->input.ept, gpa, {});
        faults += t.outcome != emu::EptOutcome::kOk;
        sum += t.hpa;
      }
    } else {
      for (uint64_t va : vas) {
        emu::Translation t = emu::Translate(*w->mem, w->input.cpu, va, {});
        faults += !t.ok;
        sum += t.pa;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["faults"] = double(faults);
  Work work = WrittenBy(w->build.totals);
  work.entries_written = 0;
  work.handled = vas.size();
  SetCounters(state, work);
}

using CaseFn = void (*)(benchmark::State&, const Combo&);
struct What {
  const char* name;
  CaseFn fn;
};
constexpr What kWhats[] = {{"Build", &BuildCase},
                           {"Size", &SizeCase},
                           {"Verify", &VerifyCase},
                           {"Enumerate", &EnumerateCase},
                           {"Translate", &TranslateCase}};

// Every case of one combination, consecutively (they share one built world).
void RegisterCombo(const Combo& c, const std::string& suffix, bool bulk) {
  for (const What& what : kWhats) {
    const std::string name = CaseName(what.name, c.file.name, c.profile, c.paging) + suffix;
    AddCase(name, [c, fn = what.fn](benchmark::State& s) { fn(s, c); },
            bulk ? benchmark::kMillisecond : benchmark::kMicrosecond);
  }
}

void RegisterCases() {
  for (const MapFile& file : BundledMaps()) {
    for (std::string_view profile : core::host::ProfileNames()) {
      for (core::Paging paging : {core::Paging::kX86Level4, core::Paging::kX86Level5, core::Paging::kEptLevel4}) {
        Combo c{file, std::string(profile), paging};
        Planned p = PlanOnly(file, c.profile, paging, kSweepFrames);
        if (p.ok && p.size.total.tables <= kSweepFrames) RegisterCombo(c, "", false);
      }
    }
  }
  for (const MapFile& file : BundledMaps()) {
    if (file.name != "qemu-7.2-q35-epyc-4g-seabios-e820") continue;
    RegisterCombo({file, "bootloader-0.10", core::Paging::kX86Level4}, "/bulk", true);
    // Every region of every type identity-mapped with the largest pages (bench/layouts/).
    RegisterCombo({file, "identity-all", core::Paging::kX86Level4}, "", false);
  }
}

const bool registered = AddRegistrar(&RegisterCases);

}  // namespace
}  // namespace bootmap::bench
