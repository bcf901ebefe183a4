// Adapter: the verifier's input from a host build of the production core. It copies
// data only (requests, frames, output map, root); the check itself never uses core code.
#pragma once

#include "sim/core/host/build.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {

Format FormatOf(core::Paging paging);

// CPU state for the build's tables: CR3 / EPTP at the root, the core's IA32_PAT, the map's CPU;
// the expectation, windows, transition ranges, table frames and output map the build reported.
Input FromBuild(const map::MemoryMap& map, const core::host::BuildResult& build, emu::PhysMem* mem);

}  // namespace bootmap::verify
