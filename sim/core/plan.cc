#include "sim/core/plan.h"

#include "sim/core/cap_pieces.h"

namespace bootmap::core {
namespace {

template <class T>
constexpr T Min(T a, T b) { return a < b ? a : b; }
template <class T>
constexpr T Max(T a, T b) { return a > b ? a : b; }

constexpr uint64_t kAllOnes = ~uint64_t{0};

// End of [base, base + size), saturated at 2^64 - 1 (callers clip below 2^52 anyway).
constexpr uint64_t SatEnd(uint64_t base, uint64_t size) {
  return size > kAllOnes - base ? kAllOnes : base + size;
}

bool StrEq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

// Where a selected range comes from (its memory type follows from it).
enum class Origin : uint8_t { kRegion, kHole, kFramebuffer, kUsed };

// A physical range a window selects: [base, end), rounded and clipped.
struct SelectedRange {
  uint64_t base;
  uint64_t end;
  Origin origin;
  RegionKind kind;
  uint64_t efi;
};

// The physical bounds a window's selection is clipped to: [lo, hi).
struct Bounds {
  uint64_t lo;
  uint64_t hi;
};

// Clips and rounds a selected range, then hands it on.
template <class Fn>
void SelectRounded(const Window& w, Bounds c, uint64_t base, uint64_t size, Origin src, RegionKind kind,
          uint64_t efi, Fn&& fn) {
  const uint64_t round = LevelBytes(w.round_level) - 1;
  uint64_t lo = base & ~round;
  uint64_t hi = SatEnd(base, size);
  hi = hi > kAllOnes - round ? kAllOnes : (hi + round) & ~round;
  lo = Max(lo, c.lo);
  hi = Min(hi, c.hi);
  if (lo < hi) fn(SelectedRange{lo, hi, src, kind, efi});
}

// A used or transition range takes the type of each region it lies in: write-back RAM
// (unless its EFI attributes allow less), the region's own uncached type where a map puts
// it over reserved memory or MMIO, UC over a hole (never cacheable non-RAM).
template <class Fn>
void SelectUsedByRegion(const PlanInput& in, const Window& w, Bounds c, uint64_t base, uint64_t size, Fn&& fn) {
  SelectRounded(w, c, base, size, Origin::kUsed, RegionKind::kLoader, 0, [&](const SelectedRange& p) {
    uint64_t pos = p.base;
    for (size_t i = 0; i < in.region_count && pos < p.end; ++i) {
      const RegionInfo& r = in.regions[i];
      const uint64_t end = Min(SatEnd(r.base, r.size), p.end);
      if (end <= pos) continue;
      if (r.base >= p.end) break;
      if (r.base > pos) fn(SelectedRange{pos, r.base, Origin::kHole, RegionKind::kReserved, 0});
      const uint64_t lo = Max(pos, r.base);
      fn(SelectedRange{lo, end, Origin::kRegion, r.kind, r.efi_attributes});
      pos = end;
    }
    if (pos < p.end) fn(SelectedRange{pos, p.end, Origin::kHole, RegionKind::kReserved, 0});
  });
}

// UEFI 2.10 7.2.3: EFI_MEMORY_RUNTIME marks what runtime services still touch, of any type.
constexpr uint64_t kEfiRuntime = uint64_t{1} << 63;
bool Selects(const Window& w, const RegionInfo& r) {
  const uint32_t bit = KindBit(r.kind);
  return (w.kinds & bit) || ((r.efi_attributes & kEfiRuntime) && (w.runtime_kinds & bit));
}

// Selected ranges that are not regions: framebuffer, used and transition ranges.
template <class Fn>
void ForEachNonRegion(const PlanInput& in, const Window& w, Bounds c, Fn&& fn) {
  if ((w.sources & kSourceFramebuffer) && in.has_framebuffer)
    SelectRounded(w, c, in.framebuffer.base, in.framebuffer.size, Origin::kFramebuffer, RegionKind::kMmio, 0, fn);
  if (w.sources & kSourceUsed) {
    for (size_t i = 0; i < in.used_count; ++i) {
      const NamedRange& u = in.used[i];
      if (w.used_name == nullptr || StrEq(w.used_name, u.name)) SelectUsedByRegion(in, w, c, u.base, u.size, fn);
    }
  }
  if (w.sources & kSourceTransition) {
    for (size_t i = 0; i < in.layout.transition_count; ++i) {
      const RoleRange& t = in.layout.transition[i];
      if (w.transition_roles & RoleBit(t.role)) SelectUsedByRegion(in, w, c, t.base, t.size, fn);
    }
  }
}

// Every piece a window maps, regions in address order; whole_span windows also get
// the holes (addresses no region covers) between their regions.
template <class Fn>
void ForEachSelected(const PlanInput& in, const Window& w, Bounds c, Fn&& fn) {
  const bool regions = (w.sources & kSourceRegions) != 0;
  auto region_pieces = [&](Bounds clip, bool holes, auto&& sink) {
    if (!regions && !holes) return;  // a window of used, transition or framebuffer ranges only
    uint64_t pos = clip.lo;
    for (size_t i = 0; i < in.region_count; ++i) {
      const RegionInfo& r = in.regions[i];
      const uint64_t end = SatEnd(r.base, r.size);
      if (holes && r.base > pos && pos < clip.hi)
        sink(SelectedRange{pos, Min(r.base, clip.hi), Origin::kHole, RegionKind::kReserved, 0});
      if (end > pos) pos = end;
      if (regions && Selects(w, r))
        SelectRounded(w, clip, r.base, r.size, Origin::kRegion, r.kind, r.efi_attributes, sink);
    }
    if (holes && pos < clip.hi) sink(SelectedRange{pos, clip.hi, Origin::kHole, RegionKind::kReserved, 0});
  };
  if (!w.whole_span) {
    region_pieces(c, false, fn);
    ForEachNonRegion(in, w, c, fn);
    return;
  }
  uint64_t span_end = c.lo;
  if (w.span_to_max) {
    span_end = c.hi;
  } else {
    auto extend = [&](const SelectedRange& p) { span_end = Max(span_end, p.end); };
    region_pieces(c, false, extend);
    ForEachNonRegion(in, w, c, extend);
  }
  const Bounds span{c.lo, span_end};
  region_pieces(span, true, fn);
  ForEachNonRegion(in, w, span, fn);
}

// A window's selected extent [*lo, *hi) (*lo >= *hi: nothing). Regions are sorted and
// disjoint, and rounding and clipping keep that order, so without whole_span the first and
// the last region that select anything bound the regions' part.
void SelectedExtent(const PlanInput& in, const Window& w, Bounds c, uint64_t* lo, uint64_t* hi) {
  *lo = kAllOnes;
  *hi = 0;
  auto widen = [&](const SelectedRange& p) {
    *lo = Min(*lo, p.base);
    *hi = Max(*hi, p.end);
  };
  if (w.whole_span) {
    ForEachSelected(in, w, c, widen);
    return;
  }
  if (w.sources & kSourceRegions) {
    bool found = false;
    auto try_region = [&](const RegionInfo& r) {
      if (!Selects(w, r)) return;
      SelectRounded(w, c, r.base, r.size, Origin::kRegion, r.kind, r.efi_attributes, [&](const SelectedRange& p) {
        widen(p);
        found = true;
      });
    };
    for (size_t i = 0; i < in.region_count && !found; ++i) try_region(in.regions[i]);
    found = false;
    for (size_t i = in.region_count; i-- > 0 && !found;) try_region(in.regions[i]);
  }
  ForEachNonRegion(in, w, c, widen);
}

MemType SelectedType(const Window& w, const SelectedRange& p) {
  if (w.type_rule == TypeRule::kFixed) return w.fixed_type;
  switch (p.origin) {
    case Origin::kRegion: return TypeByKind(p.kind, p.efi);
    case Origin::kFramebuffer: return MemType::kWC;
    case Origin::kUsed:  // SelectUsedByRegion splits it into region and hole pieces
    case Origin::kHole: break;
  }
  return MemType::kUC;
}

// Write-back, write-through and write-protect cache reads; UC and WC do not.
constexpr bool Cacheable(MemType t) { return t == MemType::kWB || t == MemType::kWT || t == MemType::kWP; }

// Smallest type boundary above `a` (kAllOnes if none): MTRR type changes and, for a
// cacheable mapping, the framebuffer's edges: it is write-combining by kind even where a
// map puts it inside RAM, and no large page may give it the RAM's type across its edge.
uint64_t NextBoundary(const PlanInput& in, uint64_t a, bool cacheable) {
  size_t lo = 0, hi = in.mtrr_count;  // first range with end > a
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (SatEnd(in.mtrr[mid].base, in.mtrr[mid].size) <= a) lo = mid + 1; else hi = mid;
  }
  uint64_t next = kAllOnes;
  if (lo < in.mtrr_count) {
    const TypeRange& t = in.mtrr[lo];
    next = t.base > a ? t.base : SatEnd(t.base, t.size);
  }
  if (cacheable && in.has_framebuffer && in.framebuffer.size != 0) {
    const uint64_t fb_end = SatEnd(in.framebuffer.base, in.framebuffer.size);
    if (in.framebuffer.base > a) next = Min(next, in.framebuffer.base);
    else if (fb_end > a) next = Min(next, fb_end);
  }
  return next;
}
bool IsBoundary(const PlanInput& in, uint64_t a, bool cacheable) {
  return a != 0 && NextBoundary(in, a - 1, cacheable) == a;
}

// Appends requests, merging each with the previous one when it simply extends it.
// Attributes are set once per selected range and compared as one key: the previous
// request's fields are never reloaded piecewise (a store-forwarding stall per request).
class Emitter {
 public:
  Emitter(const PlanInput& in, PlanOutput* out) : in_(in), out_(out) {}

  void SetAttributes(const MapRequest& r) {
    static_assert(sizeof(MapRequest) == 32, "a new MapRequest field joins the key");
    attributes_ = r;
    key_ = uint64_t{r.writable} | uint64_t{r.user} << 1 | uint64_t{r.nx} << 2 | uint64_t{r.global} << 3 |
           uint64_t(r.type) << 8 | uint64_t{r.max_level} << 16 | uint64_t{r.window} << 32;
  }

  void Emit(uint64_t va, uint64_t pa, uint64_t size) {
    if (count_ > 0 && Extends(va, pa)) {
      // Last bytes, not ends: a run may end at 2^64 (a window up to the top of the space).
      const uint64_t last = Max(last_va_ + (last_size_ - 1), va + (size - 1));
      last_size_ = last - last_va_ + 1;
      if (count_ <= out_->capacity) out_->requests[count_ - 1].size = last_size_;
      return;
    }
    last_va_ = va;
    last_pa_ = pa;
    last_size_ = size;
    last_key_ = key_;
    last_cacheable_ = Cacheable(attributes_.type);
    if (count_ < out_->capacity) {
      MapRequest& r = out_->requests[count_];
      r = attributes_;
      r.va = va;
      r.pa = pa;
      r.size = size;
    }
    ++count_;
  }
  size_t count() const { return count_; }

 private:
  // Same window, cap and attributes (SameMapping), same translation, and no type boundary between.
  bool Extends(uint64_t va, uint64_t pa) const {
    return key_ == last_key_ && pa - va == last_pa_ - last_va_ && va >= last_va_ &&
           va <= last_va_ + last_size_ && !IsBoundary(in_, last_pa_ + last_size_, last_cacheable_);
  }

  const PlanInput& in_;
  PlanOutput* out_;
  MapRequest attributes_;
  uint64_t key_ = 0;
  uint64_t last_va_ = 0, last_pa_ = 0, last_size_ = 0, last_key_ = 0;
  bool last_cacheable_ = false;
  size_t count_ = 0;
};

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr int kSlots = kEntriesPerTable;

// Virtual address of top-level slot s, sign-extended for IA-32e (SDM Vol. 3A 3.3.7.1).
uint64_t SlotVa(Paging p, uint32_t s) {
  const uint64_t va = uint64_t{s} << SlotShift(p);
  const int bits = PagingVaBits(p);
  if (!IsEpt(p) && (va >> (bits - 1)) & 1) return va | ~((uint64_t{1} << bits) - 1);
  return va;
}
uint32_t SlotOf(Paging p, uint64_t va) {
  const int bits = PagingVaBits(p);
  return uint32_t((va & ((uint64_t{1} << bits) - 1)) >> SlotShift(p));
}

// Where a window's selection is clipped: its bounds and MAXPHYADDR; a whole span "to
// the top" of an identity window also stops where the address space does.
Bounds WindowClip(const Window& w, Paging p, uint64_t phys_top) {
  Bounds c{w.min_addr, Min(w.max_addr, phys_top)};
  if (w.whole_span && w.span_to_max && w.placement == Placement::kIdentity) {
    const int bits = PagingVaBits(p) - (IsEpt(p) ? 0 : 1);
    c.hi = Min(c.hi, uint64_t{1} << bits);
  }
  return c;
}

// A window placed at [va_lo, va_hi) (va_hi == 0: the top of the 64-bit space) must lie
// in one canonical half (SDM Vol. 3A 3.3.7.1), or below 2^width for EPT.
bool FitsAddressSpace(Paging p, uint64_t va_lo, uint64_t va_hi) {
  const int bits = PagingVaBits(p);
  if (IsEpt(p)) return va_hi != 0 && va_hi > va_lo && va_hi <= (uint64_t{1} << bits);
  const uint64_t half = uint64_t{1} << (bits - 1);
  if (va_lo < half) return va_hi > va_lo && va_hi <= half;
  return va_lo >= 0 - half && (va_hi == 0 || va_hi > va_lo);
}

Error CheckWindow(const Window& w, uint32_t index) {
  if (w.max_level > kLevel1G || w.round_level > kLevel1G)
    return Fail(Status::kInvalidLayout, "page size must be 4 KiB, 2 MiB or 1 GiB", index);
  if (w.min_addr >= w.max_addr)
    return Fail(Status::kInvalidLayout, "min_addr must be below max_addr", index);
  if (w.sources == 0) return Fail(Status::kInvalidLayout, "window selects nothing", index);
  return {};
}

// True if [base, base + size) runs past 2^64 (an end of exactly 2^64 is fine).
constexpr bool Wraps(uint64_t base, uint64_t size) { return size != 0 && size - 1 > kAllOnes - base; }

// Every entry of a list Plan reads in address order: no wrap, sorted by base, disjoint.
template <class T>
Error CheckSortedDisjoint(const T* list, size_t count, InputList which) {
  if (count != 0 && list == nullptr) return BadEntry(which, 0, 0, "list is null but its count is not zero");
  bool any = false;
  uint64_t prev_base = 0, prev_last = 0;  // last byte of the previous non-empty entry
  for (size_t i = 0; i < count; ++i) {
    const uint64_t b = list[i].base, size = list[i].size;
    if (Wraps(b, size)) return BadEntry(which, uint32_t(i), b, "base + size runs past 2^64");
    if (any && b < prev_base) return BadEntry(which, uint32_t(i), b, "not sorted: starts below the entry before it");
    if (any && b <= prev_last) return BadEntry(which, uint32_t(i), b, "overlaps the entry before it");
    if (size == 0) continue;
    any = true;
    prev_base = b;
    prev_last = b + (size - 1);
  }
  return {};
}

// Lists Plan reads in any order: only no wrap.
template <class T>
Error CheckNoWrap(const T* list, size_t count, InputList which) {
  if (count != 0 && list == nullptr) return BadEntry(which, 0, 0, "list is null but its count is not zero");
  for (size_t i = 0; i < count; ++i)
    if (Wraps(list[i].base, list[i].size))
      return BadEntry(which, uint32_t(i), list[i].base, "base + size runs past 2^64");
  return {};
}

// What Plan relies on and an embedder could get wrong (core::SortAndMerge fixes a raw map).
Error CheckInput(const PlanInput& in) {
  // SDM Vol. 3A 4.1.4: MAXPHYADDR is at most 52.
  if (in.cpu.maxphyaddr > 52) {
    Error e = Fail(Status::kInvalidCpu, "cpu.maxphyaddr must be at most 52 (SDM Vol. 3A 4.1.4)");
    e.needed = in.cpu.maxphyaddr;
    return e;
  }
  if (Error e = CheckSortedDisjoint(in.regions, in.region_count, InputList::kRegions); !e.ok()) return e;
  if (Error e = CheckSortedDisjoint(in.mtrr, in.mtrr_count, InputList::kMtrr); !e.ok()) return e;
  if (Error e = CheckNoWrap(in.used, in.used_count, InputList::kUsed); !e.ok()) return e;
  const Layout& l = in.layout;
  if (Error e = CheckNoWrap(l.transition, l.transition_count, InputList::kTransition); !e.ok()) return e;
  if (in.has_framebuffer && Wraps(in.framebuffer.base, in.framebuffer.size))
    return BadEntry(InputList::kFramebuffer, 0, in.framebuffer.base, "base + size runs past 2^64");
  if (l.window_count != 0 && l.windows == nullptr)
    return Fail(Status::kInvalidLayout, "layout.windows is null but its count is not zero");
  return {};
}

}  // namespace

MemType TypeByKind(RegionKind kind, uint64_t efi_attributes) {
  // Soft-reserved memory is ordinary DRAM set aside for one use (UEFI 2.10 7.2.3 EFI_MEMORY_SP).
  if (!IsRamLike(kind) && kind != RegionKind::kSoftReserved) return MemType::kUC;
  // UEFI 2.10 7.2.3: the cacheability attributes the region supports; take the
  // strongest one (WB > WT > WC > UC). No attributes (E820): RAM is WB, but runtime
  // regions exist only in UEFI maps, where no attribute allows only UC.
  constexpr uint64_t kWc = 1 << 1, kWt = 1 << 2, kWb = 1 << 3;
  const bool runtime = kind == RegionKind::kRuntimeCode || kind == RegionKind::kRuntimeData;
  if (efi_attributes == 0) return runtime ? MemType::kUC : MemType::kWB;
  if (efi_attributes & kWb) return MemType::kWB;
  if (efi_attributes & kWt) return MemType::kWT;
  if (efi_attributes & kWc) return MemType::kWC;
  return MemType::kUC;
}

namespace {

// Taken top-level slots, one bit each.
class SlotSet {
 public:
  void Take(uint32_t first, uint64_t count) {  // first + count <= kSlots
    while (count > 0) {
      const uint32_t bit = first % 64;
      const uint64_t n = Min<uint64_t>(64 - bit, count);
      words_[first / 64] |= (n == 64 ? kAllOnes : (uint64_t{1} << n) - 1) << bit;
      first += uint32_t(n);
      count -= n;
    }
  }
  // Calls fn(start, length) for each maximal run of free slots in address order, until fn returns true.
  template <class Fn>
  void ForEachFreeRun(Fn&& fn) const {
    for (uint32_t s = Next(0, false); s < kSlots;) {
      const uint32_t end = Next(s, true);
      if (fn(s, end - s)) return;
      s = Next(end, false);
    }
  }

 private:
  // The first slot at or after `from` that is taken (or free); kSlots if none.
  uint32_t Next(uint32_t from, bool taken) const {
    while (from < kSlots) {
      const uint64_t w = (taken ? words_[from / 64] : ~words_[from / 64]) & (kAllOnes << (from % 64));
      if (w != 0) return (from & ~63u) + uint32_t(__builtin_ctzll(w));
      from = (from & ~63u) + 64;
    }
    return kSlots;
  }

  uint64_t words_[kSlots / 64] = {};
};

// The top-level slots no window may take (IA-32e: the low half and the kernel image slot).
void ReserveFixedSlots(Paging paging, SlotSet* taken) {
  if (IsEpt(paging)) return;
  taken->Take(0, kSlots / 2);   // the low half (user space)
  taken->Take(kSlots - 1, 1);  // the kernel image slot (0xffffffff80000000 lives here)
}

// Phase 1: each window's selected extent, and the placement of identity, offset and
// linear windows (marking their slots).
Error PlaceFixedWindows(const PlanInput& in, PlanOutput* out, SlotSet* taken) {
  const Layout& layout = in.layout;
  const Paging paging = in.paging;
  const bool la57 = PagingLevels(paging) == 5;
  const uint64_t phys_top = uint64_t{1} << in.cpu.maxphyaddr;
  for (size_t wi = 0; wi < layout.window_count; ++wi) {
    const Window& w = layout.windows[wi];
    WindowPlacement& place = out->windows[wi];
    place = WindowPlacement{};
    if (Error e = CheckWindow(w, uint32_t(wi)); !e.ok()) return e;
    const Bounds clip = WindowClip(w, paging, phys_top);
    uint64_t lo, hi;
    SelectedExtent(in, w, clip, &lo, &hi);
    if (lo >= hi) continue;
    place.empty = false;
    place.pa_lo = lo;
    place.pa_hi = hi;
    const uint64_t base = (la57 && w.base_la57 != 0) ? w.base_la57 : w.base;
    switch (w.placement) {
      case Placement::kIdentity: place.offset = 0; break;
      case Placement::kOffset: place.offset = base; break;
      case Placement::kLinear: place.offset = base - lo; break;
      case Placement::kAuto: continue;
    }
    place.va_lo = lo + place.offset;
    place.va_hi = hi + place.offset;
    if (!FitsAddressSpace(paging, place.va_lo, place.va_hi))
      return Fail(Status::kOutOfAddressSpace, "window does not fit in the address space", uint32_t(wi), place.va_lo);
    place.first_slot = SlotOf(paging, place.va_lo);
    place.slot_count = SlotOf(paging, place.va_hi - 1) - place.first_slot + 1;
    taken->Take(place.first_slot, place.slot_count);
  }
  return {};
}

// Places for `need` consecutive free slots: a free run of length L holds L - need + 1.
uint32_t CountPlaces(const SlotSet& taken, uint64_t need) {
  uint32_t places = 0;
  taken.ForEachFreeRun([&](uint32_t, uint32_t length) {
    if (length >= need) places += uint32_t(length - need + 1);
    return false;
  });
  return places;
}

// The first slot of the pick-th place (in address order) for `need` free slots.
uint32_t NthPlace(const SlotSet& taken, uint64_t need, uint32_t pick) {
  uint32_t start = 0;
  taken.ForEachFreeRun([&](uint32_t run_start, uint32_t length) {
    if (length < need) return false;
    const uint32_t places = uint32_t(length - need + 1);
    if (pick >= places) {
      pick -= places;
      return false;
    }
    start = run_start + pick;
    return true;
  });
  return start;
}

// Phase 2: automatic offsets, a run of free top-level slots aligned to the slot size so
// every page size stays usable (va and pa agree modulo 512 GiB / 256 TiB).
Error PlaceAutoWindows(const PlanInput& in, PlanOutput* out, SlotSet* taken) {
  const Paging paging = in.paging;
  const int shift = SlotShift(paging);
  const uint64_t slot_bytes = uint64_t{1} << shift;
  for (size_t wi = 0; wi < in.layout.window_count; ++wi) {
    const Window& w = in.layout.windows[wi];
    WindowPlacement& place = out->windows[wi];
    if (w.placement != Placement::kAuto || place.empty) continue;
    const uint64_t first_pa_slot = place.pa_lo >> shift;
    const uint64_t span = place.pa_hi - (first_pa_slot << shift);
    const uint64_t need = (span >> shift) + ((span & (slot_bytes - 1)) != 0);
    auto fail = [&](Status status, const char* reason) {
      Error e = Fail(status, reason, uint32_t(wi), span);
      e.needed = need;
      return e;
    };
    if (w.max_slots != 0 && need > w.max_slots)
      return fail(Status::kTooManySlots, "window needs more top-level slots than allowed");
    const uint32_t candidates = CountPlaces(*taken, need);
    if (candidates == 0) return fail(Status::kNoSlots, "no run of free top-level slots is large enough");
    const uint32_t pick = in.seed == 0 ? 0 : uint32_t(SplitMix64(in.seed ^ (wi * 0x100000001b3ull)) % candidates);
    const uint32_t start = NthPlace(*taken, need, pick);
    taken->Take(start, need);
    place.offset = SlotVa(paging, start) - (first_pa_slot << shift);
    place.va_lo = place.pa_lo + place.offset;
    place.va_hi = place.pa_hi + place.offset;
    place.first_slot = start;
    place.slot_count = uint32_t(need);
  }
  return {};
}

// Phase 3: requests, split at MTRR type boundaries so no leaf spans two types
// (SDM Vol. 3A 12.11.9, "Large page size considerations"). Returns how many there are.
size_t EmitRequests(const PlanInput& in, PlanOutput* out) {
  const uint64_t phys_top = uint64_t{1} << in.cpu.maxphyaddr;
  Emitter emit(in, out);
  for (size_t wi = 0; wi < in.layout.window_count; ++wi) {
    const Window& w = in.layout.windows[wi];
    const WindowPlacement& place = out->windows[wi];
    if (place.empty) continue;
    const Bounds clip = WindowClip(w, in.paging, phys_top);
    ForEachSelected(in, w, clip, [&](const SelectedRange& p) {
      MapRequest r;
      r.writable = w.writable;
      r.user = w.user;
      r.nx = w.nx && in.cpu.nx;
      r.global = w.global;
      r.type = SelectedType(w, p);
      r.max_level = w.max_level;
      r.window = uint16_t(wi);
      emit.SetAttributes(r);
      for (uint64_t a = p.base; a < p.end;) {
        const uint64_t stop = Min(p.end, NextBoundary(in, a, Cacheable(r.type)));
        emit.Emit(a + place.offset, a, stop - a);
        a = stop;
      }
    });
  }
  return emit.count();
}

// Phase 4: ranges may overlap or touch, within a window (used ranges come in any order)
// or across windows (a used range inside RAM): merge what the sort brought together, so
// the builder sees one run and takes the largest pages over the union. The merged run
// belongs to its first window. Overlapping pieces never hide a type boundary: each was
// split at every one. Runs whose page-size caps differ become disjoint pieces, each with
// the smallest cap over it (cap_pieces.h).
struct Cluster {
  size_t first;  // requests [first, end) map as one run over [va, last]
  size_t end;
  uint64_t last;
  bool mixed_caps;
};

Cluster NextCluster(const PlanInput& in, const MapRequest* requests, size_t count, size_t first) {
  const MapRequest& l = requests[first];
  Cluster c{first, first + 1, l.va + (l.size - 1), false};  // ends may be 2^64
  for (; c.end < count; ++c.end) {
    const MapRequest& r = requests[c.end];
    const bool overlap = r.va <= c.last;
    const bool adjacent = !overlap && r.va - 1 == c.last &&
                          !IsBoundary(in, l.pa + (c.last - l.va) + 1, Cacheable(l.type));
    if (!SameMapping(r, l) || !(overlap || adjacent)) break;
    const uint64_t r_last = r.va + (r.size - 1);
    c.last = Max(c.last, r_last);
    c.mixed_caps |= r.max_level != l.max_level;
  }
  return c;
}

// The requests a cluster becomes.
size_t PieceCount(const MapRequest* requests, const Cluster& c) {
  if (!c.mixed_caps) return 1;
  size_t n = 0;
  ForEachCapPiece(requests + c.first, c.end - c.first, requests[c.first].va, c.last,
                  [&](uint64_t, uint64_t, uint8_t) { ++n; });
  return n;
}

// Writes a cluster's pieces to dest[*out] on. A mixed cluster's requests are read while
// its pieces are written, so the two must not overlap (MergeSameMappingRuns shifts them).
void WritePieces(const MapRequest* requests, const Cluster& c, MapRequest* dest, size_t* out) {
  const MapRequest head = requests[c.first];
  if (!c.mixed_caps) {
    dest[*out] = head;
    dest[(*out)++].size = c.last - head.va + 1;
    return;
  }
  ForEachCapPiece(requests + c.first, c.end - c.first, head.va, c.last, [&](uint64_t f, uint64_t l, uint8_t level) {
    MapRequest& p = dest[(*out)++];
    p = head;
    p.va = f;
    p.pa = head.pa + (f - head.va);
    p.size = l - f + 1;
    p.max_level = level;
  });
}

// In place: clusters of one cap shrink, but mixed ones may grow, so when the output
// would overtake the input the requests first move up by `shift`. Returns the count
// kept, or more than `capacity` (the capacity needed) with nothing changed.
size_t MergeSameMappingRuns(const PlanInput& in, MapRequest* requests, size_t count, size_t capacity) {
  bool one_cap = true;
  for (size_t i = 1; i < count && one_cap; ++i) one_cap = requests[i].max_level == requests[0].max_level;
  size_t shift = 0, out = 0;
  for (size_t i = 0; i < count && !one_cap;) {
    const Cluster c = NextCluster(in, requests, count, i);
    out += PieceCount(requests, c);
    if (c.mixed_caps && out > c.first) shift = Max(shift, out - c.first);  // written before read
    i = c.end;
  }
  if (count + shift > capacity) return count + shift;
  for (size_t i = count; shift != 0 && i-- > 0;) requests[i + shift] = requests[i];
  const MapRequest* input = requests + shift;
  out = 0;
  for (size_t i = 0; i < count;) {
    const Cluster c = NextCluster(in, input, count, i);
    WritePieces(input, c, requests, &out);
    i = c.end;
  }
  return out;
}

}  // namespace

Result<size_t> Plan(const PlanInput& in, PlanOutput* out) {
  if (Error e = CheckInput(in); !e.ok()) return {e, 0};
  if (out == nullptr || (in.layout.window_count != 0 && out->windows == nullptr))
    return {Fail(Status::kBufferTooSmall, "no output for the window placements"), 0};
  SlotSet taken;
  ReserveFixedSlots(in.paging, &taken);
  if (Error e = PlaceFixedWindows(in, out, &taken); !e.ok()) return {e, 0};
  if (Error e = PlaceAutoWindows(in, out, &taken); !e.ok()) return {e, 0};
  const size_t count = EmitRequests(in, out);
  if (count > out->capacity) {
    Error e = Fail(Status::kBufferTooSmall, "request buffer too small");
    e.needed = count;
    return {e, count};
  }
  SortRequests(out->requests, count);
  const size_t kept = MergeSameMappingRuns(in, out->requests, count, out->capacity);
  if (kept > out->capacity) {
    Error e = Fail(Status::kBufferTooSmall, "request buffer too small for the pieces of differing page-size caps");
    e.needed = kept;
    return {e, kept};
  }
  return {Error{}, kept};
}

}  // namespace bootmap::core
