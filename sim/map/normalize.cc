#include "sim/map/normalize.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace bootmap::map {
namespace {

using u128 = unsigned __int128;

// Plain data (no member initialisers): copies move whole aligned 16-byte blocks; a
// non-POD's copy skips its tail padding with an overlapping load that stalls on the
// stores of a copy just made (store forwarding), which the sort does for every move.
struct Entry {
  uint64_t base;
  u128 end;
  uint64_t attributes;
  size_t index;        // position in the source section
  uint64_t rank;       // overlap rank (Rank), set once the rule is known
  uint32_t e820_type;  // 0 for EFI entries
  RegionKind kind;
  bool ended;          // the sweep has passed its end
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
  static constexpr std::array<int, kRegionKindCount> kPriority = {
      /*usable*/ 0,      /*boot-services*/ 1, /*loader*/ 2,      /*runtime-code*/ 6,
      /*runtime-data*/ 5, /*acpi*/ 4,         /*nvs*/ 7,          /*persistent*/ 3,
      /*mmio*/ 11,       /*mmio-port*/ 10,    /*soft-reserved*/ 8, /*unaccepted*/ 9,
      /*unusable*/ 13,   /*reserved*/ 12,
  };
  return kPriority[static_cast<size_t>(k)];
}

namespace {

// Records changes when asked to; a message is formatted only then.
class ChangeLog {
 public:
  explicit ChangeLog(std::vector<Change>* out) : out_(out) {}
  bool on() const { return out_ != nullptr; }
  template <class Message>
  void Note(ChangeKind kind, uint64_t base, u128 end, Message&& message) {
    if (out_) out_->push_back({kind, base, Size(base, end), message()});
  }

 private:
  std::vector<Change>* out_;
};

struct Source {
  bool use_efi;
  const char* section;  // "efi" or "e820", for messages
  bool by_type;         // OverlapRule::kLinux on an E820 map
  bool drop_type0;
};

std::vector<Entry> SourceEntries(const MemoryMap& map, bool use_efi, bool by_type) {
  // Each field stored in place: a whole Entry built aside and copied in would reload its
  // 128-bit end as one piece right after storing it as two (a store-forwarding stall).
  std::vector<Entry> entries(use_efi ? map.efi.size() : map.e820.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    Entry& e = entries[i];
    if (use_efi) {
      const EfiDescriptor& d = map.efi[i];
      e.base = d.base;
      e.end = u128(d.base) + u128(d.pages) * kPage;
      e.kind = KindOfEfi(d);
      e.attributes = d.attributes;
      e.e820_type = 0;
    } else {
      const E820Entry& x = map.e820[i];
      e.base = x.base;
      e.end = u128(x.base) + x.size;
      e.kind = KindOfE820(x.type);
      e.attributes = 0;
      e.e820_type = x.type;
    }
    e.index = i;
    e.rank = Rank(e, by_type);
  }
  return entries;
}

std::string Where(const Source& src, const Entry& e) {
  return "/" + std::string(src.section) + "/" + std::to_string(e.index) + " " + std::string(RegionKindName(e.kind));
}

// Empty entries and (Linux rule) type 0 dropped; sub-page entries rounded to pages.
// Rounded in place; an entry moves only when an earlier one was dropped.
void RoundEntries(std::vector<Entry>* entries, const Source& src, bool round_to_pages, ChangeLog& log) {
  size_t kept = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    Entry& e = (*entries)[i];
    if (e.end == e.base) {
      log.Note(ChangeKind::kDropped, e.base, e.end,
               [&] { return Where(src, e) + " " + Range(e.base, e.end) + " is empty: dropped"; });
      continue;
    }
    if (src.drop_type0 && e.e820_type == 0) {
      log.Note(ChangeKind::kDropped, e.base, e.end, [&] {
        return "/e820/" + std::to_string(e.index) + " type 0 " + Range(e.base, e.end) +
               " is no entry to Linux's e820__update_table: dropped";
      });
      continue;
    }
    if (round_to_pages && (e.base % kPageSize != 0 || e.end % kPage != 0)) {
      const uint64_t old_base = e.base;
      const u128 old_end = e.end;
      const bool inward = RoundsInward(e.kind);
      if (inward) {
        const u128 base = (u128(e.base) + kPage - 1) / kPage * kPage;
        const u128 end = e.end / kPage * kPage;
        if (end <= base) {
          log.Note(ChangeKind::kDropped, e.base, e.end, [&] {
            return Where(src, e) + " " + Range(e.base, e.end) + " holds no whole page: dropped";
          });
          continue;
        }
        e.base = uint64_t(base);
        e.end = end;
      } else {
        e.base = e.base / kPageSize * kPageSize;
        e.end = (e.end + kPage - 1) / kPage * kPage;
      }
      log.Note(inward ? ChangeKind::kRoundedInward : ChangeKind::kRoundedOutward, e.base, e.end, [&] {
        return Where(src, e) + " " + Range(old_base, old_end) + (inward ? " rounded inward to " : " rounded outward to ") +
               Range(e.base, e.end);
      });
    }
    if (kept != i) (*entries)[kept] = e;
    ++kept;
  }
  entries->resize(kept);
}

// Sweep over the entries' edges: at each boundary the highest-ranked covering entry
// decides the kind. Live entries sit in one max-heap by (rank, key); ended ones leave it
// lazily when they reach the top. Ranks of different kinds never tie (by type: the kind
// follows from the type), so the top is the winner of the per-kind rule.
class Sweep {
 public:
  Sweep(std::vector<Entry>& kept, const Source& src, ChangeLog& log, NormalizedMap* out)
      : kept_(kept), src_(src), log_(log), out_(out) {}

  // Entries come sorted by base: starts in entry order, ends sorted apart (usually
  // already in order), merged. At one address ends go first (touching entries do not
  // overlap), then starts in entry order.
  void Run() {
    out_->regions.reserve(kept_.size());
    if (Disjoint()) {  // most firmware maps: each entry is its own piece
      for (const Entry& e : kept_) Emit(e.base, e.end, e);
      return;
    }
    std::vector<size_t> by_end(kept_.size());
    for (size_t i = 0; i < by_end.size(); ++i) by_end[i] = i;
    auto end_less = [this](size_t a, size_t b) { return kept_[a].end < kept_[b].end; };
    if (!std::is_sorted(by_end.begin(), by_end.end(), end_less)) std::sort(by_end.begin(), by_end.end(), end_less);
    heap_.reserve(kept_.size());
    u128 cursor = 0;
    size_t next_start = 0, next_end = 0;
    while (next_end < by_end.size()) {
      u128 at = kept_[by_end[next_end]].end;
      if (next_start < kept_.size()) at = std::min(at, u128(kept_[next_start].base));
      if (live_ > 0) Emit(cursor, at, kept_[Top()]);
      for (; next_end < by_end.size() && kept_[by_end[next_end]].end == at; ++next_end) {
        kept_[by_end[next_end]].ended = true;
        --live_;
      }
      for (; next_start < kept_.size() && kept_[next_start].base == at; ++next_start) Start(next_start);
      cursor = at;
    }
    if (overlaps_unlisted_ > 0)
      log_.Note(ChangeKind::kOverlapResolved, 0, 0, [&] {
        return "and " + std::to_string(overlaps_unlisted_) + " more overlapping pairs, not listed";
      });
  }

 private:
  bool Disjoint() const {
    for (size_t i = 1; i < kept_.size(); ++i)
      if (kept_[i].base < kept_[i - 1].end) return false;
    return true;
  }
  // Larger wins: rank, then (within a kind) type, then the latest-starting entry.
  bool Less(size_t a, size_t b) const {
    const uint64_t rx = kept_[a].rank, ry = kept_[b].rank;
    return rx != ry ? rx < ry : a < b;  // same rank: same kind and (by type) same type
  }
  size_t Top() {
    auto less = [this](size_t a, size_t b) { return Less(a, b); };
    while (kept_[heap_.front()].ended) {
      std::pop_heap(heap_.begin(), heap_.end(), less);
      heap_.pop_back();
    }
    return heap_.front();
  }
  void Start(size_t entry) {
    if (log_.on()) NoteOverlaps(entry);
    heap_.push_back(entry);
    std::push_heap(heap_.begin(), heap_.end(), [this](size_t a, size_t b) { return Less(a, b); });
    ++live_;
  }
  void NoteOverlaps(size_t entry);
  void Emit(u128 from, u128 to, const Entry& e);

  std::vector<Entry>& kept_;
  const Source& src_;
  ChangeLog& log_;
  NormalizedMap* out_;
  std::vector<size_t> heap_;
  size_t live_ = 0;
  size_t overlap_notes_ = 0, overlaps_unlisted_ = 0;
};

// One note per live entry the new one overlaps, by kind then key, the first
// kMaxOverlapNotes of the map; the rest are counted.
void Sweep::NoteOverlaps(size_t entry) {
  const Entry& e = kept_[entry];
  size_t listed = 0;
  if (live_ > 0 && overlap_notes_ < kMaxOverlapNotes) {
    std::vector<std::pair<size_t, ActiveKey>> others;
    for (size_t o : heap_)
      if (!kept_[o].ended) others.push_back({static_cast<size_t>(kept_[o].kind), Key(kept_[o], o, src_.by_type)});
    std::sort(others.begin(), others.end());
    for (const auto& [kind, key] : others) {
      if (overlap_notes_ == kMaxOverlapNotes) break;
      ++overlap_notes_;
      ++listed;
      const Entry& o = kept_[key.second];
      const u128 overlap_end = std::min(o.end, e.end);
      auto what = [&] {
        return "/" + std::string(src_.section) + "/" + std::to_string(o.index) + " " +
               std::string(RegionKindName(o.kind)) + " " + Range(o.base, o.end) + " overlaps /" + src_.section + "/" +
               std::to_string(e.index) + " " + std::string(RegionKindName(e.kind)) + " " + Range(e.base, e.end);
      };
      if (o.kind == e.kind) {
        log_.Note(ChangeKind::kMerged, e.base, overlap_end, [&] { return what() + ": merged"; });
      } else {
        const Entry& win = o.rank > e.rank ? o : e;
        log_.Note(ChangeKind::kOverlapResolved, e.base, overlap_end, [&] {
          return what() + ": " + std::string(RegionKindName(win.kind)) + " wins on " + Range(e.base, overlap_end);
        });
      }
    }
  }
  overlaps_unlisted_ += live_ - listed;  // one per overlapping pair
}

void Sweep::Emit(u128 from, u128 to, const Entry& e) {
  if (to <= from) return;
  if (to - from > u128(UINT64_MAX)) {  // [0, 2^64) does not fit a 64-bit size: split it
    out_->regions.push_back({0, 1ull << 63, e.kind, e.attributes});
    from = u128(1) << 63;
  }
  if (!out_->regions.empty()) {
    Region& last = out_->regions.back();
    if (last.end() == from && last.kind == e.kind && last.efi_attributes == e.attributes &&
        to - last.base <= u128(UINT64_MAX)) {
      last.size = Size(last.base, to);
      return;
    }
  }
  out_->regions.push_back({uint64_t(from), Size(uint64_t(from), to), e.kind, e.attributes});
}

// Stable sort by base. Firmware maps come nearly sorted (a few entries out of place):
// insertion within a budget of moves, then std::stable_sort for whatever is left.
void SortByBase(std::vector<Entry>& v) {
  size_t budget = 8 * v.size() + 64;
  for (size_t i = 1; i < v.size() && budget > 0; ++i) {
    const Entry e = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1].base > e.base && budget > 0; --j, --budget) v[j] = v[j - 1];
    v[j] = e;  // equal bases never pass each other: stable
  }
  if (budget == 0) std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.base < b.base; });
}

size_t AdjacentMerges(const std::vector<Entry>& kept) {
  size_t touching = 0;
  for (size_t i = 1; i < kept.size(); ++i) {
    const Entry& a = kept[i - 1];
    const Entry& b = kept[i];
    if (a.end == b.base && a.kind == b.kind && a.attributes == b.attributes) ++touching;
  }
  return touching;
}

}  // namespace

NormalizedMap Normalize(const MemoryMap& map, const NormalizeOptions& options) {
  NormalizedMap out;
  ChangeLog log(options.record_changes ? &out.changes : nullptr);
  Source src;
  src.use_efi = !map.efi.empty();
  src.section = src.use_efi ? "efi" : "e820";
  const bool linux_requested = options.overlap == OverlapRule::kLinux;
  src.by_type = linux_requested && !src.use_efi;  // EFI: see maps/SCHEMA.md
  src.drop_type0 = src.by_type && LinuxDropsType0(map);
  if (src.use_efi && !map.e820.empty())
    log.Note(ChangeKind::kSourceChosen, 0, 0,
             [] { return std::string("both e820 and efi given: the efi map is used, as a kernel booted by UEFI does"); });

  std::vector<Entry> kept = SourceEntries(map, src.use_efi, src.by_type);
  RoundEntries(&kept, src, options.round_to_pages, log);
  auto by_base = [](const Entry& a, const Entry& b) { return a.base < b.base; };
  if (!std::is_sorted(kept.begin(), kept.end(), by_base)) {
    log.Note(ChangeKind::kReordered, 0, 0,
             [&] { return std::string(src.section) + " entries were not sorted by base: sorted"; });
    SortByBase(kept);
  }
  Sweep(kept, src, log, &out).Run();
  if (linux_requested && src.use_efi && Has(out.changes, ChangeKind::kOverlapResolved))
    log.Note(ChangeKind::kOverlapResolved, 0, 0, [] {
      return std::string("linux overlap rule applies to e820 maps only: efi overlaps resolved by kind priority");
    });
  // Adjacent merges (overlap merges were recorded by the sweep).
  if (log.on()) {
    if (const size_t touching = AdjacentMerges(kept); touching > 0)
      log.Note(ChangeKind::kMerged, 0, 0, [&] {
        return std::to_string(touching) + " adjacent " + src.section + " entries of equal kind merged";
      });
  }
  return out;
}

std::vector<Region> NormalizedRegions(const MemoryMap& map, NormalizeOptions options) {
  options.record_changes = false;
  return Normalize(map, options).regions;
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
