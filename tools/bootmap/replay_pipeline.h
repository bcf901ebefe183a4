// The replay pipeline shared by replay, compare and render: load options, build with the
// production core (timed over several runs), verify with the oracle.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/host/build.h"
#include "sim/emu/phys_mem.h"
#include "sim/map/format.h"
#include "sim/map/memory_map.h"
#include "sim/verify/verify.h"
#include "tools/bootmap/progress.h"

namespace bootmap::cli {

struct ReplayOptions {
  std::string profile;
  std::string layout_file;
  std::string map_source;
  std::optional<core::Paging> paging;
  uint64_t seed = 0;
  int runs = 1;  // builds timed; the last one is verified
  verify::Options verify;
  std::string assumed_loader;  // what LoadReplayInput assumed about the loader's footprint ("" if nothing)
};

struct ReplayResult {
  bool built = false;      // tables exist (maybe without some windows)
  bool complete = false;   // every window was placed
  bool bad_input = false;  // the layout or options are unusable (exit 2)
  std::string error;       // why the build failed, or which windows were left out
  bool verified() const { return built && complete && report.verified; }
  core::host::BuildResult build;
  std::unique_ptr<emu::PhysMem> mem;
  verify::Report report;
  uint64_t build_ns = 0;   // median over the runs
  std::vector<uint64_t> build_ns_runs;
  uint64_t verify_ns = 0;
  std::vector<std::string> assumptions;   // every assumption the verdict rests on
  std::vector<std::string> plan_vs_spec;  // where the planner differs from the specification
};

// "4", "5", "ept", "ept5" -> paging; false (with *why) otherwise.
bool ParsePaging(const std::string& text, std::optional<core::Paging>* out, std::string* why);
const char* PagingArg(core::Paging p);   // "4", "5", "ept", "ept5"
const char* PagingName(core::Paging p);  // "IA-32e 4-level", ...

ReplayResult Replay(const map::MemoryMap& map, const ReplayOptions& options, Progress* progress);

// Loads `map_file` and parses --paging into *options (map_source set); on bad input prints the
// error and returns kExitBadInput, else kExitOk.
int LoadReplayInput(const std::string& map_file, const std::string& paging, map::MemoryMap* map,
                    ReplayOptions* options, const std::string& loader = "");

// Loads `map_file` and adds the loader footprint (--loader BASE:SIZE, else the documented
// default when the map names no code range; map/loader.h); *assumed says what was assumed.
// On bad input prints the error and returns kExitBadInput, else kExitOk.
int LoadMapWithLoader(const std::string& map_file, const std::string& loader, map::MemoryMap* map,
                      std::string* assumed, bool assume_default = true);
// The same, the error returned instead of printed.
bool LoadMapWithLoader(const std::string& map_file, const std::string& loader, map::MemoryMap* map,
                       std::string* assumed, bool assume_default, std::string* error);
inline constexpr const char* kLoaderHelp =
    "loader footprint BASE:SIZE (code, data, stack), or none; default when the map names no code range: "
    "2 MiB of usable RAM at or above 1 MiB";

using map::Hex;

// The verdict: "verified: ..." or "NOT VERIFIED: n violations (code n, ...)" and the listed ones.
std::string VerdictText(const verify::Report& r);
// Verifier fields of the JSON contract: verified, violations, violation_count, violations_by_code,
// leaves, minimal_leaves, leaf_gap, table_pages, minimal_table_pages, table_bytes, spot_walks.
void AddReportJson(const verify::Report& r, nlohmann::ordered_json* j);

}  // namespace bootmap::cli
