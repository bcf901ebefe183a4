#include "sim/core/heap_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "sim/core/types.h"

namespace bootmap::core {
namespace {

// Keys with ties; the second member records the input position (stability).
using Item = std::pair<int, int>;
bool KeyLess(const Item& a, const Item& b) { return a.first < b.first; }

std::vector<Item> Nearly(std::mt19937& rng, int n, int swaps) {
  std::vector<Item> v;
  for (int i = 0; i < n; ++i) v.push_back({i / 3, i});
  for (int s = 0; s < swaps; ++s) std::swap(v[rng() % n], v[rng() % n]);
  for (int i = 0; i < n; ++i) v[i].second = i;
  return v;
}

// Within its budget, insertion sort sorts stably; past it, it stops with a permutation of
// its input that heapsort then sorts. Either way SortRequests' pairing ends sorted.
TEST(Sort, InsertionWithinBudgetThenHeapsort) {
  std::mt19937 rng(5);
  for (int iter = 0; iter < 500; ++iter) {
    const int n = 1 + int(rng() % 200);
    std::vector<Item> v = Nearly(rng, n, int(rng() % 6) == 0 ? n : int(rng() % 4));
    std::vector<Item> stable = v;
    std::stable_sort(stable.begin(), stable.end(), KeyLess);
    const size_t budget = rng() % (4 * size_t(n) + 64);
    std::vector<Item> w = v;
    if (InsertionSortWithin(w.data(), w.size(), budget, KeyLess)) {
      ASSERT_EQ(w, stable) << "iteration " << iter;
      continue;
    }
    std::vector<Item> a = w, b = v;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    ASSERT_EQ(a, b) << "not a permutation, iteration " << iter;
    HeapSort(w.data(), w.size(), KeyLess);
    ASSERT_TRUE(std::is_sorted(w.begin(), w.end(), KeyLess)) << "iteration " << iter;
  }
}

// Requests end sorted by va, then pa, from any order.
TEST(Sort, SortRequestsOrdersByVaThenPa) {
  std::mt19937_64 rng(9);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<MapRequest> r(1 + rng() % 300);
    for (size_t i = 0; i < r.size(); ++i) {
      r[i].va = (iter % 2 ? i : rng() % 64) << 12;  // sorted or shuffled with ties
      r[i].pa = (rng() % 8) << 12;
    }
    if (iter % 2) std::swap(r[rng() % r.size()], r[rng() % r.size()]);
    SortRequests(r.data(), r.size());
    for (size_t i = 1; i < r.size(); ++i) {
      ASSERT_TRUE(r[i - 1].va < r[i].va || (r[i - 1].va == r[i].va && r[i - 1].pa <= r[i].pa)) << iter << " " << i;
    }
  }
}

}  // namespace
}  // namespace bootmap::core
