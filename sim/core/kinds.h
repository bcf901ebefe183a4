// The core's vocabulary for memory: memory types, region kinds, range roles. The map
// model (sim/map/mem_type.h) takes these from here, so the core's headers stand alone.
// Freestanding: fixed-width integers only, no library headers beyond <stdint.h>.
#pragma once
#include <stdint.h>

namespace bootmap {

// Memory type encodings, SDM Vol. 3A 12.3 Table 12-2 / 12.12.3 (PAT) / 12.11.2 (MTRR).
enum class MemType : uint8_t {
  kUC = 0,
  kWC = 1,
  kWT = 4,
  kWP = 5,
  kWB = 6,
  kUCMinus = 7,  // PAT only ("UC-")
};

// What a kernel sees of a physical range after ExitBootServices (UEFI 2.10 Table 7-6; maps/SCHEMA.md).
enum class RegionKind : uint8_t {
  kUsable,         // E820 1, EfiConventionalMemory
  kBootServices,   // EfiBootServicesCode/Data: usable after ExitBootServices
  kLoader,         // EfiLoaderCode/Data: the loader's own memory
  kRuntimeCode,    // EfiRuntimeServicesCode: must stay mapped, executable
  kRuntimeData,    // EfiRuntimeServicesData: must stay mapped
  kAcpiReclaim,    // E820 3, EfiACPIReclaimMemory
  kAcpiNvs,        // E820 4, EfiACPIMemoryNVS
  kPersistent,     // E820 7 / 12, EfiPersistentMemory
  kMmio,           // EfiMemoryMappedIO
  kMmioPort,       // EfiMemoryMappedIOPortSpace
  kSoftReserved,   // EFI_MEMORY_SP / E820 0xefffffff
  kUnaccepted,     // EfiUnacceptedMemoryType
  kUnusable,       // E820 5, EfiUnusableMemory
  kReserved,       // E820 2, EfiReservedMemoryType, PalCode, unknown types
};
inline constexpr int kRegionKindCount = 14;

// RAM a kernel may keep in its direct map (DESIGN.md: usable, ACPI, NVS, boot/loader, persistent).
constexpr bool IsRamLike(RegionKind k) {
  switch (k) {
    case RegionKind::kUsable:
    case RegionKind::kBootServices:
    case RegionKind::kLoader:
    case RegionKind::kRuntimeCode:
    case RegionKind::kRuntimeData:
    case RegionKind::kAcpiReclaim:
    case RegionKind::kAcpiNvs:
    case RegionKind::kPersistent:
      return true;
    default:
      return false;
  }
}

// What a range live across the switch to new tables holds (used ranges, transition
// ranges): code must stay executable, the rest writable (stack pushes, boot data writes).
enum class RangeRole : uint8_t { kData, kCode, kStack, kBootInfo };
inline constexpr int kRangeRoleCount = 4;
constexpr uint32_t RoleBit(RangeRole r) { return uint32_t{1} << uint32_t(r); }
inline constexpr uint32_t kAllRoles = (uint32_t{1} << kRangeRoleCount) - 1;

// Free for page-table frames once firmware is done (not runtime, not ACPI).
constexpr bool IsAllocatable(RegionKind k) {
  return k == RegionKind::kUsable || k == RegionKind::kBootServices;
}

}  // namespace bootmap
