// Adapter: the verifier's input from a host build of the production core. It copies
// data only (requests, frames, output map, root); the check itself never uses core code.
#pragma once
#include <vector>

#include "sim/core/host/build.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {

Format FormatOf(core::Paging paging);

// The transition ranges the build used: the layout's `transition`, else the map's used
// ranges below 4 GiB (maps/PROFILES.md). Empty if the layout cannot be read.
std::vector<Range> TransitionRanges(const map::MemoryMap& map, const core::host::HostOptions& options);

// CPU state for the build's tables: CR3 / EPTP at the root, the core's IA32_PAT, the map's CPU.
Input FromBuild(const map::MemoryMap& map, const core::host::BuildResult& build, emu::PhysMem* mem,
                std::vector<Range> transition);

}  // namespace bootmap::verify
