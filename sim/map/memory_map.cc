#include "sim/map/memory_map.h"

#include <array>

namespace bootmap::map {
namespace {

struct E820Name {
  uint32_t type;
  std::string_view name;
};
constexpr std::array<E820Name, 8> kE820Names = {{
    {e820::kUsable, "usable"},
    {e820::kReserved, "reserved"},
    {e820::kAcpi, "acpi"},
    {e820::kNvs, "nvs"},
    {e820::kUnusable, "unusable"},
    {e820::kPmem, "persistent"},
    {e820::kPram, "legacy-persistent"},
    {e820::kSoftReserved, "soft-reserved"},
}};

// UEFI 2.10 Table 7-5 names, in type order.
constexpr std::array<std::string_view, kEfiTypeCount> kEfiNames = {
    "EfiReservedMemoryType",   "EfiLoaderCode",           "EfiLoaderData",
    "EfiBootServicesCode",     "EfiBootServicesData",     "EfiRuntimeServicesCode",
    "EfiRuntimeServicesData",  "EfiConventionalMemory",   "EfiUnusableMemory",
    "EfiACPIReclaimMemory",    "EfiACPIMemoryNVS",        "EfiMemoryMappedIO",
    "EfiMemoryMappedIOPortSpace", "EfiPalCode",           "EfiPersistentMemory",
    "EfiUnacceptedMemoryType",
};

struct AttrName {
  uint64_t bit;
  std::string_view name;
};
constexpr std::array<AttrName, 15> kAttrNames = {{
    {efi_attr::kUC, "UC"},
    {efi_attr::kWC, "WC"},
    {efi_attr::kWT, "WT"},
    {efi_attr::kWB, "WB"},
    {efi_attr::kUCE, "UCE"},
    {efi_attr::kWP, "WP"},
    {efi_attr::kRP, "RP"},
    {efi_attr::kXP, "XP"},
    {efi_attr::kNV, "NV"},
    {efi_attr::kMoreReliable, "MORE_RELIABLE"},
    {efi_attr::kRO, "RO"},
    {efi_attr::kSP, "SP"},
    {efi_attr::kCpuCrypto, "CPU_CRYPTO"},
    {efi_attr::kIsaValid, "ISA_VALID"},
    {efi_attr::kRuntime, "RUNTIME"},
}};

constexpr std::array<std::string_view, kRegionKindCount> kKindNames = {
    "usable",       "boot-services", "loader",   "runtime-code",  "runtime-data",
    "acpi",         "nvs",           "persistent", "mmio",        "mmio-port",
    "soft-reserved", "unaccepted",   "unusable", "reserved",
};

}  // namespace

std::string_view E820TypeName(uint32_t type) {
  for (const auto& n : kE820Names)
    if (n.type == type) return n.name;
  return "";
}

std::optional<uint32_t> E820TypeFromName(std::string_view name) {
  for (const auto& n : kE820Names)
    if (n.name == name) return n.type;
  return std::nullopt;
}

std::string_view EfiTypeName(uint32_t type) {
  return type < kEfiTypeCount ? kEfiNames[type] : std::string_view{};
}

std::optional<uint32_t> EfiTypeFromName(std::string_view name) {
  for (uint32_t t = 0; t < kEfiTypeCount; ++t)
    if (kEfiNames[t] == name) return t;
  return std::nullopt;
}

std::string_view EfiAttrName(uint64_t bit) {
  for (const auto& n : kAttrNames)
    if (n.bit == bit) return n.name;
  return "";
}

std::optional<uint64_t> EfiAttrFromName(std::string_view name) {
  for (const auto& n : kAttrNames)
    if (n.name == name) return n.bit;
  return std::nullopt;
}

std::string_view MemTypeName(MemType t) {
  switch (t) {
    case MemType::kUC: return "UC";
    case MemType::kWC: return "WC";
    case MemType::kWT: return "WT";
    case MemType::kWP: return "WP";
    case MemType::kWB: return "WB";
    case MemType::kUCMinus: return "UC-";
  }
  return "?";
}

std::optional<MemType> MemTypeFromName(std::string_view name) {
  for (MemType t : {MemType::kUC, MemType::kWC, MemType::kWT, MemType::kWP, MemType::kWB,
                    MemType::kUCMinus})
    if (MemTypeName(t) == name) return t;
  return std::nullopt;
}

std::string_view RegionKindName(RegionKind k) {
  auto i = static_cast<size_t>(k);
  return i < kKindNames.size() ? kKindNames[i] : "?";
}

namespace {
constexpr std::array<std::string_view, kRangeRoleCount> kRoleNames = {"data", "code", "stack", "boot-info"};
}  // namespace

std::string_view RangeRoleName(RangeRole r) {
  auto i = static_cast<size_t>(r);
  return i < kRoleNames.size() ? kRoleNames[i] : "?";
}

std::optional<RangeRole> RangeRoleFromName(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == name) return RangeRole(i);
  return std::nullopt;
}

namespace {
constexpr std::array<std::string_view, 2> kStageNames = {"after-exit-boot-services", "before-exit-boot-services"};
}  // namespace

std::string_view StageName(Stage s) { return kStageNames[static_cast<size_t>(s) & 1]; }

std::optional<Stage> StageFromName(std::string_view name) {
  for (size_t i = 0; i < kStageNames.size(); ++i)
    if (kStageNames[i] == name) return Stage(i);
  return std::nullopt;
}

// Linux arch/x86/kernel/e820.c treats every type it does not know as reserved.
RegionKind KindOfE820(uint32_t type) {
  switch (type) {
    case e820::kUsable: return RegionKind::kUsable;
    case e820::kAcpi: return RegionKind::kAcpiReclaim;
    case e820::kNvs: return RegionKind::kAcpiNvs;
    case e820::kUnusable: return RegionKind::kUnusable;
    case e820::kPmem:
    case e820::kPram: return RegionKind::kPersistent;
    case e820::kSoftReserved: return RegionKind::kSoftReserved;
    default: return RegionKind::kReserved;
  }
}

// UEFI 2.10 7.2 Table 7-6 (memory type usage after ExitBootServices).
RegionKind KindOfEfi(const EfiDescriptor& d) {
  if ((d.attributes & efi_attr::kSP) != 0 && d.type == uint32_t(EfiType::kConventional))
    return RegionKind::kSoftReserved;  // UEFI 2.10 7.2.3: EFI_MEMORY_SP
  switch (static_cast<EfiType>(d.type)) {
    case EfiType::kLoaderCode:
    case EfiType::kLoaderData: return RegionKind::kLoader;
    case EfiType::kBootServicesCode:
    case EfiType::kBootServicesData: return RegionKind::kBootServices;
    case EfiType::kRuntimeServicesCode: return RegionKind::kRuntimeCode;
    case EfiType::kRuntimeServicesData: return RegionKind::kRuntimeData;
    case EfiType::kConventional: return RegionKind::kUsable;
    case EfiType::kUnusable: return RegionKind::kUnusable;
    case EfiType::kAcpiReclaim: return RegionKind::kAcpiReclaim;
    case EfiType::kAcpiNvs: return RegionKind::kAcpiNvs;
    case EfiType::kMmio: return RegionKind::kMmio;
    case EfiType::kMmioPortSpace: return RegionKind::kMmioPort;
    case EfiType::kPersistent: return RegionKind::kPersistent;
    case EfiType::kUnaccepted: return RegionKind::kUnaccepted;
    case EfiType::kReserved:
    case EfiType::kPalCode:
    default: return RegionKind::kReserved;
  }
}

MemType EfiCacheability(uint64_t attributes) {
  if (attributes & efi_attr::kWB) return MemType::kWB;
  if (attributes & efi_attr::kWT) return MemType::kWT;
  if (attributes & efi_attr::kWC) return MemType::kWC;
  return MemType::kUC;
}

}  // namespace bootmap::map
