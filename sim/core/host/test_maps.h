// Maps built in code for the host tests (the same shapes as maps/real).
#pragma once
#include "sim/map/memory_map.h"

namespace bootmap::core::host::testing {

// QEMU 7.2 q35, AMD EPYC vCPU, 4 GiB, SeaBIOS: the AMD HyperTransport hole at
// 0xfd_0000_0000..0xff_ffff_ffff is reported as reserved (maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json).
inline map::MemoryMap QemuAmdHole4G() {
  map::MemoryMap m;
  m.name = "qemu-7.2-q35-epyc-4g-seabios-e820";
  m.cpu.vendor = map::CpuVendor::kAmd;
  m.cpu.maxphyaddr = 40;
  m.e820 = {{0x0, 0x9fc00, 1},          {0x9fc00, 0x400, 2},          {0xf0000, 0x10000, 2},
            {0x100000, 0x7fedf000, 1},  {0x7ffdf000, 0x21000, 2},     {0xb0000000, 0x10000000, 2},
            {0xfed1c000, 0x4000, 2},    {0xfffc0000, 0x40000, 2},     {0x100000000, 0x80000000, 1},
            {0xfd00000000, 0x300000000, 2}};
  return m;
}

// The same map with a kernel, boot info, a framebuffer and MTRRs (WB below 2 GiB and
// 4..6 GiB, UC elsewhere; fixed ranges making the VGA window UC).
inline map::MemoryMap QemuWithExtras() {
  map::MemoryMap m = QemuAmdHole4G();
  m.used = {{"kernel", 0x1000000, 0x1a00000}, {"boot-info", 0x3000000, 0x5000}, {"stack", 0x7000000, 0x10000}};
  m.framebuffer = map::Framebuffer{0xc0000000, 0x300000};
  map::Mtrrs mtrr;
  mtrr.default_type = MemType::kUC;
  mtrr.fixed = {{0, 0xa0000, MemType::kWB}, {0xa0000, 0x20000, MemType::kUC}, {0xc0000, 0x40000, MemType::kWP}};
  const uint64_t phys_mask = (1ull << 40) - 1;
  mtrr.variable = {{0x0, phys_mask & ~((1ull << 31) - 1), MemType::kWB},
                   {0x100000000, phys_mask & ~((1ull << 31) - 1), MemType::kWB}};
  m.mtrr = mtrr;
  return m;
}

}  // namespace bootmap::core::host::testing
