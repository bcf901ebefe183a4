// Where table frames may come from: allocatable RAM (IsAllocatable) at or above a floor
// (1 MiB), below an optional ceiling, outside every excluded range (used ranges, the
// framebuffer), each frame once. Hands frames out in ascending order. Freestanding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sim/core/memory.h"
#include "sim/core/plan.h"

namespace bootmap::core {

struct FramePolicy {
  const RegionInfo* regions = nullptr;  // sorted, disjoint (normalised)
  size_t region_count = 0;
  const PhysRange* exclude = nullptr;   // any order
  size_t exclude_count = 0;
  uint64_t floor = uint64_t{1} << 20;   // legacy low memory stays untouched
  uint64_t ceiling = 0;                 // 0: none; else frames end at or below it
  bool firmware_live = false;           // before ExitBootServices: conventional memory only
};

class RegionFrameAllocator {
 public:
  RegionFrameAllocator(const FramePolicy& policy, const PhysWindow& window)
      : policy_(policy), window_(window) {}

  // The next frame, untouched (the builder writes every entry). Frames the window cannot
  // reach are skipped, one by one: set `ceiling` to what the window reaches to skip them at once.
  bool Allocate(uint64_t* pa);
  // True if the next `count` Allocate calls will succeed (unreachable frames not counted).
  bool Reserve(uint64_t count) const;
  uint64_t allocated() const { return allocated_; }

  // The interface the builder takes; valid while *this lives.
  FrameAllocator Interface();

 private:
  // First free run [*lo, *hi) at or above `from`; false if none.
  bool NextRun(uint64_t from, uint64_t* lo, uint64_t* hi) const;

  FramePolicy policy_;
  PhysWindow window_;
  uint64_t cursor_ = 0;
  uint64_t run_end_ = 0;  // [cursor_, run_end_) is free
  uint64_t allocated_ = 0;
};

}  // namespace bootmap::core
