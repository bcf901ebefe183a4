// The UEFI probe: a PE32+ application OVMF starts from \EFI\BOOT\BOOTX64.EFI. It takes the
// memory map, leaves boot services (retrying while the map key goes stale), moves onto its
// own stack, GDT and IDT, and hands the map and its footprint to RunCore: the core's tables
// keep exactly the application's sections, its stack and the EFI runtime regions, with no
// blanket identity map; the firmware's live page tables are reserved, not mapped.
// Freestanding, Microsoft x64 ABI.
#include <stddef.h>
#include <stdint.h>

#include "tools/probe/boot_core.h"
#include "tools/probe/console.h"
#include "tools/probe/cpu.h"
#include "tools/probe/efi.h"
#include "tools/probe/exceptions.h"
#include "tools/probe/firmware_map.h"

extern "C" {
extern const char __ImageBase[];  // lld-link: the image's load address
struct GdtPointer;
void LoadGdt(const GdtPointer* p);
void RunOnStack(void (*fn)(void*), void* arg, void* top);
}

namespace probe {
namespace {

using bootmap::RangeRole;
using bootmap::core::RegionInfo;

constexpr int kMaxExitAttempts = 8;
constexpr size_t kMaxTablePages = 4096;

alignas(4096) uint8_t map_buffer[96 * 1024];  // the final memory map, read after the switch
__attribute__((section(".stack"), aligned(4096))) uint8_t stack[32 * 1024];

struct [[gnu::packed]] Gdtr {
  uint16_t limit;
  uint64_t base;
};
// Null, 64-bit code (0x08), data (0x10); accessed bits preset (SDM Vol. 3A 3.4.5).
alignas(16) uint64_t gdt[3] = {0, 0x00af9b000000ffffull, 0x00cf93000000ffffull};
Gdtr gdtr;

struct ExitedMap {
  uint64_t size, descriptor_size;
  int attempts;
};
ExitedMap exited;

// UEFI 2.10 7.4.6: ExitBootServices fails with EFI_INVALID_PARAMETER when the map changed
// since GetMemoryMap; get it again and retry. Nothing between the two calls allocates.
void ExitBootServices(efi::Handle image, efi::BootServices* bs) {
  for (int attempt = 1; attempt <= kMaxExitAttempts; ++attempt) {
    uint64_t size = sizeof(map_buffer), key = 0, descriptor_size = 0;
    uint32_t version = 0;
    const efi::Status s = bs->get_memory_map(&size, map_buffer, &key, &descriptor_size, &version);
    if (s != efi::kSuccess) Fail("GetMemoryMap", s);
    if (bs->exit_boot_services(image, key) == efi::kSuccess) {
      exited = {size, descriptor_size, attempt};
      return;
    }
  }
  Fail("ExitBootServices-kept-failing", kMaxExitAttempts);
}

// The image's sections (PE/COFF: e_lfanew at 0x3c, section table after the optional
// header), merged where adjacent with one role; discardable ones (.reloc) left out.
void DescribeImage(Footprint* f) {
  const auto* base = reinterpret_cast<const uint8_t*>(__ImageBase);
  const uint8_t* pe = base + *reinterpret_cast<const uint32_t*>(base + 0x3c);
  const uint16_t sections = *reinterpret_cast<const uint16_t*>(pe + 6);
  const uint8_t* sec = pe + 24 + *reinterpret_cast<const uint16_t*>(pe + 20);
  uint64_t lo = 0, hi = 0;
  RangeRole role = RangeRole::kData;
  auto flush = [&] {
    if (hi > lo)
      f->Keep(role == RangeRole::kCode ? "probe-code" : role == RangeRole::kStack ? "probe-stack" : "probe-data", lo, hi,
              role);
  };
  for (uint16_t i = 0; i < sections; ++i, sec += 40) {
    const uint32_t flags = *reinterpret_cast<const uint32_t*>(sec + 36);
    if (flags & 0x02000000) continue;  // IMAGE_SCN_MEM_DISCARDABLE
    const uint64_t s_lo = uint64_t(base) + *reinterpret_cast<const uint32_t*>(sec + 12);
    const uint64_t s_hi = PageUp(s_lo + *reinterpret_cast<const uint32_t*>(sec + 8));
    const bool is_stack = s_lo == reinterpret_cast<uint64_t>(stack);
    const RangeRole r = (flags & 0x20000000) ? RangeRole::kCode : is_stack ? RangeRole::kStack : RangeRole::kData;
    if (r == role && s_lo == hi) {
      hi = s_hi;
      continue;
    }
    flush();
    lo = s_lo, hi = s_hi, role = r;
  }
  flush();
}

// Every table page of the firmware's live tree (SDM Vol. 3A 4.5): we run on it until the
// switch, so no frame of it may be taken for the new tables.
void CollectTables(uint64_t table, int level, uint64_t* pages, size_t* n) {
  if (*n == kMaxTablePages) Fail("firmware-tables-too-many", kMaxTablePages);
  pages[(*n)++] = table;
  if (level == 1) return;
  const auto* e = reinterpret_cast<const uint64_t*>(table);
  for (int i = 0; i < 512; ++i) {
    if (!(e[i] & 1) || (level <= 3 && (e[i] & 0x80))) continue;  // not present, or a large leaf
    CollectTables(e[i] & 0x000ffffffffff000ull, level - 1, pages, n);
  }
}

void ReserveFirmwareTables(Footprint* f) {
  static uint64_t pages[kMaxTablePages];
  size_t n = 0;
  CollectTables(ReadCr3() & 0x000ffffffffff000ull, (ReadCr4() >> 12) & 1 ? 5 : 4, pages, &n);
  for (size_t i = 1; i < n; ++i)  // insertion sort: a few dozen pages
    for (size_t j = i; j > 0 && pages[j - 1] > pages[j]; --j) {
      const uint64_t t = pages[j];
      pages[j] = pages[j - 1];
      pages[j - 1] = t;
    }
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && pages[j] <= pages[j - 1] + kPage) ++j;
    f->Reserve("firmware-tables", pages[i], pages[j - 1] + kPage);
    i = j;
  }
}

int ReadMap(RegionInfo* regions, size_t capacity) {
  static RawRegion raw[kMaxEntries];
  const size_t count = exited.size / exited.descriptor_size;
  if (count > kMaxEntries) Fail("efi-map-over-entries", count);
  for (size_t i = 0; i < count; ++i) {
    const auto& d = *reinterpret_cast<const EfiDescriptor*>(map_buffer + i * exited.descriptor_size);
    Out("efi").Dec(d.type).Hex(d.physical_start).Hex(d.pages).Hex(d.attribute).End();
    raw[i] = {d.physical_start, d.pages * kPage, KindOfEfi(d.type, d.attribute), d.attribute};
  }
  const int n = Normalize(raw, count, regions, capacity);
  if (n <= 0) Fail("empty-map", count);
  for (int i = 0; i < n; ++i)
    Out("region").Hex(regions[i].base).Hex(regions[i].size).Dec(uint64_t(regions[i].kind)).End();
  return n;
}

// On the probe's own stack, boot services gone.
void AfterExit(void*) {
  gdtr = {sizeof(gdt) - 1, reinterpret_cast<uint64_t>(gdt)};
  LoadGdt(reinterpret_cast<const GdtPointer*>(&gdtr));
  InstallIdt();
  // The firmware may have mapped boot-services code read-only (image protection); table
  // frames may come from there now, and are written through its identity map: CR0.WP off
  // until RunCore turns it back on for the switch (SDM Vol. 3A 4.6.1).
  WriteCr0(ReadCr0() & ~uint64_t{1u << 16});
  Out("exit-boot-services attempts").Dec(uint64_t(exited.attempts)).End();
  static RegionInfo regions[2 * kMaxEntries + 1];
  const int n = ReadMap(regions, 2 * kMaxEntries + 1);
  static Footprint footprint;
  DescribeImage(&footprint);
  ReserveFirmwareTables(&footprint);
  BootInputs boot;
  boot.regions = regions;
  boot.region_count = size_t(n);
  boot.footprint = &footprint;
  boot.boot_info_va = reinterpret_cast<uint64_t>(map_buffer);
  boot.stack_bottom = reinterpret_cast<uint64_t>(stack);
  RunCore(boot);
}

}  // namespace
}  // namespace probe

extern "C" EFIAPI efi::Status EfiMain(efi::Handle image, efi::SystemTable* st) {
  using namespace probe;
  Out("start bootmap-probe-uefi").End();
  ExitBootServices(image, st->boot_services);
  asm volatile("cli");  // the firmware's interrupt handlers are gone with it
  RunOnStack(AfterExit, nullptr, stack + sizeof(stack));
  return efi::kSuccess;  // not reached
}
