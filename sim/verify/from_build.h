// Adapter: the verifier's input from a host build of the production core. It copies
// data only (requests, frames, output map, root); the check itself never uses core code.
#pragma once

#include "sim/core/host/build.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {

Format FormatOf(core::Paging paging);

// CPU state for the build's tables: CR3 / EPTP at the root, the core's IA32_PAT, the map's CPU;
// the expectation, windows, transition ranges, table frames and output map the build reported.
// The layout as the verifier's specification reads it (data only).
LayoutSpec LayoutOf(const core::host::HostLayout& layout);

Input FromBuild(const map::MemoryMap& map, const core::host::BuildResult& build, emu::PhysMem* mem);

// Where the planner's requests and the specification the report checked differ, per window
// ("window 'direct-map': 4 KiB the spec requires are not planned as it says"); empty if they agree.
std::vector<std::string> PlanVersusSpec(const core::host::BuildResult& build, const Report& report);

}  // namespace bootmap::verify
