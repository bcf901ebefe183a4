// The CPU state options of walk, dump and verify: CR3, CR0, CR4, EFER, IA32_PAT. What no flag
// gives comes from the images' CPU note (QEMU's dump-guest-memory or `bootmap build --image`,
// emu::CoreCpuNote), else from the defaults (CR0.WP, CR4.PAE|PGE, EFER.LME|NXE, power-on PAT).
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/emu/image.h"
#include "sim/emu/paging.h"

namespace bootmap::cli {

struct CpuArgs {
  std::string cr3, cr0, cr4, efer, pat;
  bool la57 = false, no_nxe = false;
};

// cr3_from_note: say that --cr3 defaults to the image's CPU note.
void AddCpuOptions(CLI::App& app, CpuArgs* a, bool cr3_from_note);

// Defaults, then the first CPU note, then the flags. False with *error on a flag that is not a
// number, a state that is not IA-32e paging, an undefined PAT encoding, or no CR3 at all.
// *source says where the state came from ("" when only flags and defaults).
bool ResolveCpu(const CpuArgs& a, const std::vector<emu::CoreCpuNote>& notes, emu::CpuState* cpu,
                std::string* source, std::string* error);

}  // namespace bootmap::cli
