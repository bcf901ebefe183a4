// The host entry point: a map file's MemoryMap + a profile or layout -> page tables in
// simulated physical memory, with what the CLI, benchmarks and verifier need.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/builder.h"
#include "sim/core/host/layout.h"
#include "sim/core/plan.h"
#include "sim/core/types.h"
#include "sim/emu/phys_mem.h"
#include "sim/map/memory_map.h"
#include "sim/map/normalize.h"

namespace bootmap::core::host {

struct HostOptions {
  std::string profile;      // a named profile; "" = the map's layout, else kDefaultProfile
  std::string layout_file;  // --layout FILE (wins over profile and the map's layout)
  std::shared_ptr<const HostLayout> layout;  // parsed once (LoadLayoutFile): wins over all of these
  std::string map_source;   // the map file's name, for errors about its `layout`
  std::optional<Paging> paging;  // default: the layout's own, else 5-level if the CPU has LA57, else 4-level
  uint64_t seed = 0;             // auto offsets: 0 = lowest free slots
  uint64_t frame_ceiling = 0;    // table frames end at or below this (0: no limit)
  // Explicit limit: a layout needing more table frames fails cleanly before building.
  uint64_t max_table_frames = uint64_t{1} << 20;  // 4 GiB of tables
  ProgressHook progress;  // leaves written so far, during the build (not the sizing pass)
  bool plan_only = false;  // stop after the plan: requests and windows, no tables (mem unused)
};

struct WindowReport {
  std::string name;
  std::string placement;  // "identity", "offset", "linear", "auto"
  bool empty = true;      // selected nothing (or failed: see error)
  std::string error;      // why this window could not be placed; it was left out
  WindowPlacement place;  // va/pa extents, offset, slots
  LeafCounts counts;      // new leaves per size and table frames this window caused
};

struct OutputRegion {
  uint64_t base = 0;
  uint64_t size = 0;
  std::string_view kind;  // map::RegionKindName, or "page-tables" (static strings)
};

// ok: everything built. built && !ok: some windows could not be placed (their
// WindowReport::error says why, `error` lists them) and the rest was built, as a
// loader that skips them would; the tables, requests and frames are valid.
struct BuildResult {
  bool ok = false;
  bool built = false;
  bool bad_input = false;  // layout or options unusable (exit 2); else a build failure (exit 1)
  std::string error;

  Paging paging = Paging::kX86Level4;
  std::string_view paging_reason;       // why this format (static strings): "--paging", "the profile's own", "the CPU has LA57", ...
  BuildOptions build_options;           // what the core was (or would be) given: format, leaf sizes, NX, MAXPHYADDR
  uint64_t root_pa = kNoRoot;           // CR3 / EPTP address
  uint64_t pat_msr = 0;                 // IA32_PAT the leaves assume (formats.h)
  std::string profile;                  // profile the layout came from, if any
  std::vector<TypeRange> mtrr_types;    // MTRR effective types used for splitting
  std::vector<RoleRange> transition;    // the layout's transition ranges (or the default)
  std::shared_ptr<const HostLayout> layout;  // the layout as given (before windows were left out)
  std::vector<MapRequest> requests;     // sorted by va; window = index into windows
  std::vector<WindowReport> windows;
  LeafCounts totals;
  std::vector<uint64_t> table_frames;   // ascending
  std::vector<OutputRegion> output_map; // normalised map with the table frames carved out
};

BuildResult BuildTables(const map::MemoryMap& map, const HostOptions& options,
                        emu::PhysMem* mem);

// Effective MTRR type ranges over [0, 2^maxphyaddr) (SDM Vol. 3A 12.11.4.1 precedence),
// sorted, neighbours of different types (or an undefined overlap, UC, beside real UC).
// Empty if the map has no MTRRs.
// False (with *error) for a non-contiguous variable-range mask.
bool MtrrTypeRanges(const map::MemoryMap& map, std::vector<TypeRange>* out, std::string* error);

// "request 3 (window 'direct', va 0x..+0x.. -> pa 0x..)".
std::string DescribeRequest(const BuildResult& r, uint32_t index);

}  // namespace bootmap::core::host
