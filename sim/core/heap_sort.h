// In-place sorts: no allocation. Heapsort: O(n log n), not stable. Freestanding.
#pragma once
#include <stddef.h>

namespace bootmap::core {

template <class T, class Less>
void SiftDown(T* r, size_t root, size_t n, Less less) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && less(r[child], r[child + 1])) ++child;
    if (!less(r[root], r[child])) return;
    const T t = r[root];
    r[root] = r[child];
    r[child] = t;
    root = child;
  }
}

template <class T, class Less>
void HeapSort(T* r, size_t n, Less less) {
  if (n < 2) return;
  for (size_t i = n / 2; i-- > 0;) SiftDown(r, i, n, less);
  for (size_t end = n - 1; end > 0; --end) {
    const T t = r[0];
    r[0] = r[end];
    r[end] = t;
    SiftDown(r, 0, end, less);
  }
}

// Insertion sort, stable, while it costs at most `budget` moves: nearly sorted input (a
// plan's windows each emit mostly in order) sorts in about n steps. False when the budget
// ran out, with r still a permutation of its input.
template <class T, class Less>
bool InsertionSortWithin(T* r, size_t n, size_t budget, Less less) {
  for (size_t i = 1; i < n; ++i) {
    if (!less(r[i], r[i - 1])) continue;
    const T t = r[i];
    size_t j = i;
    do {
      if (budget-- == 0) {
        r[j] = t;
        return false;
      }
      r[j] = r[j - 1];
      --j;
    } while (j > 0 && less(t, r[j - 1]));
    r[j] = t;
  }
  return true;
}

}  // namespace bootmap::core
