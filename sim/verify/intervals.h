// Sorted, disjoint, half-open intervals with 128-bit ends: the verifier's own interval code.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace bootmap::verify {

using U128 = unsigned __int128;
inline constexpr U128 kInf = U128{1} << 100;

struct Iv {
  U128 lo, hi;
};

// a \ b.
inline std::vector<Iv> Minus(const std::vector<Iv>& a, const std::vector<Iv>& b) {
  std::vector<Iv> out;
  size_t j = 0;
  for (const Iv& x : a) {
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
inline uint64_t Blocks(const std::vector<Iv>& ivs, int shift) {
  uint64_t n = 0;
  U128 last = kInf;
  for (const Iv& x : ivs) {
    U128 first = x.lo >> shift, end = (x.hi - 1) >> shift;
    if (last != kInf && first <= last) first = last + 1;
    if (first <= end) n += uint64_t(end - first + 1);
    last = std::max(last == kInf ? end : last, end);
  }
  return n;
}

inline std::vector<Iv> Union(std::vector<Iv> a, const std::vector<Iv>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end(), [](const Iv& x, const Iv& y) { return x.lo < y.lo; });
  std::vector<Iv> out;
  for (const Iv& x : a) {
    if (!out.empty() && x.lo <= out.back().hi) out.back().hi = std::max(out.back().hi, x.hi);
    else out.push_back(x);
  }
  return out;
}


// Bytes in sorted intervals.
inline U128 Bytes(const std::vector<Iv>& v) {
  U128 n = 0;
  for (const Iv& x : v) n += x.hi - x.lo;
  return n;
}

}  // namespace bootmap::verify
