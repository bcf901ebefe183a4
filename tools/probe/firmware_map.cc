#include "tools/probe/firmware_map.h"

namespace probe {
namespace {

using bootmap::RegionKind;
using bootmap::core::RegionInfo;

constexpr uint64_t kPage = 4096;

// Larger wins, the order maps/SCHEMA.md documents for the default overlap rule:
// unusable > reserved > mmio > mmio-port > unaccepted > soft-reserved > nvs >
// runtime-code > runtime-data > acpi > persistent > loader > boot-services > usable.
int Priority(RegionKind k) {
  switch (k) {
    case RegionKind::kUsable: return 0;
    case RegionKind::kBootServices: return 1;
    case RegionKind::kLoader: return 2;
    case RegionKind::kPersistent: return 3;
    case RegionKind::kAcpiReclaim: return 4;
    case RegionKind::kRuntimeData: return 5;
    case RegionKind::kRuntimeCode: return 6;
    case RegionKind::kAcpiNvs: return 7;
    case RegionKind::kSoftReserved: return 8;
    case RegionKind::kUnaccepted: return 9;
    case RegionKind::kMmioPort: return 10;
    case RegionKind::kMmio: return 11;
    case RegionKind::kReserved: return 12;
    case RegionKind::kUnusable: return 13;
  }
  return 12;
}

bool RoundsInward(RegionKind k) {
  return k == RegionKind::kUsable || k == RegionKind::kBootServices || k == RegionKind::kLoader;
}

struct Span {
  uint64_t lo, hi;
  RegionKind kind;
  uint64_t attributes;
};

// Insertion sort: the firmware's maps are a few dozen entries.
void SortCuts(uint64_t* v, size_t n) {
  for (size_t i = 1; i < n; ++i)
    for (size_t j = i; j > 0 && v[j - 1] > v[j]; --j) {
      const uint64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
}

}  // namespace

int ReadMultibootMap(const MultibootInfo& info, E820Entry* out, size_t capacity) {
  if (!(info.flags & kMbInfoMmap)) return -1;
  size_t n = 0;
  uint64_t at = info.mmap_addr;
  const uint64_t end = at + info.mmap_length;
  while (at + 24 <= end) {
    const auto* p = reinterpret_cast<const volatile uint8_t*>(at);
    const uint32_t size = *reinterpret_cast<const volatile uint32_t*>(p);
    if (n == capacity) return -1;
    out[n].base = *reinterpret_cast<const volatile uint64_t*>(p + 4);
    out[n].size = *reinterpret_cast<const volatile uint64_t*>(p + 12);
    out[n].type = *reinterpret_cast<const volatile uint32_t*>(p + 20);
    ++n;
    at += uint64_t(size) + 4;
  }
  return int(n);
}

RegionKind KindOfE820(uint32_t type) {
  switch (type) {
    case 1: return RegionKind::kUsable;
    case 3: return RegionKind::kAcpiReclaim;
    case 4: return RegionKind::kAcpiNvs;
    case 5: return RegionKind::kUnusable;
    case 7:
    case 12: return RegionKind::kPersistent;
    case 0xefffffffu: return RegionKind::kSoftReserved;
    default: return RegionKind::kReserved;  // 2 and unknown numbers
  }
}

RegionKind KindOfEfi(uint32_t type, uint64_t attributes) {
  if (type == 7 && (attributes & kEfiMemorySp)) return RegionKind::kSoftReserved;
  switch (type) {
    case 1:
    case 2: return RegionKind::kLoader;          // EfiLoaderCode/Data
    case 3:
    case 4: return RegionKind::kBootServices;    // EfiBootServicesCode/Data
    case 5: return RegionKind::kRuntimeCode;
    case 6: return RegionKind::kRuntimeData;
    case 7: return RegionKind::kUsable;          // EfiConventionalMemory
    case 8: return RegionKind::kUnusable;
    case 9: return RegionKind::kAcpiReclaim;
    case 10: return RegionKind::kAcpiNvs;
    case 11: return RegionKind::kMmio;
    case 12: return RegionKind::kMmioPort;
    case 14: return RegionKind::kPersistent;
    case 15: return RegionKind::kUnaccepted;
    default: return RegionKind::kReserved;       // Reserved, PalCode, OEM/OS types
  }
}

int NormalizeE820(const E820Entry* entries, size_t count, RegionInfo* out, size_t capacity) {
  static RawRegion raw[kMaxEntries];
  if (count > kMaxEntries) return -1;
  for (size_t i = 0; i < count; ++i) raw[i] = {entries[i].base, entries[i].size, KindOfE820(entries[i].type), 0};
  return Normalize(raw, count, out, capacity);
}

int Normalize(const RawRegion* entries, size_t count, RegionInfo* out, size_t capacity) {
  static Span spans[kMaxEntries];
  static uint64_t cuts[2 * kMaxEntries];
  if (count > kMaxEntries) return -1;
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) {
    const RegionKind kind = entries[i].kind;
    const uint64_t lo = entries[i].base, hi = entries[i].base + entries[i].size;
    if (hi <= lo) continue;  // empty (or wrapping: the host rejects it)
    // RAM shrinks to whole pages, the rest grows (nothing else is half-mapped as RAM).
    Span s = RoundsInward(kind) ? Span{(lo + kPage - 1) & ~(kPage - 1), hi & ~(kPage - 1), kind, entries[i].attributes}
                                : Span{lo & ~(kPage - 1), (hi + kPage - 1) & ~(kPage - 1), kind, entries[i].attributes};
    if (s.hi <= s.lo) continue;
    spans[n] = s;
    cuts[2 * n] = s.lo;
    cuts[2 * n + 1] = s.hi;
    ++n;
  }
  SortCuts(cuts, 2 * n);
  int regions = 0;
  for (size_t c = 0; c + 1 < 2 * n; ++c) {
    const uint64_t lo = cuts[c], hi = cuts[c + 1];
    if (lo == hi) continue;
    const Span* win = nullptr;  // the highest priority; within a kind, the latest-starting
    for (size_t i = 0; i < n; ++i)
      if (spans[i].lo <= lo && hi <= spans[i].hi &&
          (!win || Priority(spans[i].kind) > Priority(win->kind) ||
           (spans[i].kind == win->kind && spans[i].lo >= win->lo)))
        win = &spans[i];
    if (!win) continue;  // a hole
    RegionInfo* last = regions > 0 ? &out[regions - 1] : nullptr;
    if (last && last->kind == win->kind && last->efi_attributes == win->attributes && last->base + last->size == lo) {
      last->size += hi - lo;
      continue;
    }
    if (size_t(regions) == capacity) return -1;
    out[regions++] = {lo, hi - lo, win->kind, win->attributes};
  }
  return regions;
}

}  // namespace probe
