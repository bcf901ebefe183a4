// `bootmap build --image OUT`: the table frames as an ELF64 core file, one PT_LOAD
// segment per run of consecutive frames (p_paddr = where the run lives), the format
// QEMU's dump-guest-memory writes and `bootmap walk/dump --image OUT --cr3 ROOT` read
// (sim/emu/image.h). Frames not written read back as zeros.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/emu/phys_mem.h"

namespace bootmap::core::host {

// `frames` ascending, 4 KiB aligned.
std::string EncodeTablesCore(const std::vector<uint64_t>& frames, const emu::PhysMem& mem);

}  // namespace bootmap::core::host
