// The builder: MapRequests -> page tables, by range-based descent over one generic
// algorithm for every format (formats.h). Freestanding.
//
// Requests must be sorted by va (SortRequests). Overlapping requests must map
// identically (then the overlap is a no-op); otherwise the build fails naming both.
// BuildTables sizes first (a dry run that also validates everything, existing entries
// included), reserves exactly that many frames, takes them all from the allocator, and
// only then writes. Every failure (bad input, a conflict, an allocator that breaks its
// reserve promise, a window that cannot reach a frame) happens before the first write,
// so existing tables stay byte-identical; frames already taken are not given back (the
// allocator has no free). The commit asks the window only for existing tables the dry run
// already reached, so it cannot fail with a deterministic window (the contract: the same
// pa gives the same answer during a build); a window that breaks that gets kUnreachable
// with the tables partly extended, never a write through null.
//
// Extending existing tables (root_pa != kNoRoot):
// - "the same mapping" ignores the bits the CPU sets: Accessed and Dirty (IA-32e bits 5
//   and 6, SDM Vol. 3A 4.8; EPT bits 8 and 9, Vol. 3C 29.3.5);
// - an existing non-leaf entry on the path must allow what the new leaf grants (R/W,
//   U/S, no XD; EPT R/W/X, Vol. 3A 4.6, Vol. 3C 29.3.3). A stricter one is reported
//   (kRestrictedPath), never widened: widening would grant the same to every mapping
//   already below it;
// - every table an existing entry points to must be reachable through the window
//   (else kUnreachable, found by the dry run).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/memory.h"
#include "sim/core/status.h"
#include "sim/core/types.h"

namespace bootmap::core {

inline constexpr uint64_t kNoRoot = ~uint64_t{0};

struct BuildOptions {
  Paging paging = Paging::kX86Level4;
  // Leaf sizes the CPU supports. IA-32e: 1 GiB pages are CPUID.80000001H:EDX[26], 2 MiB
  // always exist. EPT: IA32_VMX_EPT_VPID_CAP bits 17 and 16 (SDM Vol. 3D Appendix A.10).
  // page1gb implies page2m (the cap is one largest size).
  bool page1gb = true;
  bool page2m = true;
  bool nx = true;           // EFER.NXE will be set; otherwise bit 63 is reserved
  uint8_t maxphyaddr = 52;  // physical addresses must stay below 2^maxphyaddr; at most
                            // 52 (SDM Vol. 3A 4.1.4), else kInvalidCpu
  // Write new leaves with Accessed and Dirty already set, as Linux's PAGE_KERNEL does:
  // the CPU then never needs a locked A/D update on first touch (SDM Vol. 3A 4.8). For
  // EPT the bits (8, 9) only matter when EPTP[6] enables A/D (Vol. 3C 29.3.5).
  bool preset_accessed_dirty = true;
  // Most table frames a build may take (0: no limit). Sizing stops with kOutOfFrames as
  // soon as the count passes it, so the dry run's work is bounded too (DESIGN.md: past a
  // limit a clear error, never a hang).
  uint64_t max_frames = 0;
};

struct LeafCounts {
  uint64_t leaves[3] = {0, 0, 0};  // new leaves by level: 4 KiB, 2 MiB, 1 GiB
  uint64_t tables = 0;             // new table frames
};

// A host's progress callback: leaves written so far, from the building thread.
struct ProgressHook {
  void (*report)(void* ctx, uint64_t leaves) = nullptr;
  void* ctx = nullptr;
};
inline constexpr int kProgressShift = 16;  // the hook runs once per 2^16 leaves

// Optional counters. per_window[w] gets what requests with window == w added.
struct BuildStats {
  LeafCounts total;
  LeafCounts* per_window = nullptr;
  uint32_t window_count = 0;
  ProgressHook progress;  // optional
};

// Dry run: validates and returns the exact number of frames BuildTables will take.
// root_pa: an existing root table to add to, or kNoRoot (then the root is counted).
Result<uint64_t> SizeTables(const BuildOptions& options, const PhysWindow& window,
                            uint64_t root_pa, const MapRequest* requests, size_t count,
                            BuildStats* stats = nullptr);

struct BuildOutput {
  uint64_t root_pa = kNoRoot;  // CR3 / EPTP address bits
  uint64_t frames = 0;         // frames taken (== SizeTables)
};

Result<BuildOutput> BuildTables(const BuildOptions& options, const PhysWindow& window,
                                FrameAllocator& allocator, uint64_t root_pa,
                                const MapRequest* requests, size_t count,
                                BuildStats* stats = nullptr);

}  // namespace bootmap::core
