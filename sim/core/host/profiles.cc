// Named profiles: presets of layout data. Each models a public mapping strategy;
// maps/PROFILES.md says which source each follows.
#include <array>

#include "sim/core/host/layout.h"

namespace bootmap::core::host {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

constexpr uint32_t Kinds(std::initializer_list<RegionKind> kinds) {
  uint32_t m = 0;
  for (RegionKind k : kinds) m |= KindBit(k);
  return m;
}
constexpr uint32_t kRam = RamLikeKinds();

// bootmap: only what must stay reachable is identity-mapped; RAM in a direct map at an
// automatic offset; largest safe pages; nothing in holes. No mapping is both writable and
// executable: transition code is read-execute, transition data, stack and boot info are
// read-write and NX; every region carrying EFI_MEMORY_RUNTIME stays mapped.
constexpr uint32_t kNonCodeRoles = kAllRoles & ~RoleBit(RangeRole::kCode);
constexpr Window kBootmap[] = {
    {.name = "transition-code", .sources = kSourceTransition, .transition_roles = RoleBit(RangeRole::kCode),
     .placement = Placement::kIdentity, .writable = false, .nx = false},
    {.name = "transition-data", .sources = kSourceTransition, .transition_roles = kNonCodeRoles,
     .placement = Placement::kIdentity},
    {.name = "framebuffer", .sources = kSourceFramebuffer, .placement = Placement::kIdentity},
    {.name = "efi-runtime-code", .kinds = Kinds({RegionKind::kRuntimeCode}),
     .placement = Placement::kIdentity, .writable = false, .nx = false},
    {.name = "efi-runtime-data", .kinds = Kinds({RegionKind::kRuntimeData}),
     .runtime_kinds = kAllKinds & ~Kinds({RegionKind::kRuntimeCode}), .placement = Placement::kIdentity},
    {.name = "direct-map", .kinds = kRam, .placement = Placement::kAuto, .global = true},
};

// rust-osdev/bootloader 0.10: identity map 0..max with 4 KiB pages, and the
// physical-memory window at an offset that assumes one PML4 entry.
constexpr Window kBootloader010[] = {
    {.name = "identity", .kinds = kAllKinds, .whole_span = true, .placement = Placement::kIdentity,
     .nx = false, .type_rule = TypeRule::kFixed, .max_level = kLevel4K},
    {.name = "physical-memory", .kinds = kAllKinds, .whole_span = true,
     .placement = Placement::kAuto, .max_slots = 1, .nx = false, .type_rule = TypeRule::kFixed,
     .max_level = kLevel2M},
};

// rust-osdev/bootloader 0.11: identity map of the first 4 GiB with 2 MiB pages;
// physical-memory window [0, highest end) with 2 MiB pages over several PML4 entries.
constexpr Window kBootloader011[] = {
    {.name = "identity-4g", .kinds = kAllKinds, .max_addr = 4 * kGiB, .whole_span = true,
     .span_to_max = true, .placement = Placement::kIdentity, .nx = false,
     .type_rule = TypeRule::kFixed, .max_level = kLevel2M},
    {.name = "physical-memory", .kinds = kAllKinds, .whole_span = true,
     .placement = Placement::kAuto, .nx = false, .type_rule = TypeRule::kFixed,
     .max_level = kLevel2M},
};

// Linux x86-64: direct map at PAGE_OFFSET; the first 1 MiB with 4 KiB pages; large
// pages only inside RAM (split_mem_range); kernel image at __START_KERNEL_map + phys_base:
// _text is at __START_KERNEL = 0xffffffff80000000 + CONFIG_PHYSICAL_START (0x1000000), its
// physical load address at the lowest byte of the window (arch/x86/include/asm/page_64_types.h).
constexpr uint64_t kLinuxStartKernel = 0xffff'ffff'8000'0000ull + 0x100'0000ull;
constexpr uint64_t kLinuxPageOffset4 = 0xffff'8880'0000'0000ull;
constexpr uint64_t kLinuxPageOffset5 = 0xff11'0000'0000'0000ull;
constexpr uint32_t kLinuxRam =
    Kinds({RegionKind::kUsable, RegionKind::kBootServices, RegionKind::kLoader});
constexpr Window kLinux[] = {
    {.name = "direct-map-low", .kinds = kAllKinds, .max_addr = kMiB, .whole_span = true,
     .span_to_max = true, .placement = Placement::kOffset, .base = kLinuxPageOffset4,
     .base_la57 = kLinuxPageOffset5, .global = true, .type_rule = TypeRule::kFixed,
     .max_level = kLevel4K},
    {.name = "direct-map", .kinds = kLinuxRam, .min_addr = kMiB, .placement = Placement::kOffset,
     .base = kLinuxPageOffset4, .base_la57 = kLinuxPageOffset5, .global = true},
    {.name = "kernel", .sources = kSourceUsed, .used_name = "kernel",
     .round_level = kLevel2M, .placement = Placement::kLinear, .base = kLinuxStartKernel,
     .nx = false, .global = true, .max_level = kLevel2M},
};

// Xen: the directmap of E820 RAM; the low 2 MiB with 4 KiB pages and page 0 unmapped.
constexpr uint64_t kXenDirectmap = 0xffff'8300'0000'0000ull;
constexpr Window kXen[] = {
    {.name = "directmap-low", .kinds = Kinds({RegionKind::kUsable}), .min_addr = 4096,
     .max_addr = 2 * kMiB, .placement = Placement::kOffset, .base = kXenDirectmap,
     .global = true, .max_level = kLevel4K},
    {.name = "directmap", .kinds = Kinds({RegionKind::kUsable}), .min_addr = 2 * kMiB,
     .placement = Placement::kOffset, .base = kXenDirectmap, .global = true},
};

// Limine: higher-half direct map of 0..4 GiB and of every non-reserved region rounded
// to 1 GiB, with 1 GiB pages.
constexpr uint64_t kLimineHhdm4 = 0xffff'8000'0000'0000ull;
constexpr uint64_t kLimineHhdm5 = 0xff00'0000'0000'0000ull;
constexpr Window kLimine[] = {
    {.name = "hhdm-4g", .kinds = kAllKinds, .max_addr = 4 * kGiB, .whole_span = true,
     .span_to_max = true, .placement = Placement::kOffset, .base = kLimineHhdm4,
     .base_la57 = kLimineHhdm5, .type_rule = TypeRule::kFixed},
    {.name = "hhdm", .kinds = kAllKinds & ~Kinds({RegionKind::kReserved, RegionKind::kUnusable}),
     .round_level = kLevel1G, .placement = Placement::kOffset, .base = kLimineHhdm4,
     .base_la57 = kLimineHhdm5, .type_rule = TypeRule::kFixed},
};

// Hypervisor EPT identity map: RAM write-back with 4 KiB pages; everything else up
// to the top of the guest-physical space uncacheable with the largest aligned pages.
constexpr Window kEptIdentity[] = {
    {.name = "ram", .kinds = kRam, .placement = Placement::kIdentity, .nx = false,
     .max_level = kLevel4K},
    {.name = "mmio-and-holes", .kinds = kAllKinds & ~kRam, .whole_span = true,
     .span_to_max = true, .placement = Placement::kIdentity, .nx = false},
};

struct Profile {
  std::string_view name;
  const Window* windows;
  size_t count;
  std::optional<Paging> paging;
};

template <size_t N>
constexpr Profile Make(std::string_view name, const Window (&w)[N],
                       std::optional<Paging> paging = std::nullopt) {
  return {name, w, N, paging};
}

const std::array<Profile, 7>& Profiles() {
  static const std::array<Profile, 7> profiles = {
      Make("bootmap", kBootmap),
      Make("bootloader-0.10", kBootloader010),
      Make("bootloader-0.11", kBootloader011),
      Make("linux", kLinux),
      Make("xen", kXen),
      Make("limine", kLimine),
      Make("ept-identity", kEptIdentity, Paging::kEptLevel4),
  };
  return profiles;
}

}  // namespace

const std::vector<std::string_view>& ProfileNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (const Profile& p : Profiles()) n.push_back(p.name);
    return n;
  }();
  return names;
}

bool LoadProfile(std::string_view name, HostLayout* out) {
  for (const Profile& p : Profiles()) {
    if (p.name != name) continue;
    out->profile = std::string(name);
    out->windows.assign(p.windows, p.windows + p.count);
    out->paging = p.paging;
    return true;
  }
  return false;
}

}  // namespace bootmap::core::host
