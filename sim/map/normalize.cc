#include "sim/map/normalize.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>
#include <utility>

namespace bootmap::map {
namespace {

using u128 = unsigned __int128;

struct Entry {
  uint64_t base;
  u128 end;
  RegionKind kind;
  uint64_t attributes;
  size_t index;        // position in the source section
  uint32_t e820_type;  // 0 for EFI entries
};

std::string Range(uint64_t base, u128 end) {
  char buf[64];
  if (end > u128(UINT64_MAX)) {
    std::snprintf(buf, sizeof buf, "[%#llx, 2^64)", (unsigned long long)base);
  } else {
    std::snprintf(buf, sizeof buf, "[%#llx, %#llx)", (unsigned long long)base,
                  (unsigned long long)(uint64_t)end);
  }
  return buf;
}

uint64_t Size(uint64_t base, u128 end) { return uint64_t(end - base); }  // 2^64 wraps to 0

// RAM the kernel will allocate from shrinks to whole pages; anything else grows so it is
// never partly mapped as RAM (Linux e820__memblock_setup / memblock page rounding).
bool RoundsInward(RegionKind k) {
  return IsAllocatable(k) || k == RegionKind::kLoader;
}

constexpr u128 kPage = kPageSize;
constexpr size_t kMaxOverlapNotes = 100;  // then one summary line

// Overlap rank, larger wins. By type: Linux e820__update_table keeps the largest u32
// type of the overlapping entries ("larger value takes precedence"), unknown numbers too.
uint64_t Rank(const Entry& e, bool by_type) {
  return by_type ? e.e820_type : uint64_t(KindPriority(e.kind));
}

// Order within a kind's active set: by type (by_type only), then latest-starting last.
using ActiveKey = std::pair<uint64_t, size_t>;
ActiveKey Key(const Entry& e, size_t entry, bool by_type) { return {by_type ? e.e820_type : 0, entry}; }

// e820__update_table returns early for fewer than two entries or one whose end wraps;
// otherwise type 0, its "no entry" value, never wins and an entry of it vanishes.
bool LinuxDropsType0(const MemoryMap& map) {
  if (map.e820.size() < 2) return false;
  for (const E820Entry& e : map.e820)
    if (e.base + e.size < e.base) return false;
  return true;
}

bool Has(const std::vector<Change>& changes, ChangeKind kind) {
  return std::any_of(changes.begin(), changes.end(), [kind](const Change& c) { return c.kind == kind; });
}

}  // namespace

int KindPriority(RegionKind k) {
  // Larger wins: more restrictive kinds win. bootmap's own order, not Linux's (Linux lets
  // the larger E820 type number win, OverlapRule::kLinux).
  constexpr std::array<int, kRegionKindCount> kPriority = {
      /*usable*/ 0,      /*boot-services*/ 1, /*loader*/ 2,      /*runtime-code*/ 6,
      /*runtime-data*/ 5, /*acpi*/ 4,         /*nvs*/ 7,          /*persistent*/ 3,
      /*mmio*/ 11,       /*mmio-port*/ 10,    /*soft-reserved*/ 8, /*unaccepted*/ 9,
      /*unusable*/ 13,   /*reserved*/ 12,
  };
  return kPriority[static_cast<size_t>(k)];
}

NormalizedMap Normalize(const MemoryMap& map, const NormalizeOptions& options) {
  NormalizedMap out;
  auto note = [&](ChangeKind kind, uint64_t base, u128 end, std::string message) {
    out.changes.push_back({kind, base, Size(base, end), std::move(message)});
  };

  const bool use_efi = !map.efi.empty();
  const char* section = use_efi ? "efi" : "e820";
  const bool linux_requested = options.overlap == OverlapRule::kLinux;
  const bool by_type = linux_requested && !use_efi;  // EFI: see maps/SCHEMA.md
  const bool drop_type0 = by_type && LinuxDropsType0(map);
  if (use_efi && !map.e820.empty())
    note(ChangeKind::kSourceChosen, 0, 0,
         "both e820 and efi given: the efi map is used, as a kernel booted by UEFI does");

  std::vector<Entry> entries;
  entries.reserve(use_efi ? map.efi.size() : map.e820.size());
  if (use_efi) {
    for (size_t i = 0; i < map.efi.size(); ++i) {
      const EfiDescriptor& d = map.efi[i];
      entries.push_back({d.base, u128(d.base) + u128(d.pages) * kPage, KindOfEfi(d), d.attributes, i, 0});
    }
  } else {
    for (size_t i = 0; i < map.e820.size(); ++i) {
      const E820Entry& e = map.e820[i];
      entries.push_back({e.base, u128(e.base) + e.size, KindOfE820(e.type), 0, i, e.type});
    }
  }

  // Rounding and empty entries.
  std::vector<Entry> kept;
  kept.reserve(entries.size());
  auto where = [&](const Entry& e) {  // only formatted when a change is noted
    return "/" + std::string(section) + "/" + std::to_string(e.index) + " " + std::string(RegionKindName(e.kind));
  };
  for (Entry e : entries) {
    if (e.end == e.base) {
      note(ChangeKind::kDropped, e.base, e.end, where(e) + " " + Range(e.base, e.end) + " is empty: dropped");
      continue;
    }
    if (drop_type0 && e.e820_type == 0) {
      note(ChangeKind::kDropped, e.base, e.end,
           "/e820/" + std::to_string(e.index) + " type 0 " + Range(e.base, e.end) +
               " is no entry to Linux's e820__update_table: dropped");
      continue;
    }
    if (options.round_to_pages && (e.base % kPageSize != 0 || e.end % kPage != 0)) {
      const std::string before = Range(e.base, e.end);
      if (RoundsInward(e.kind)) {
        u128 base = (u128(e.base) + kPage - 1) / kPage * kPage;
        u128 end = e.end / kPage * kPage;
        if (end <= base) {
          note(ChangeKind::kDropped, e.base, e.end,
               where(e) + " " + before + " holds no whole page: dropped");
          continue;
        }
        e.base = uint64_t(base);
        e.end = end;
        note(ChangeKind::kRoundedInward, e.base, e.end,
             where(e) + " " + before + " rounded inward to " + Range(e.base, e.end));
      } else {
        e.base = e.base / kPageSize * kPageSize;
        e.end = (e.end + kPage - 1) / kPage * kPage;
        note(ChangeKind::kRoundedOutward, e.base, e.end,
             where(e) + " " + before + " rounded outward to " + Range(e.base, e.end));
      }
    }
    kept.push_back(e);
  }

  if (!std::is_sorted(kept.begin(), kept.end(),
                      [](const Entry& a, const Entry& b) { return a.base < b.base; })) {
    note(ChangeKind::kReordered, 0, 0, std::string(section) + " entries were not sorted by base: sorted");
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Entry& a, const Entry& b) { return a.base < b.base; });
  }

  // Sweep: at each boundary the highest-ranked covering entry decides the kind.
  struct Event {
    u128 at;
    bool start;
    size_t entry;
  };
  std::vector<Event> events;
  events.reserve(kept.size() * 2);
  for (size_t i = 0; i < kept.size(); ++i) {
    events.push_back({kept[i].base, true, i});
    events.push_back({kept[i].end, false, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.at != b.at) return a.at < b.at;
    return a.start < b.start;  // ends before starts: touching entries do not overlap
  });

  // Entries per kind; within a kind the last by Key gives the attributes.
  std::array<std::set<ActiveKey>, kRegionKindCount> active;
  size_t active_count = 0;
  size_t overlap_notes = 0, overlaps_unlisted = 0;
  auto winner = [&]() -> const Entry* {
    const Entry* best = nullptr;
    for (size_t k = 0; k < active.size(); ++k) {
      if (active[k].empty()) continue;
      const Entry* e = &kept[active[k].rbegin()->second];
      if (best == nullptr || Rank(*e, by_type) > Rank(*best, by_type)) best = e;
    }
    return best;
  };
  auto emit = [&](u128 from, u128 to, const Entry& e) {
    if (to <= from) return;
    if (to - from > u128(UINT64_MAX)) {  // [0, 2^64) does not fit a 64-bit size: split it
      out.regions.push_back({0, 1ull << 63, e.kind, e.attributes});
      from = u128(1) << 63;
    }
    if (!out.regions.empty()) {
      Region& last = out.regions.back();
      if (last.end() == from && last.kind == e.kind && last.efi_attributes == e.attributes &&
          to - last.base <= u128(UINT64_MAX)) {
        last.size = Size(last.base, to);
        return;
      }
    }
    out.regions.push_back({uint64_t(from), Size(uint64_t(from), to), e.kind, e.attributes});
  };

  u128 cursor = 0;
  for (size_t i = 0; i < events.size();) {
    const u128 at = events[i].at;
    if (active_count > 0) emit(cursor, at, *winner());
    for (; i < events.size() && events[i].at == at; ++i) {
      const Event& ev = events[i];
      const Entry& e = kept[ev.entry];
      auto& list = active[static_cast<size_t>(e.kind)];
      if (ev.start) {
        size_t listed = 0;
        for (size_t k = 0; k < active.size() && overlap_notes < kMaxOverlapNotes; ++k) {
          for (const ActiveKey& other : active[k]) {
            if (overlap_notes == kMaxOverlapNotes) break;
            ++overlap_notes;
            ++listed;
            const Entry& o = kept[other.second];
            u128 overlap_end = std::min(o.end, e.end);
            std::string what = "/" + std::string(section) + "/" + std::to_string(o.index) + " " +
                               std::string(RegionKindName(o.kind)) + " " + Range(o.base, o.end) +
                               " overlaps /" + section + "/" + std::to_string(e.index) + " " +
                               std::string(RegionKindName(e.kind)) + " " + Range(e.base, e.end);
            if (o.kind == e.kind) {
              note(ChangeKind::kMerged, e.base, overlap_end, what + ": merged");
            } else {
              const Entry& win = Rank(o, by_type) > Rank(e, by_type) ? o : e;
              note(ChangeKind::kOverlapResolved, e.base, overlap_end,
                   what + ": " + std::string(RegionKindName(win.kind)) + " wins on " + Range(e.base, overlap_end));
            }
          }
        }
        overlaps_unlisted += active_count - listed;  // one per overlapping pair
        list.insert(Key(e, ev.entry, by_type));
        ++active_count;
      } else {
        list.erase(Key(e, ev.entry, by_type));
        --active_count;
      }
    }
    cursor = at;
  }

  if (overlaps_unlisted > 0)
    note(ChangeKind::kOverlapResolved, 0, 0,
         "and " + std::to_string(overlaps_unlisted) + " more overlapping pairs, not listed");
  if (linux_requested && use_efi && Has(out.changes, ChangeKind::kOverlapResolved))
    note(ChangeKind::kOverlapResolved, 0, 0,
         "linux overlap rule applies to e820 maps only: efi overlaps resolved by kind priority");

  // Record adjacent merges (overlap merges were recorded above).
  size_t touching = 0;
  for (size_t i = 1; i < kept.size(); ++i) {
    const Entry& a = kept[i - 1];
    const Entry& b = kept[i];
    if (a.end == b.base && a.kind == b.kind && a.attributes == b.attributes) ++touching;
  }
  if (touching > 0)
    note(ChangeKind::kMerged, 0, 0,
         std::to_string(touching) + " adjacent " + section + " entries of equal kind merged");
  return out;
}

Totals ComputeTotals(const NormalizedMap& map) {
  Totals t;
  for (const Region& r : map.regions) {
    if (IsAllocatable(r.kind) || r.kind == RegionKind::kLoader) {
      t.usable_bytes += r.size;
      t.highest_usable = std::max(t.highest_usable, r.end());
    }
    t.highest_any = std::max(t.highest_any, r.end());
  }
  return t;
}

}  // namespace bootmap::map
