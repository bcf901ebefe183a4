// Vocabulary shared by plan and build: paging formats, page sizes, map requests.
// Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/kinds.h"

namespace bootmap::core {

enum class Paging : uint8_t {
  kX86Level4,  // IA-32e 4-level, SDM Vol. 3A 4.5
  kX86Level5,  // IA-32e 5-level (CR4.LA57)
  kEptLevel4,  // EPT, page-walk length 4, SDM Vol. 3C 29.3
  kEptLevel5,  // EPT, page-walk length 5
};
constexpr bool IsEpt(Paging p) { return p == Paging::kEptLevel4 || p == Paging::kEptLevel5; }
constexpr int PagingLevels(Paging p) {
  return (p == Paging::kX86Level5 || p == Paging::kEptLevel5) ? 5 : 4;
}
// Linear (or guest-physical) address width.
constexpr int PagingVaBits(Paging p) { return PagingLevels(p) == 5 ? 57 : 48; }

// Level 0 maps 4 KiB, 1 maps 2 MiB, 2 maps 1 GiB, 3 is PML4, 4 is PML5.
inline constexpr uint8_t kLevel4K = 0;
inline constexpr uint8_t kLevel2M = 1;
inline constexpr uint8_t kLevel1G = 2;
inline constexpr int kEntriesPerTable = 512;
inline constexpr uint64_t kFrameBytes = 4096;
constexpr int LevelShift(int level) { return 12 + 9 * level; }
constexpr uint64_t LevelBytes(int level) { return uint64_t{1} << LevelShift(level); }
static_assert(LevelBytes(kLevel2M) == 2 * 1024 * 1024);
static_assert(LevelBytes(kLevel1G) == 1024 * 1024 * 1024);

// Map [va, va + size) to [pa, pa + size). va is linear for IA-32e (canonical),
// guest-physical for EPT. All three are 4 KiB aligned.
struct MapRequest {
  uint64_t va = 0;
  uint64_t pa = 0;
  uint64_t size = 0;
  bool writable = false;
  bool user = false;
  bool nx = false;
  bool global = false;
  MemType type = MemType::kWB;
  uint8_t max_level = kLevel1G;  // largest page: kLevel4K, kLevel2M or kLevel1G
  uint16_t window = 0;           // layout window that asked for it
};

// Same translation and attributes where they overlap (page-size cap aside).
constexpr bool SameMapping(const MapRequest& a, const MapRequest& b) {
  return a.pa - a.va == b.pa - b.va && a.writable == b.writable && a.user == b.user &&
         a.nx == b.nx && a.global == b.global && a.type == b.type;
}

struct PhysRange {
  uint64_t base = 0;
  uint64_t size = 0;
};

// A range live across the switch to the new tables, with what it holds.
struct RoleRange {
  uint64_t base = 0;
  uint64_t size = 0;
  RangeRole role = RangeRole::kData;
};

// In-place sort by (va, pa); heapsort: no allocation, O(n log n).
void SortRequests(MapRequest* requests, size_t count);

}  // namespace bootmap::core
