// Shared by build_verify_fuzzer and differential_fuzzer: an action stream (STYLE.md,
// Fuchsia's pool-fuzzer) decoded into a memory map with the shapes firmware gets wrong.
// Maps are fed to the core as a loader would get them from firmware, not only as the
// map-file loader would accept them: overlaps, sub-page entries, ends at 2^64, addresses
// beyond MAXPHYADDR all reach BuildTables.
#pragma once
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "sim/map/memory_map.h"

namespace bootmap::fuzz {

struct MapShape {
  uint32_t max_entries = 256;
  uint8_t min_maxphyaddr = 32, max_maxphyaddr = 52;
  bool hostile = true;  // ends at 2^64 and ranges beyond MAXPHYADDR
};

namespace detail {

inline constexpr uint64_t kKiB = uint64_t{1} << 10, kMiB = uint64_t{1} << 20, kGiB = uint64_t{1} << 30;
// The AMD HyperTransport hole, [0xfd_0000_0000, 0x100_0000_0000) (DESIGN.md).
inline constexpr uint64_t kAmdHoleBase = uint64_t{0xfd} << 32;
inline constexpr uint64_t kAmdHoleEnd = uint64_t{1} << 40;

enum class Where : uint8_t { kAfter, kGapAfter, kAligned, kAnywhere, kOverlap, kAmdHole, kTop, kBeyondPhys, kLow, kMaxValue = kLow };
enum class HowBig : uint8_t { kPages, kSubPage, kLarge, kToTop, kHuge, kMaxValue = kHuge };

inline uint32_t E820Type(FuzzedDataProvider& fdp) {
  static constexpr uint32_t kTypes[] = {map::e820::kUsable, map::e820::kUsable, map::e820::kReserved,
                                        map::e820::kAcpi,   map::e820::kNvs,    map::e820::kUnusable,
                                        map::e820::kPmem,   map::e820::kPram,   map::e820::kSoftReserved};
  const uint8_t i = fdp.ConsumeIntegralInRange<uint8_t>(0, sizeof kTypes / sizeof kTypes[0]);
  return i < sizeof kTypes / sizeof kTypes[0] ? kTypes[i] : fdp.ConsumeIntegral<uint32_t>();
}

inline uint64_t EfiAttributes(FuzzedDataProvider& fdp) {
  static constexpr uint64_t kCommon[] = {
      map::efi_attr::kUC | map::efi_attr::kWC | map::efi_attr::kWT | map::efi_attr::kWB,
      map::efi_attr::kUC, map::efi_attr::kRuntime | map::efi_attr::kUC | map::efi_attr::kWB,
      map::efi_attr::kWB | map::efi_attr::kXP, map::efi_attr::kWB | map::efi_attr::kRO | map::efi_attr::kSP};
  const uint8_t i = fdp.ConsumeIntegralInRange<uint8_t>(0, sizeof kCommon / sizeof kCommon[0]);
  return i < sizeof kCommon / sizeof kCommon[0] ? kCommon[i] : fdp.ConsumeIntegral<uint64_t>();
}

}  // namespace detail

inline map::MemoryMap DecodeMap(FuzzedDataProvider& fdp, const MapShape& shape) {
  using namespace detail;
  map::MemoryMap m;
  m.name = "fuzz";
  m.cpu.vendor = fdp.PickValueInArray({map::CpuVendor::kIntel, map::CpuVendor::kAmd, map::CpuVendor::kUnknown});
  m.cpu.maxphyaddr = fdp.ConsumeIntegralInRange<uint8_t>(shape.min_maxphyaddr, shape.max_maxphyaddr);
  m.cpu.page1gb = fdp.ConsumeBool();
  m.cpu.la57 = fdp.ConsumeBool();
  m.cpu.nx = fdp.ConsumeBool();
  const uint64_t phys_top = uint64_t{1} << m.cpu.maxphyaddr;
  const uint8_t tables = fdp.ConsumeIntegralInRange<uint8_t>(1, 3);  // 1 e820, 2 efi, 3 both
  const uint32_t count = fdp.ConsumeIntegralInRange<uint32_t>(1, shape.max_entries);
  uint64_t cursor = 0, prev_base = 0, prev_size = 0;
  for (uint32_t i = 0; i < count && fdp.remaining_bytes() > 0; ++i) {
    uint64_t base = 0;
    switch (fdp.ConsumeEnum<Where>()) {
      case Where::kAfter: base = cursor; break;
      case Where::kGapAfter: base = cursor + fdp.ConsumeIntegralInRange<uint64_t>(1, 4096) * 4 * kKiB; break;
      case Where::kAligned:
        base = fdp.ConsumeIntegralInRange<uint64_t>(0, phys_top / (2 * kMiB)) * fdp.PickValueInArray({4 * kKiB, 2 * kMiB, kGiB});
        break;
      case Where::kAnywhere: base = fdp.ConsumeIntegralInRange<uint64_t>(0, phys_top - 1); break;
      case Where::kOverlap: base = prev_base + (prev_size ? fdp.ConsumeIntegralInRange<uint64_t>(0, prev_size - 1) : 0); break;
      case Where::kAmdHole: base = kAmdHoleBase; break;
      case Where::kTop: base = shape.hostile ? ~uint64_t{0} - fdp.ConsumeIntegralInRange<uint64_t>(0, 4 * kGiB) : phys_top - 4 * kMiB; break;
      case Where::kBeyondPhys: base = shape.hostile ? phys_top + fdp.ConsumeIntegral<uint32_t>() * 4 * kKiB : cursor; break;
      case Where::kLow: base = fdp.ConsumeIntegralInRange<uint64_t>(0, 1 * kMiB); break;
    }
    uint64_t size = 0;
    switch (fdp.ConsumeEnum<HowBig>()) {
      case HowBig::kPages: size = fdp.ConsumeIntegralInRange<uint64_t>(1, 1024) * 4 * kKiB; break;
      case HowBig::kSubPage: size = fdp.ConsumeIntegralInRange<uint64_t>(1, 8191); break;
      case HowBig::kLarge: size = fdp.ConsumeIntegralInRange<uint64_t>(1, 64) * fdp.PickValueInArray({2 * kMiB, kGiB}); break;
      case HowBig::kToTop: size = base == 0 ? ~uint64_t{0} : 0 - base; break;  // ends at 2^64
      case HowBig::kHuge: size = fdp.ConsumeIntegral<uint64_t>(); break;
    }
    if (base >= kAmdHoleBase && base < kAmdHoleEnd && size == 0) size = kAmdHoleEnd - base;
    if (!shape.hostile) {  // keep [base, base + size) inside [0, 2^MAXPHYADDR)
      if (base >= phys_top) base = phys_top - 4 * kKiB;
      if (size == 0 || size > phys_top - base) size = phys_top - base;
    } else if (size > 0 && base + (size - 1) < base) {
      size = 0 - base;  // as far as 2^64, never past it
    }
    prev_base = base;
    prev_size = size;
    cursor = base + size;
    const bool efi = tables == 2 || (tables == 3 && fdp.ConsumeBool());
    if (efi) {
      map::EfiDescriptor d;
      const uint8_t t = fdp.ConsumeIntegralInRange<uint8_t>(0, map::kEfiTypeCount);
      d.type = t < map::kEfiTypeCount ? t : fdp.ConsumeIntegral<uint32_t>();
      d.base = base & ~(map::kPageSize - 1);  // UEFI 2.10 7.2: whole pages
      d.pages = (size + map::kPageSize - 1) / map::kPageSize;
      if (d.pages == 0) d.pages = 1;
      if (!shape.hostile && d.pages > (phys_top - d.base) / map::kPageSize) d.pages = (phys_top - d.base) / map::kPageSize;
      d.attributes = EfiAttributes(fdp);
      if (d.pages > 0) m.efi.push_back(d);
    } else {
      m.e820.push_back({base, size, E820Type(fdp)});
    }
  }
  if (m.e820.empty() && m.efi.empty()) m.e820.push_back({0, 640 * kKiB, map::e820::kUsable});

  if (fdp.ConsumeBool()) {  // MTRRs, SDM Vol. 3A 12.11
    map::Mtrrs mtrr;
    static constexpr MemType kTypes[] = {MemType::kUC, MemType::kWC, MemType::kWT, MemType::kWP, MemType::kWB};
    mtrr.default_type = fdp.PickValueInArray(kTypes);
    if (fdp.ConsumeBool()) {
      for (uint64_t b = 0; b < kMiB; b += 256 * kKiB) mtrr.fixed.push_back({b, 256 * kKiB, fdp.PickValueInArray(kTypes)});
    }
    const uint8_t vars = fdp.ConsumeIntegralInRange<uint8_t>(0, 8);
    for (uint8_t i = 0; i < vars; ++i) {
      const uint8_t bits = fdp.ConsumeIntegralInRange<uint8_t>(12, m.cpu.maxphyaddr);
      const uint64_t range = uint64_t{1} << bits;
      map::MtrrVariable v;
      v.mask = (phys_top - 1) & ~(range - 1);
      v.base = fdp.ConsumeIntegralInRange<uint64_t>(0, (phys_top >> bits) - 1) << bits;
      v.type = fdp.PickValueInArray(kTypes);
      mtrr.variable.push_back(v);
    }
    m.mtrr = mtrr;
  }
  if (fdp.ConsumeBool()) {
    const uint64_t base = fdp.ConsumeIntegralInRange<uint64_t>(0, phys_top / (16 * kMiB) - 1) * 16 * kMiB;
    m.framebuffer = map::Framebuffer{base, fdp.ConsumeIntegralInRange<uint64_t>(1, 256) * 64 * kKiB};
  }
  const uint8_t used = fdp.ConsumeIntegralInRange<uint8_t>(0, 3);
  for (uint8_t i = 0; i < used; ++i) {
    map::UsedRange u;
    u.name = fdp.PickValueInArray({"kernel", "boot-info", "stack", "initrd"});
    u.base = fdp.ConsumeIntegralInRange<uint64_t>(0, 4 * kGiB / (4 * kKiB)) * 4 * kKiB;
    u.size = fdp.ConsumeIntegralInRange<uint64_t>(1, 4096) * 4 * kKiB;
    m.used.push_back(u);
  }
  return m;
}

}  // namespace bootmap::fuzz
