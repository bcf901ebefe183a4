// The replay pipeline shared by replay, compare and render: load options, build with the
// production core (timed over several runs), verify with the oracle.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/host/build.h"
#include "sim/emu/phys_mem.h"
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
};

struct ReplayResult {
  bool built = false;
  bool bad_input = false;  // the layout or options are unusable (exit 2)
  std::string error;       // why the build failed
  core::host::BuildResult build;
  std::unique_ptr<emu::PhysMem> mem;
  verify::Report report;
  uint64_t build_ns = 0;   // median over the runs
  std::vector<uint64_t> build_ns_runs;
  uint64_t verify_ns = 0;
};

// "4", "5", "ept", "ept5" -> paging; false (with *why) otherwise.
bool ParsePaging(const std::string& text, std::optional<core::Paging>* out, std::string* why);
const char* PagingArg(core::Paging p);   // "4", "5", "ept", "ept5"
const char* PagingName(core::Paging p);  // "IA-32e 4-level", ...

ReplayResult Replay(const map::MemoryMap& map, const ReplayOptions& options, Progress* progress);

std::string Hex(uint64_t v, int width = 0);

}  // namespace bootmap::cli
