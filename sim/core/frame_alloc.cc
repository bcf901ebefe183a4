#include "sim/core/frame_alloc.h"

namespace bootmap::core {
namespace {

constexpr uint64_t kFrameMask = kFrameBytes - 1;
constexpr uint64_t AlignUp(uint64_t v) { return v > ~kFrameMask ? ~kFrameMask : (v + kFrameMask) & ~kFrameMask; }

// End of [base, base + size), saturated to the last whole frame below 2^64.
constexpr uint64_t FrameEnd(uint64_t base, uint64_t size) {
  return size > ~uint64_t{0} - base ? ~kFrameMask : (base + size) & ~kFrameMask;
}

}  // namespace

bool RegionFrameAllocator::NextRun(uint64_t from, uint64_t* lo_out, uint64_t* hi_out) const {
  for (size_t r = 0; r < policy_.region_count; ++r) {
    const RegionInfo& region = policy_.regions[r];
    if (!IsAllocatable(region.kind)) continue;
    if (policy_.firmware_live && region.kind != RegionKind::kUsable) continue;  // UEFI 2.10 7.4
    uint64_t hi = FrameEnd(region.base, region.size);
    if (policy_.ceiling != 0 && hi > (policy_.ceiling & ~kFrameMask)) hi = policy_.ceiling & ~kFrameMask;
    uint64_t lo = from;
    if (lo < region.base) lo = region.base;
    if (lo < policy_.floor) lo = policy_.floor;
    lo = AlignUp(lo);
    // Cut at exclusions until nothing changes: skip one that covers lo, stop at the
    // next one that starts inside.
    bool changed = true;
    while (changed && lo < hi) {
      changed = false;
      for (size_t x = 0; x < policy_.exclude_count; ++x) {
        const PhysRange& ex = policy_.exclude[x];
        if (ex.size == 0) continue;
        const uint64_t ex_end = ex.size > ~uint64_t{0} - ex.base ? ~uint64_t{0} : ex.base + ex.size;
        if (ex_end <= lo || ex.base >= hi) continue;
        if (ex.base - lo < kFrameBytes || ex.base < lo) {  // touches the frame at lo
          lo = AlignUp(ex_end);
        } else {
          hi = ex.base & ~kFrameMask;
        }
        changed = true;
        if (lo >= hi) break;
      }
    }
    if (lo < hi) {
      *lo_out = lo;
      *hi_out = hi;
      return true;
    }
  }
  return false;
}

bool RegionFrameAllocator::Allocate(uint64_t* pa) {
  for (;;) {
    if (cursor_ >= run_end_) {
      uint64_t lo, hi;
      if (!NextRun(run_end_, &lo, &hi)) return false;
      cursor_ = lo;
      run_end_ = hi;
    }
    const uint64_t frame = cursor_;
    cursor_ += kFrameBytes;
    if (!window_.Reaches(frame)) continue;  // never handed out
    *pa = frame;
    ++allocated_;
    return true;
  }
}

// Counts frames the window reaches, in the order Allocate hands them out, so the next
// `count` Allocate calls succeed (FrameAllocator::reserve's promise). O(count) calls of
// PhysWindow::Reaches.
bool RegionFrameAllocator::Reserve(uint64_t count) const {
  uint64_t found = 0, pos = cursor_, end = run_end_;
  while (found < count) {
    if (pos >= end) {
      uint64_t lo, hi;
      if (!NextRun(end, &lo, &hi)) return false;
      pos = lo;
      end = hi;
    }
    for (; pos < end && found < count; pos += kFrameBytes) found += window_.Reaches(pos);
  }
  return true;
}

FrameAllocator RegionFrameAllocator::Interface() {
  FrameAllocator a;
  a.ctx = this;
  a.allocate = [](void* ctx, uint64_t* pa) { return static_cast<RegionFrameAllocator*>(ctx)->Allocate(pa); };
  a.reserve = [](void* ctx, uint64_t n) { return static_cast<RegionFrameAllocator*>(ctx)->Reserve(n); };
  return a;
}

}  // namespace bootmap::core
