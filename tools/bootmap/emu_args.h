// Options shared by the emulator subcommands (walk, dump): images, CPU state (cpu_args.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/emu/image.h"
#include "sim/emu/paging.h"
#include "sim/map/format.h"
#include "tools/bootmap/cpu_args.h"

namespace bootmap::cli {

struct EmuArgs {
  std::vector<std::string> images;
  CpuArgs cpu;
  int maxphyaddr = 46;
  bool json = false;
};

inline void AddEmuOptions(CLI::App& app, EmuArgs* a) {
  app.add_option("--image", a->images, "physical memory: FILE@ADDR (raw) or FILE (QEMU dump-guest-memory ELF core)")
      ->required();
  AddCpuOptions(app, &a->cpu, /*cr3_from_note=*/true);
  app.add_option("--maxphyaddr", a->maxphyaddr, "physical-address width (CPUID.80000008H:EAX[7:0])")
      ->check(CLI::Range(32, 52));
  app.add_flag("--json", a->json, "machine-readable output (addresses as hex strings)");
}

// True if pa lies in a loaded image segment (a table outside every image reads as zeros: bad input).
inline bool InsideImages(const std::vector<emu::ImageSegment>& segs, uint64_t pa) {
  for (const emu::ImageSegment& s : segs) {
    if (pa >= s.pa && pa - s.pa < s.mem_size) return true;
  }
  return false;
}

using map::Hex;

inline const char* LevelName(int level) {
  static const char* const kNames[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};
  return level >= 1 && level <= 5 ? kNames[level] : "?";
}

inline const char* PageSizeName(uint64_t size) {
  return size == (uint64_t{1} << 30) ? "1G" : size == (uint64_t{2} << 20) ? "2M" : "4K";
}

}  // namespace bootmap::cli
