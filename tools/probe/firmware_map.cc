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

bool IsRamKind(RegionKind k) { return k == RegionKind::kUsable; }

struct Span {
  uint64_t lo, hi;
  RegionKind kind;
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

int Normalize(const E820Entry* entries, size_t count, RegionInfo* out, size_t capacity) {
  static Span spans[kMaxEntries];
  static uint64_t cuts[2 * kMaxEntries];
  if (count > kMaxEntries) return -1;
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) {
    const RegionKind kind = KindOfE820(entries[i].type);
    const uint64_t lo = entries[i].base, hi = entries[i].base + entries[i].size;
    if (hi <= lo) continue;  // empty (or wrapping: the host rejects it)
    // RAM shrinks to whole pages, the rest grows (nothing else is half-mapped as RAM).
    Span s = IsRamKind(kind) ? Span{(lo + kPage - 1) & ~(kPage - 1), hi & ~(kPage - 1), kind}
                             : Span{lo & ~(kPage - 1), (hi + kPage - 1) & ~(kPage - 1), kind};
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
    int best = -1;
    RegionKind kind = RegionKind::kUsable;
    for (size_t i = 0; i < n; ++i)
      if (spans[i].lo <= lo && hi <= spans[i].hi && Priority(spans[i].kind) > best) {
        best = Priority(spans[i].kind);
        kind = spans[i].kind;
      }
    if (best < 0) continue;  // a hole
    if (regions > 0 && out[regions - 1].kind == kind && out[regions - 1].base + out[regions - 1].size == lo) {
      out[regions - 1].size += hi - lo;
      continue;
    }
    if (size_t(regions) == capacity) return -1;
    out[regions++] = {lo, hi - lo, kind, 0};
  }
  return regions;
}

}  // namespace probe
