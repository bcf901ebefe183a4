// bootmap capture: what a live Linux machine says about its memory, read from a root
// directory ("/" on the machine itself; tests point it at a fake /sys, /proc, /dev tree).
// Sources (each named in the map's origin; each missing or unreadable one in a warning):
//   /sys/firmware/memmap             the firmware's E820 as given (else the log's BIOS-e820 lines)
//   /dev/kmsg                        the kernel log: efi: mem lines (the full EFI map)
//   /sys/firmware/efi/runtime-map    EFI runtime descriptors
//   /dev/cpu/0/msr                   MTRRs (SDM Vol. 3A 12.11), else /proc/mtrr (variable only)
//   /proc/cpuinfo                    vendor, address sizes, pdpe1gb, la57, nx, vmx flags (EPT)
//   /proc/iomem                      Kernel code/rodata/data/bss as used ranges, the boot framebuffer
#pragma once
#include <string>
#include <vector>

#include "sim/map/memory_map.h"

namespace bootmap::capture {

struct CaptureOptions {
  std::string root = "/";  // where /sys, /proc and /dev are
  std::string name;        // map name (default: the machine's host name, else "capture")
};

struct CaptureResult {
  bool ok = false;
  std::string error;                  // "FILE:LINE: what is wrong" (bad content: exit 2)
  std::vector<std::string> warnings;  // every source missing or unreadable, and why
  std::vector<std::string> sources;   // every source used, as in the origin
  map::MemoryMap map;                 // empty unless ok
};

// Never throws; on error `map` is empty and nothing else is meaningful but `error`.
CaptureResult Capture(const CaptureOptions& options);

}  // namespace bootmap::capture
