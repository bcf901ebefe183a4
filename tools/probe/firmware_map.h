// The firmware's memory map as Multiboot hands it over, and the probe's own normaliser
// (sort, page-round, resolve overlaps, merge) into the core's RegionInfo. Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/plan.h"

namespace probe {

// Multiboot 0.6.96 section 3.3: the fields the probe reads.
struct MultibootInfo {
  uint32_t flags;
  uint32_t mem_lower, mem_upper, boot_device, cmdline;
  uint32_t mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};
inline constexpr uint32_t kMbInfoCmdline = 1u << 2;
inline constexpr uint32_t kMbInfoMmap = 1u << 6;

struct E820Entry {
  uint64_t base = 0;
  uint64_t size = 0;
  uint32_t type = 0;  // E820 type as the firmware gave it (ACPI 6.5 Table 15-312)
};

inline constexpr size_t kMaxEntries = 512;

// Copies the mmap entries (Multiboot 3.3: `size` excludes itself). Returns the count, or
// -1 if the info has no map or more than `capacity` entries.
int ReadMultibootMap(const MultibootInfo& info, E820Entry* out, size_t capacity);

// The kind bootmap gives an E820 type (maps/SCHEMA.md "The kernel's view of a region").
bootmap::RegionKind KindOfE820(uint32_t type);

// UEFI 2.10 7.2 EFI_MEMORY_DESCRIPTOR, as GetMemoryMap returns it (stride: its
// DescriptorSize, which may exceed this struct).
struct EfiDescriptor {
  uint32_t type;
  uint32_t pad;
  uint64_t physical_start;
  uint64_t virtual_start;
  uint64_t pages;
  uint64_t attribute;
};
inline constexpr uint64_t kEfiMemorySp = uint64_t{1} << 18;  // EFI_MEMORY_SP

// The kind bootmap gives a UEFI descriptor (maps/SCHEMA.md, UEFI 2.10 Table 7-6).
bootmap::RegionKind KindOfEfi(uint32_t type, uint64_t attributes);

// One firmware entry as the normaliser sees it.
struct RawRegion {
  uint64_t base = 0;
  uint64_t size = 0;
  bootmap::RegionKind kind = bootmap::RegionKind::kReserved;
  uint64_t attributes = 0;  // EFI attributes, 0 for E820
};

// Normalises like sim/map/normalize.h's default rule, with its own code: RAM (usable,
// boot-services, loader) shrinks to whole pages, everything else grows; overlaps go to the
// more restrictive kind; neighbours of one kind and attributes merge. Returns the region
// count (at most 2 * count + 1), or -1 if `capacity` is too small.
int Normalize(const RawRegion* entries, size_t count, bootmap::core::RegionInfo* out, size_t capacity);
int NormalizeE820(const E820Entry* entries, size_t count, bootmap::core::RegionInfo* out,
                  size_t capacity);

}  // namespace probe
