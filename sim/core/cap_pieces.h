// Page-size caps over overlapping requests of one mapping, made disjoint.
//
// Where same-mapping requests overlap, a leaf may be no larger than the smallest cap of
// the requests covering any byte of it. Rounding a request capped at level L outward to
// LevelBytes(L) forbids no leaf the caps allow: a larger aligned block meeting the rounded
// range contains the block of size LevelBytes(L) around it, which meets the request
// itself. After that, a boundary between caps L < L' is LevelBytes(L)-aligned, so no
// allowed leaf crosses it, and a builder that takes the largest pages within each
// disjoint piece takes exactly the leaves the caps allow.
#ifndef BOOTMAP_SIM_CORE_CAP_PIECES_H_
#define BOOTMAP_SIM_CORE_CAP_PIECES_H_

#include <stddef.h>
#include <stdint.h>

#include "sim/core/types.h"

namespace bootmap::core {

// The hulls of the requests capped at `level`, rounded outward to that page size, clipped
// to [lo, last] and merged where they overlap or touch, in va order. `requests` are
// sorted by va, so for one level the hulls' starts are too.
class CapHulls {
 public:
  CapHulls(const MapRequest* requests, size_t count, uint8_t level, uint64_t lo, uint64_t last)
      : requests_(requests), count_(count), level_(level), lo_(lo), last_(last) {
    Advance();
  }

  bool valid() const { return valid_; }
  uint64_t first() const { return first_; }
  uint64_t last() const { return hull_last_; }

  void Advance() {
    valid_ = NextHull(&first_, &hull_last_);
    if (!valid_) return;
    uint64_t f, l;
    while (hull_last_ != last_ && PeekHull(&f, &l) && f <= hull_last_ + 1) {
      NextHull(&f, &l);
      if (l > hull_last_) hull_last_ = l;
    }
  }

 private:
  bool PeekHull(uint64_t* first, uint64_t* last) {
    const size_t saved = next_;
    const bool found = NextHull(first, last);
    next_ = saved;
    return found;
  }

  bool NextHull(uint64_t* first, uint64_t* last) {
    const uint64_t mask = LevelBytes(level_) - 1;
    for (; next_ < count_; ++next_) {
      const MapRequest& r = requests_[next_];
      if (r.max_level != level_) continue;
      const uint64_t r_last = r.va + (r.size - 1);  // an end may be 2^64
      const uint64_t f = r.va & ~mask, l = r_last | mask;
      *first = f < lo_ ? lo_ : f;
      *last = l > last_ ? last_ : l;
      ++next_;
      return true;
    }
    return false;
  }

  const MapRequest* requests_;
  size_t count_;
  uint8_t level_;
  uint64_t lo_, last_;
  size_t next_ = 0;
  bool valid_ = false;
  uint64_t first_ = 0, hull_last_ = 0;
};

// Calls fn(first, last, max_level) for the disjoint pieces of [lo, last] in va order,
// each with the smallest rounded cap over it. `requests` (sorted by va) cover
// [lo, last] together and map alike.
template <class Fn>
void ForEachCapPiece(const MapRequest* requests, size_t count, uint64_t lo, uint64_t last, Fn&& fn) {
  CapHulls cap4k(requests, count, kLevel4K, lo, last), cap2m(requests, count, kLevel2M, lo, last);
  for (uint64_t pos = lo;;) {
    while (cap4k.valid() && cap4k.last() < pos) cap4k.Advance();
    while (cap2m.valid() && cap2m.last() < pos) cap2m.Advance();
    uint8_t level = kLevel4K;
    uint64_t end = 0;
    if (cap4k.valid() && cap4k.first() <= pos) {
      end = cap4k.last();
    } else {
      const uint64_t before_4k = cap4k.valid() ? cap4k.first() - 1 : last;  // first > pos
      if (cap2m.valid() && cap2m.first() <= pos) {
        level = kLevel2M;
        end = cap2m.last() < before_4k ? cap2m.last() : before_4k;
      } else {
        level = kLevel1G;
        end = cap2m.valid() && cap2m.first() - 1 < before_4k ? cap2m.first() - 1 : before_4k;
      }
    }
    fn(pos, end, level);
    if (end == last) return;
    pos = end + 1;
  }
}

}  // namespace bootmap::core

#endif  // BOOTMAP_SIM_CORE_CAP_PIECES_H_
