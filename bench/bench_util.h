// Shared by every *_bench.cc: bundled maps, the counters every case reports, and the
// tables of one (map, profile, paging) built once and kept for the cases that read them.
//
// Case names: <what>/<map>/<profile>/<paging>, e.g. Build/qemu-7.2-q35-epyc-4g-seabios-e820/bootmap/4.
// Names containing "bulk" are the 2^28-entry cases that tools/bench-gate --quick skips.
#pragma once
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/builder.h"
#include "sim/core/host/build.h"
#include "sim/emu/phys_mem.h"
#include "sim/map/memory_map.h"
#include "sim/verify/verify.h"

namespace bootmap::bench {

// A path inside the source tree (BOOTMAP_SOURCE_DIR, set by bench/CMakeLists.txt).
std::string RepoPath(const std::string& relative);
std::string ReadFile(const std::string& path);  // "" if unreadable

// maps/real/*.json then maps/synthetic/*.json, each sorted; name = file stem.
struct MapFile {
  std::string name, path;
};
const std::vector<MapFile>& BundledMaps();
// Loaded once; nullptr (with *error) if the file does not load. la57: with cpu.la57 set.
const map::MemoryMap* LoadedMap(const MapFile& file, std::string* error, bool la57 = false);

// Registration at startup (bench/main.cc runs every registrar before the suite):
//   static const bool registered = AddRegistrar(&RegisterCases);
bool AddRegistrar(void (*registrar)());
void RunRegistrars();

// Registers one case. With BOOTMAP_BENCH_ITERATIONS=N in the environment every case runs
// exactly N iterations in one call (tools/bench-compare counts instructions that way).
void AddCase(const std::string& name, std::function<void(benchmark::State&)> fn,
             benchmark::TimeUnit unit = benchmark::kMicrosecond);

// "4", "5", "ept", "ept5" (the CLI's --paging spelling).
const char* PagingArg(core::Paging paging);
// <what>/<map>/<profile>/<paging>
std::string CaseName(const std::string& what, const std::string& map, const std::string& profile,
                     core::Paging paging);

// What one iteration did. Deterministic: leaves, table pages, entries written (page-table
// entries the case writes or, for the dry run, would write: leaves plus one pointer per
// non-root table). `handled` is what the rates count: entries written for Build/Size/Replay,
// leaves read for Verify/Enumerate, translations for Translate, map entries for LoadJson/Import.
struct Work {
  uint64_t leaves[3] = {0, 0, 0};  // 4 KiB, 2 MiB, 1 GiB
  uint64_t table_pages = 0;
  uint64_t entries_written = 0;
  uint64_t handled = 0;
};
Work WrittenBy(const core::LeafCounts& counts);  // a fresh tree: pointers = tables - 1

// leaves_4k leaves_2m leaves_1g table_pages table_bytes entries_written (plain values, gated)
// and ns_per_entry, entries_per_s (rates over CPU time, never gated).
void SetCounters(benchmark::State& state, const Work& work);

// The plan for (map, profile, paging): host requests and the core's build options,
// sized by the dry run (nothing written). Not ok (nothing sized) if the tables surely
// exceed max_frames.
struct Planned {
  bool ok = false;
  std::string error;
  const map::MemoryMap* map = nullptr;
  core::host::HostOptions options;
  core::host::BuildResult plan;  // requests, paging (tables not built)
  core::BuildOptions build;
  core::BuildStats size;  // SizeTables' counts
};
Planned PlanOnly(const MapFile& file, const std::string& profile, core::Paging paging,
                 uint64_t max_frames = uint64_t{1} << 20);

// Tables built by core::host::BuildTables into a PhysMem kept for the process (one world at
// a time: asking for another frees the previous one), with the verifier's input.
struct World {
  std::string key;
  Planned planned;
  std::unique_ptr<emu::PhysMem> mem;
  core::host::BuildResult build;
  verify::Input input;
};
// nullptr (with *error) if the build failed.
World* GetWorld(const MapFile& file, const std::string& profile, core::Paging paging, std::string* error);

}  // namespace bootmap::bench
