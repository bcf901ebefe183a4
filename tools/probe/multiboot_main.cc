// The Multiboot entry's C++ half: the info QEMU's loader hands over (Multiboot 0.6.96
// 3.3) -> the map and the footprint -> RunCore (boot_core.h). Freestanding.
#include <stddef.h>
#include <stdint.h>

#include "tools/probe/boot_core.h"
#include "tools/probe/console.h"
#include "tools/probe/cpu.h"
#include "tools/probe/exceptions.h"
#include "tools/probe/firmware_map.h"

extern "C" {
void SwitchTo5Level(uint64_t root);
extern char __code_start[], __code_end[], __data_start[], __data_end[], __stack_start[], __stack_end[];
}

namespace probe {
namespace {

using bootmap::RangeRole;
using bootmap::core::RegionInfo;

constexpr uint32_t kMultibootMagic = 0x2badb002;  // Multiboot 0.6.96 3.2

uint64_t Addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// The kernel command line: `profile=NAME` (only bootmap), `paging=4|5`. Multiboot 3.3.
struct Options {
  bool la57 = false;
};

bool StartsWith(const char* s, const char* prefix) {
  while (*prefix)
    if (*s++ != *prefix++) return false;
  return true;
}

Options ParseCmdline(const char* s) {
  Options o;
  while (s && *s) {
    while (*s == ' ') ++s;
    if (StartsWith(s, "profile=") && !(StartsWith(s, "profile=bootmap") && (s[15] == ' ' || s[15] == 0)))
      Fail("unsupported-profile (only bootmap is built in)");
    if (StartsWith(s, "paging=5")) o.la57 = true;
    while (*s && *s != ' ') ++s;
  }
  return o;
}

// The image (code, data, stack: linker symbols, link.ld) and the boot info it still reads.
void DescribeFootprint(const MultibootInfo& mbi, Footprint* f) {
#ifdef PROBE_PLANT_NX_TRANSITION
  // Planted failure (tools/checks/qemu-probe): the code described as data, so the new
  // tables map it NX and the first fetch after the CR3 switch faults.
  f->Keep("probe-code", Addr(__code_start), Addr(__code_end), RangeRole::kData);
#else
  f->Keep("probe-code", Addr(__code_start), Addr(__code_end), RangeRole::kCode);
#endif
  f->Keep("probe-data", Addr(__data_start), Addr(__data_end), RangeRole::kData);
#ifdef PROBE_PLANT_RO_STACK
  // Planted failure: the stack described as code, so it is mapped read-only (and
  // executable) and the first push after the switch faults.
  f->Keep("probe-stack", Addr(__stack_start), Addr(__stack_end), RangeRole::kCode);
#else
  f->Keep("probe-stack", Addr(__stack_start), Addr(__stack_end), RangeRole::kStack);
#endif
  // Multiboot 3.3: the info structure, the command line and the mmap buffer (QEMU puts
  // them in different places); page-rounded, merged where they share a page.
  struct Piece {
    uint64_t lo, hi;
    const char* name;
  } pieces[3] = {{Addr(&mbi), Addr(&mbi) + sizeof(MultibootInfo), "boot-info"},
                 {mbi.mmap_addr, uint64_t(mbi.mmap_addr) + mbi.mmap_length, "boot-mmap"},
                 {0, 0, "boot-cmdline"}};
  if (mbi.flags & kMbInfoCmdline) {
    const char* c = reinterpret_cast<const char*>(uint64_t(mbi.cmdline));
    uint64_t len = 0;
    while (c[len]) ++len;
    pieces[2] = {mbi.cmdline, mbi.cmdline + len + 1, "boot-cmdline"};
  }
  for (Piece& p : pieces) p = {PageDown(p.lo), PageUp(p.hi), p.name};
  for (int i = 0; i < 3; ++i) {
    if (pieces[i].hi == pieces[i].lo) continue;
    for (int j = i + 1; j < 3; ++j) {
      if (pieces[j].hi == pieces[j].lo || pieces[j].lo > pieces[i].hi || pieces[i].lo > pieces[j].hi) continue;
      pieces[i].lo = pieces[j].lo < pieces[i].lo ? pieces[j].lo : pieces[i].lo;
      pieces[i].hi = pieces[j].hi > pieces[i].hi ? pieces[j].hi : pieces[i].hi;
      pieces[j].hi = pieces[j].lo;  // merged into i
    }
    f->Keep(pieces[i].name, pieces[i].lo, pieces[i].hi, RangeRole::kBootInfo);
  }
}

void ReportMap(const E820Entry* e, int n, const RegionInfo* regions, int region_count) {
  for (int i = 0; i < n; ++i) Out("map").Hex(e[i].base).Hex(e[i].size).Dec(e[i].type).End();
  for (int i = 0; i < region_count; ++i)
    Out("region").Hex(regions[i].base).Hex(regions[i].size).Dec(uint64_t(regions[i].kind)).End();
}

}  // namespace
}  // namespace probe

extern "C" void ProbeMain(uint32_t magic, uint32_t info_pa) {
  using namespace probe;
  Out("start bootmap-probe").End();
  if (magic != kMultibootMagic) Fail("not-multiboot", magic);
  InstallIdt();
  const auto& mbi = *reinterpret_cast<const MultibootInfo*>(uint64_t(info_pa));
  const Options options =
      ParseCmdline((mbi.flags & kMbInfoCmdline) ? reinterpret_cast<const char*>(uint64_t(mbi.cmdline)) : nullptr);
  static E820Entry entries[kMaxEntries];
  const int n = ReadMultibootMap(mbi, entries, kMaxEntries);
  if (n <= 0) Fail("no-multiboot-mmap-or-over-128-entries", mbi.flags);
  static RegionInfo regions[2 * kMaxEntries + 1];
  const int region_count = NormalizeE820(entries, size_t(n), regions, 2 * kMaxEntries + 1);
  if (region_count <= 0) Fail("empty-map", uint64_t(n));
  ReportMap(entries, n, regions, region_count);
  static Footprint footprint;
  DescribeFootprint(mbi, &footprint);
  BootInputs boot;
  boot.regions = regions;
  boot.region_count = size_t(region_count);
  boot.footprint = &footprint;
  boot.la57 = options.la57;
  boot.switch_la57 = SwitchTo5Level;
  boot.stack_bottom = Addr(__stack_start);
  boot.boot_info_va = Addr(&mbi);
  RunCore(boot);
}
