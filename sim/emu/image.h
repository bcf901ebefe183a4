// Loading physical memory from raw images ("FILE@ADDR") and ELF cores as written by QEMU's
// dump-guest-memory (each PT_LOAD segment's p_paddr is where its bytes go).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/emu/phys_mem.h"

namespace bootmap::emu {

struct ImageSegment {
  std::string file;
  uint64_t file_offset = 0;
  uint64_t file_size = 0;  // bytes read from the file
  uint64_t mem_size = 0;   // bytes of physical memory covered (>= file_size; the rest reads as zero)
  uint64_t pa = 0;
};

// CPU state an ELF core records in a PT_NOTE: QEMU's dump-guest-memory writes a "QEMU" note
// (type 0, QEMUCPUState, target/i386/arch_dump.c) per vCPU with CR0, CR3 and CR4 but neither
// EFER nor IA32_PAT; `bootmap build --image` writes a "BOOTMAP" note (type 1) with CR0, CR3,
// CR4, EFER and the IA32_PAT its leaves assume. Only the first vCPU's note of a file is kept.
struct CoreCpuNote {
  std::string file;
  std::string source;  // "QEMU" or "BOOTMAP"
  uint64_t cr0 = 0, cr3 = 0, cr4 = 0;
  std::optional<uint64_t> efer, pat;
};

// The "BOOTMAP" note record (header, name, descriptor; gABI "Note Section"), 4-byte padded.
std::string EncodeBootmapNote(const CoreCpuNote& note);

// Validates every spec first (files readable, ELF well formed, segments inside the file and
// below 2^MAXPHYADDR, no two segments overlapping), then loads. On failure returns false with
// *error naming the file and the problem, and leaves `mem` untouched. All-zero pages are not
// stored (they read as zero anyway), so sparse dumps stay sparse.
bool LoadImages(const std::vector<std::string>& specs, PhysMem* mem, std::string* error,
                std::vector<ImageSegment>* segments = nullptr, std::vector<CoreCpuNote>* notes = nullptr);

// Parses "0x1000", "4096" (a whole string, no sign); false if it is not a number.
bool ParseAddress(const std::string& text, uint64_t* value);

}  // namespace bootmap::emu
