// `bootmap build --image OUT`: the table frames as an ELF64 core file, one PT_LOAD
// segment per run of consecutive frames (p_paddr = where the run lives), the format
// QEMU's dump-guest-memory writes and `bootmap walk/dump --image OUT --cr3 ROOT` read
// (sim/emu/image.h). Frames not written read back as zeros. A PT_NOTE records the CPU
// state the tables assume (CR0, CR3, CR4, EFER, IA32_PAT: emu::CoreCpuNote), so a reader
// needs no flags.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/emu/image.h"
#include "sim/emu/phys_mem.h"

namespace bootmap::core::host {

// `frames` ascending, 4 KiB aligned.
struct BuildResult;
// The CPU state the built tables assume: CR0.PE/WP/PG, CR3 = the root, CR4.PAE/PGE (and LA57
// for 5-level), EFER.LME/LMA (and NXE when leaves use XD), IA32_PAT as the leaves encode it.
emu::CoreCpuNote CpuStateOf(const BuildResult& b);

std::string EncodeTablesCore(const std::vector<uint64_t>& frames, const emu::PhysMem& mem,
                             const emu::CoreCpuNote& cpu);

}  // namespace bootmap::core::host
