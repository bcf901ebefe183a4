#include "sim/core/sort_merge.h"

#include "sim/core/heap_sort.h"

namespace bootmap::core {
namespace {

constexpr uint64_t kAllOnes = ~uint64_t{0};

int Rank(RegionKind k) {
  switch (k) {
    case RegionKind::kUsable: return 0;
    case RegionKind::kBootServices: return 1;
    case RegionKind::kLoader: return 2;
    default: return IsRamLike(k) ? 3 : 4;
  }
}

// Last byte of a non-empty entry (an end of 2^64 stays representable).
constexpr uint64_t Last(const RegionInfo& r) { return r.base + (r.size - 1); }

// Collects the merged regions: counts them, and writes them when `out` is set.
struct Sink {
  RegionInfo* out = nullptr;
  size_t count = 0;
  RegionInfo last;  // the last region emitted (count > 0)

  void Add(uint64_t base, uint64_t last_byte, const RegionInfo& kind) {
    if (count > 0 && last.kind == kind.kind && last.efi_attributes == kind.efi_attributes &&
        Last(last) + 1 == base) {
      last.size = last_byte - last.base + 1;
    } else {
      last = {base, last_byte - base + 1, kind.kind, kind.efi_attributes};
      ++count;
    }
    if (out != nullptr) out[count - 1] = last;
  }
};

// The pieces of the address space covered by the sorted entries r[0, n), in address
// order, each with the entry that wins there. The set of entries covering an address
// changes only at an entry's base or one past its last byte, so each step cuts there.
void Sweep(const RegionInfo* r, size_t n, Sink* sink) {
  size_t j = 0;  // entries [0, j) start at or below pos
  uint64_t pos = 0;
  for (;;) {
    while (j < n && r[j].base <= pos) ++j;
    const RegionInfo* win = nullptr;
    uint64_t last = j < n ? r[j].base - 1 : kAllOnes;
    for (size_t i = 0; i < j; ++i) {
      if (r[i].size == 0 || Last(r[i]) < pos) continue;
      if (win == nullptr || Outranks(r[i], *win)) win = &r[i];
      if (Last(r[i]) < last) last = Last(r[i]);
    }
    if (win == nullptr) {  // a hole: on to the next entry
      if (j == n) return;
      pos = r[j].base;
      continue;
    }
    sink->Add(pos, last, *win);
    if (last == kAllOnes) return;
    pos = last + 1;
  }
}

}  // namespace

bool Outranks(const RegionInfo& a, const RegionInfo& b) {
  if (Rank(a.kind) != Rank(b.kind)) return Rank(a.kind) > Rank(b.kind);
  if (a.kind != b.kind) return a.kind > b.kind;
  return a.efi_attributes > b.efi_attributes;
}

Result<size_t> SortAndMerge(RegionInfo* regions, size_t count, size_t capacity) {
  if (count == 0) return {};
  if (regions == nullptr) return {BadEntry(InputList::kFirmware, 0, 0, "list is null but its count is not zero"), 0};
  if (count > kSortAndMergeMaxEntries)
    return {BadEntry(InputList::kFirmware, uint32_t(kSortAndMergeMaxEntries), regions[kSortAndMergeMaxEntries].base,
                     "more entries than kSortAndMergeMaxEntries"), 0};
  for (size_t i = 0; i < count; ++i) {
    const RegionInfo& r = regions[i];
    if (r.size != 0 && r.size - 1 > kAllOnes - r.base)
      return {BadEntry(InputList::kFirmware, uint32_t(i), r.base, "base + size runs past 2^64"), 0};
  }
  HeapSort(regions, count, [](const RegionInfo& a, const RegionInfo& b) { return a.base < b.base; });
  Sink counter;
  Sweep(regions, count, &counter);
  if (capacity < count + counter.count) {
    Error e = Fail(Status::kBufferTooSmall, "SortAndMerge needs room for the merged regions after the input");
    e.needed = count + counter.count;
    return {e, 0};
  }
  Sink writer;
  writer.out = regions + count;
  Sweep(regions, count, &writer);
  for (size_t i = 0; i < writer.count; ++i) regions[i] = regions[count + i];
  return {{}, writer.count};
}

}  // namespace bootmap::core
