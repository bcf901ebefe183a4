// Sorted, disjoint, half-open intervals with 128-bit ends: the verifier's own interval code.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace bootmap::verify {

using U128 = unsigned __int128;
inline constexpr U128 kInf = U128{1} << 100;

struct Interval {
  U128 lo, hi;
};

// a \ b: the parts of a that no interval of b covers.
inline std::vector<Interval> Subtract(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t j = 0;
  for (const Interval& x : a) {
    U128 lo = x.lo;
    while (j < b.size() && b[j].hi <= lo) ++j;
    size_t k = j;
    while (k < b.size() && b[k].lo < x.hi) {
      if (b[k].lo > lo) out.push_back({lo, b[k].lo});
      lo = std::max(lo, b[k].hi);
      ++k;
    }
    if (lo < x.hi) out.push_back({lo, x.hi});
  }
  return out;
}

// Distinct aligned blocks of 2^shift bytes touched by sorted intervals.
inline uint64_t BlocksTouched(const std::vector<Interval>& ivs, int shift) {
  uint64_t n = 0;
  U128 last = kInf;
  for (const Interval& x : ivs) {
    U128 first = x.lo >> shift, end = (x.hi - 1) >> shift;
    if (last != kInf && first <= last) first = last + 1;
    if (first <= end) n += uint64_t(end - first + 1);
    last = std::max(last == kInf ? end : last, end);
  }
  return n;
}

inline std::vector<Interval> Union(std::vector<Interval> a, const std::vector<Interval>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end(), [](const Interval& x, const Interval& y) { return x.lo < y.lo; });
  std::vector<Interval> out;
  for (const Interval& x : a) {
    if (!out.empty() && x.lo <= out.back().hi) out.back().hi = std::max(out.back().hi, x.hi);
    else out.push_back(x);
  }
  return out;
}


// Bytes in sorted intervals.
inline U128 Bytes(const std::vector<Interval>& v) {
  U128 n = 0;
  for (const Interval& x : v) n += x.hi - x.lo;
  return n;
}

}  // namespace bootmap::verify
