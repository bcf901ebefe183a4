// The memory-map model: what a map file says, as the firmware said it.
// Normalisation (normalize.h) turns it into one sorted, non-overlapping region list.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/map/mem_type.h"

namespace bootmap::map {

inline constexpr uint64_t kPageSize = 4096;

// E820 types (ACPI 6.5 Table 15.1, Linux arch/x86/include/asm/e820/types.h).
namespace e820 {
inline constexpr uint32_t kUsable = 1;
inline constexpr uint32_t kReserved = 2;
inline constexpr uint32_t kAcpi = 3;
inline constexpr uint32_t kNvs = 4;
inline constexpr uint32_t kUnusable = 5;
inline constexpr uint32_t kPmem = 7;
inline constexpr uint32_t kPram = 12;  // legacy persistent
inline constexpr uint32_t kSoftReserved = 0xefffffff;
}  // namespace e820

// UEFI 2.10 Table 7-5 memory types; values >= 0x70000000 are OEM/OS defined.
enum class EfiType : uint32_t {
  kReserved = 0,
  kLoaderCode = 1,
  kLoaderData = 2,
  kBootServicesCode = 3,
  kBootServicesData = 4,
  kRuntimeServicesCode = 5,
  kRuntimeServicesData = 6,
  kConventional = 7,
  kUnusable = 8,
  kAcpiReclaim = 9,
  kAcpiNvs = 10,
  kMmio = 11,
  kMmioPortSpace = 12,
  kPalCode = 13,
  kPersistent = 14,
  kUnaccepted = 15,
};
inline constexpr uint32_t kEfiTypeCount = 16;

// UEFI 2.10 7.2.3 EFI_MEMORY_* attribute bits.
namespace efi_attr {
inline constexpr uint64_t kUC = 1ull << 0;
inline constexpr uint64_t kWC = 1ull << 1;
inline constexpr uint64_t kWT = 1ull << 2;
inline constexpr uint64_t kWB = 1ull << 3;
inline constexpr uint64_t kUCE = 1ull << 4;
inline constexpr uint64_t kWP = 1ull << 12;
inline constexpr uint64_t kRP = 1ull << 13;
inline constexpr uint64_t kXP = 1ull << 14;
inline constexpr uint64_t kNV = 1ull << 15;
inline constexpr uint64_t kMoreReliable = 1ull << 16;
inline constexpr uint64_t kRO = 1ull << 17;
inline constexpr uint64_t kSP = 1ull << 18;
inline constexpr uint64_t kCpuCrypto = 1ull << 19;
inline constexpr uint64_t kIsaValid = 1ull << 62;
inline constexpr uint64_t kRuntime = 1ull << 63;
inline constexpr uint64_t kIsaMask = 0x0FFFF00000000000ull;  // bits 44..59
}  // namespace efi_attr

struct E820Entry {
  uint64_t base = 0;
  uint64_t size = 0;
  uint32_t type = e820::kUsable;
  bool operator==(const E820Entry&) const = default;
};

struct EfiDescriptor {
  uint32_t type = 0;  // EfiType value, or any OEM/OS number
  uint64_t base = 0;  // PhysicalStart
  uint64_t pages = 0;  // NumberOfPages (4 KiB)
  uint64_t virt = 0;   // VirtualStart
  uint64_t attributes = 0;
  bool operator==(const EfiDescriptor&) const = default;
};

enum class CpuVendor : uint8_t { kUnknown, kIntel, kAmd };

// EPT capabilities: IA32_VMX_EPT_VPID_CAP (MSR 48CH), SDM Vol. 3D Appendix A.10. A map
// written before these facts existed has none; then all are assumed (maps/SCHEMA.md).
struct EptCaps {
  bool page2m = true;      // bit 16: EPT PDEs may map 2 MiB pages
  bool page1gb = true;     // bit 17: EPT PDPTEs may map 1 GiB pages
  bool five_level = true;  // bit 7: page-walk length 5 (EPTP[5:3] = 4)
  bool operator==(const EptCaps&) const = default;
};

struct CpuFacts {
  CpuVendor vendor = CpuVendor::kUnknown;
  uint8_t maxphyaddr = 46;  // CPUID.80000008H:EAX[7:0]; 52 at most (SDM Vol. 3A 4.1.4)
  bool page1gb = true;      // CPUID.80000001H:EDX[26]
  bool la57 = false;        // CPUID.(EAX=07H,ECX=0):ECX[16]
  bool nx = true;           // CPUID.80000001H:EDX[20]
  EptCaps ept;              // VMX only: what EPT tables may use
  bool operator==(const CpuFacts&) const = default;
};

// MTRRs, SDM Vol. 3A 12.11. Fixed ranges are given as typed ranges below 1 MiB on the
// fixed-range granularity (64 KiB below 0x80000, 16 KiB below 0xC0000, 4 KiB above).
struct MtrrRange {
  uint64_t base = 0;
  uint64_t size = 0;
  MemType type = MemType::kUC;
  bool operator==(const MtrrRange&) const = default;
};
struct MtrrVariable {
  uint64_t base = 0;  // IA32_MTRR_PHYSBASEn PhysBase (address, 4 KiB aligned)
  uint64_t mask = 0;  // IA32_MTRR_PHYSMASKn PhysMask (address bits, valid bit implied)
  MemType type = MemType::kUC;
  bool operator==(const MtrrVariable&) const = default;
};
struct Mtrrs {
  MemType default_type = MemType::kUC;  // IA32_MTRR_DEF_TYPE
  std::vector<MtrrRange> fixed;         // empty: fixed ranges disabled
  std::vector<MtrrVariable> variable;
  // A source that gives only the variable ranges (/proc/mtrr) leaves these unknown (map file:
  // "unknown"). Where an unknown part decides the type, it is assumed WB, as with no MTRRs at
  // all, and the verifier counts what rests on that as assumed (maps/SCHEMA.md).
  bool default_known = true;  // false: default_type is WB by assumption
  bool fixed_known = true;    // false: fixed is empty, [0, 1 MiB) assumed WB
  bool operator==(const Mtrrs&) const = default;
};

struct Framebuffer {
  uint64_t base = 0;
  uint64_t size = 0;
  bool operator==(const Framebuffer&) const = default;
};

// A range nothing may overwrite (kernel image, boot info, initrd, loader stack).
struct UsedRange {
  std::string name;
  uint64_t base = 0;
  uint64_t size = 0;
  RangeRole role = RangeRole::kData;
  bool operator==(const UsedRange&) const = default;
};

// When the tables are built: before ExitBootServices firmware still lives in its boot-services
// and loader memory (its own page tables among them), so only conventional memory is free
// (UEFI 2.10 7.4 ExitBootServices).
enum class Stage : uint8_t { kAfterExitBootServices, kBeforeExitBootServices };

struct MemoryMap {
  std::string name;
  std::string origin;
  CpuFacts cpu;
  std::vector<E820Entry> e820;
  std::vector<EfiDescriptor> efi;
  std::optional<Mtrrs> mtrr;
  std::optional<Framebuffer> framebuffer;
  std::vector<UsedRange> used;
  Stage stage = Stage::kAfterExitBootServices;
  std::string layout_json;  // the "layout" member as canonical JSON text; empty if absent
  bool operator==(const MemoryMap&) const = default;
};

// Names used in map files and output.
std::string_view E820TypeName(uint32_t type);  // "usable", ..., "" for an unnamed number
std::optional<uint32_t> E820TypeFromName(std::string_view name);
std::string_view EfiTypeName(uint32_t type);  // "EfiConventionalMemory", ..., "" if OEM/OS
std::optional<uint32_t> EfiTypeFromName(std::string_view name);
std::string_view EfiAttrName(uint64_t bit);  // "UC", ..., "" if not a named bit
std::optional<uint64_t> EfiAttrFromName(std::string_view name);
std::string_view MemTypeName(MemType t);  // "UC", "WC", "WT", "WP", "WB", "UC-"
std::optional<MemType> MemTypeFromName(std::string_view name);
std::string_view RegionKindName(RegionKind k);  // "usable", "boot-services", ...
std::string_view RangeRoleName(RangeRole r);    // "data", "code", "stack", "boot-info"
std::optional<RangeRole> RangeRoleFromName(std::string_view name);
std::string_view StageName(Stage s);  // "after-exit-boot-services", "before-exit-boot-services"
std::optional<Stage> StageFromName(std::string_view name);

// The kernel's view of a region (after ExitBootServices), see maps/SCHEMA.md.
RegionKind KindOfE820(uint32_t type);
RegionKind KindOfEfi(const EfiDescriptor& d);
// Strongest cacheability the EFI attributes allow (WB > WT > WC > UC), UC if none.
MemType EfiCacheability(uint64_t attributes);

}  // namespace bootmap::map
