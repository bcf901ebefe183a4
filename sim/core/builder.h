// The builder: MapRequests -> page tables, by range-based descent over one generic
// algorithm for every format (formats.h). Freestanding.
//
// Requests must be sorted by va (SortRequests). Overlapping requests must map
// identically (then the overlap is a no-op); otherwise the build fails naming both.
// BuildTables sizes first (a dry run that also validates everything), reserves exactly
// that many frames, then commits; a failure before commit leaves the tables untouched.
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
  uint8_t maxphyaddr = 52;  // physical addresses must stay below 2^maxphyaddr
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
