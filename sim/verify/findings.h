// Violations found while checking: structured, coalesced as they come, formatted at the end.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/map/mem_type.h"
#include "sim/verify/codes.h"

namespace bootmap::verify {

struct Finding {
  // An offset pa - va that is not page-aligned, so no translation has it: "not mapped".
  static constexpr uint64_t kNotMapped = 1;

  explicit Finding(Code c, uint64_t va_ = 0, uint64_t size_ = 0, uint64_t pa_ = 0)
      : code(c), va(va_), size(size_), pa(pa_) {}
  // A translation that differs from the expectation: what was asked for, what the tables hold.
  static Finding Mismatch(Code c, uint64_t va, uint64_t size, uint64_t pa, uint64_t expected, uint64_t found) {
    Finding f(c, va, size, pa);
    f.expected = expected;
    f.found = found;
    return f;
  }

  Code code;
  uint64_t va = 0, size = 0, pa = 0;
  // In the code's unit: offsets pa - va (wrong-pa, unmapped, unexpected; transition-broken:
  // old tables, new tables, kNotMapped), flags (wrong-writable/-user/-exec/-global), protection
  // keys, page sizes (page-over-cap: the cap, the leaf), memory types (wrong-memtype;
  // cacheable-non-ram: found only), leaf counts (leaves-not-minimal).
  uint64_t expected = 0, found = 0;
  std::optional<RegionKind> region;  // table-outside-ram, table-on-firmware-memory; none: a hole
  size_t used_range = 0;             // table-overlaps-used: index into MemoryMap::used
  size_t segment = 0;                // cacheable-non-ram: index of the physical segment
  uint64_t range_base = 0, range_size = 0;  // table-overlaps-transition: the transition range
  uint32_t window = UINT32_MAX;
  uint8_t level = 0;
  std::string text;  // pre-formatted message (codes that are not coalesced)

  // Everything but the place agrees, so `next` may extend this finding.
  bool SameDetails(const Finding& next) const {
    return expected == next.expected && found == next.found && region == next.region &&
           used_range == next.used_range && segment == next.segment && range_base == next.range_base &&
           range_size == next.range_size && window == next.window;
  }
};

class Findings {
 public:
  // Extends the last finding of the same code if this one continues it.
  void Add(Finding f, bool pa_continues = true) {
    const int c = static_cast<int>(f.code);
    if (last_[c] != SIZE_MAX) {
      Finding& l = list_[last_[c]];
      if (f.text.empty() && l.text.empty() && l.va + l.size == f.va && l.SameDetails(f) &&
          (!pa_continues || l.pa + l.size == f.pa) && l.size + f.size > l.size) {
        l.size += f.size;
        return;
      }
    }
    last_[c] = list_.size();
    list_.push_back(std::move(f));
  }
  void Uncounted(Code c, uint64_t n) { extra_[static_cast<int>(c)] += n; }
  const std::vector<Finding>& list() const { return list_; }
  uint64_t extra(int c) const { return extra_[c]; }

 private:
  std::vector<Finding> list_;
  std::array<size_t, kCodeCount> last_ = [] {
    std::array<size_t, kCodeCount> a;
    a.fill(SIZE_MAX);
    return a;
  }();
  std::array<uint64_t, kCodeCount> extra_{};
};

}  // namespace bootmap::verify
