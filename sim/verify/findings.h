// Violations found while checking: structured, coalesced as they come, formatted at the end.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/verify/codes.h"

namespace bootmap::verify {

struct Finding {
  explicit Finding(Code c, uint64_t va_ = 0, uint64_t size_ = 0, uint64_t pa_ = 0, uint64_t a_ = 0, uint64_t b_ = 0)
      : code(c), va(va_), size(size_), pa(pa_), a(a_), b(b_) {}
  Code code;
  uint64_t va = 0, size = 0, pa = 0;
  uint64_t a = 0, b = 0;  // code-specific (expected / found)
  uint32_t window = UINT32_MAX;
  uint8_t level = 0;
  std::string text;  // pre-formatted message (codes that are not coalesced)
};

class Findings {
 public:
  // Extends the last finding of the same code if this one continues it.
  void Add(Finding f, bool pa_continues = true) {
    const int c = static_cast<int>(f.code);
    if (last_[c] != SIZE_MAX) {
      Finding& l = list_[last_[c]];
      if (f.text.empty() && l.text.empty() && l.va + l.size == f.va && l.a == f.a && l.b == f.b &&
          l.window == f.window && (!pa_continues || l.pa + l.size == f.pa) && l.size + f.size > l.size) {
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
