// The specification, from the map and the layout's data alone. Its interval code is its
// own: selection, rounding, clipping, typing and placement as maps/PROFILES.md states them.
#include "sim/verify/spec.h"

#include <algorithm>

#include "sim/map/format.h"

namespace bootmap::verify {
namespace {

using U128 = unsigned __int128;
using map::Hex;

constexpr uint64_t kEfiRuntime = map::efi_attr::kRuntime;

// A selected physical range and where its memory type comes from.
struct Selected {
  U128 lo = 0, hi = 0;
  MemType by_kind = MemType::kUC;
};

MemType KindType(const map::Region& r) { return ImpliedType(r.kind, r.efi_attributes); }

bool Selects(const WindowSpec& w, const map::Region& r) {
  const uint32_t bit = uint32_t{1} << uint32_t(r.kind);
  return (w.kinds & bit) || ((r.efi_attributes & kEfiRuntime) && (w.runtime_kinds & bit));
}

struct Clip {
  U128 lo, hi;
};

// Rounds [base, end) outward to `round` and clips it; false if nothing is left.
bool RoundClip(U128 base, U128 end, uint64_t round, Clip c, Selected* out) {
  U128 lo = base / round * round, hi = (end + round - 1) / round * round;
  lo = std::max(lo, c.lo);
  hi = std::min(hi, c.hi);
  if (lo >= hi) return false;
  out->lo = lo;
  out->hi = hi;
  return true;
}

// A used or transition range takes the type of each region under it; UC over holes.
void AddTypedByRegions(const std::vector<map::Region>& regions, Selected s, std::vector<Selected>* out) {
  U128 pos = s.lo;
  for (const map::Region& r : regions) {
    if (r.end() <= pos) continue;
    if (U128(r.base) >= s.hi) break;
    if (U128(r.base) > pos) out->push_back({pos, U128(r.base), MemType::kUC});
    const U128 hi = std::min(r.end(), s.hi);
    out->push_back({std::max(pos, U128(r.base)), hi, KindType(r)});
    pos = hi;
  }
  if (pos < s.hi) out->push_back({pos, s.hi, MemType::kUC});
}

class WindowSelection {
 public:
  WindowSelection(const map::MemoryMap& m, const std::vector<map::Region>& regions,
                  const std::vector<TransitionRange>& transition, const WindowSpec& w, Clip c)
      : m_(m), regions_(regions), transition_(transition), w_(w), clip_(c) {}

  std::vector<Selected> Run() {
    Collect(clip_);
    if (!w_.whole_span) return std::move(out_);
    U128 end = clip_.lo;
    if (w_.span_to_max) end = clip_.hi;
    for (const Selected& s : out_) end = std::max(end, s.hi);
    AddHoles({clip_.lo, end});
    return std::move(out_);
  }

 private:
  void Collect(Clip c) {
    Selected s;
    for (const map::Region& r : regions_)
      if (Selects(w_, r) && RoundClip(r.base, r.end(), w_.round, c, &s)) out_.push_back({s.lo, s.hi, KindType(r)});
    if (w_.framebuffer && m_.framebuffer) {
      const map::Framebuffer& f = *m_.framebuffer;
      if (RoundClip(f.base, U128(f.base) + f.size, w_.round, c, &s)) out_.push_back({s.lo, s.hi, MemType::kWC});
    }
    if (w_.used)
      for (const map::UsedRange& u : m_.used)
        if ((!w_.used_name || *w_.used_name == u.name) && RoundClip(u.base, U128(u.base) + u.size, w_.round, c, &s))
          AddTypedByRegions(regions_, s, &out_);
    if (w_.transition)
      for (const TransitionRange& t : transition_)
        if ((w_.transition_roles & RoleBit(t.role)) && RoundClip(t.base, U128(t.base) + t.size, w_.round, c, &s))
          AddTypedByRegions(regions_, s, &out_);
  }
  // Addresses no region covers, inside the span: uncached (maps/PROFILES.md "span").
  void AddHoles(Clip span) {
    U128 pos = span.lo;
    for (const map::Region& r : regions_) {
      if (U128(r.base) > pos && pos < span.hi) out_.push_back({pos, std::min(U128(r.base), span.hi), MemType::kUC});
      pos = std::max(pos, r.end());
    }
    if (pos < span.hi) out_.push_back({pos, span.hi, MemType::kUC});
  }

  const map::MemoryMap& m_;
  const std::vector<map::Region>& regions_;
  const std::vector<TransitionRange>& transition_;
  const WindowSpec& w_;
  Clip clip_;
  std::vector<Selected> out_;
};

int VaBits(Format f) { return Levels(f) == 5 ? 57 : 48; }
int SlotShift(Format f) { return Levels(f) == 5 ? 48 : 39; }

// Selection bounds: the window's [min, max), below 2^MAXPHYADDR; an identity span "to the
// top" also stops where the (lower half of the) address space does.
Clip WindowClip(const WindowSpec& w, const map::MemoryMap& m, Format f) {
  Clip c{w.min_addr, std::min(U128(w.max_addr), U128{1} << std::min<int>(m.cpu.maxphyaddr, 52))};
  if (w.whole_span && w.span_to_max && w.placement == Placement::kIdentity)
    c.hi = std::min(c.hi, U128{1} << (VaBits(f) - (IsEpt(f) ? 0 : 1)));
  return c;
}

// The slot index of va within the 512 top-level entries.
uint64_t SlotOf(Format f, uint64_t va) { return (va >> SlotShift(f)) & 511; }

}  // namespace

bool IsDram(RegionKind kind) { return IsRamLike(kind) || kind == RegionKind::kSoftReserved; }

MemType ImpliedType(RegionKind kind, uint64_t efi_attributes) {
  if (!IsDram(kind)) return MemType::kUC;
  // UEFI 2.10 7.2.3: a runtime region (UEFI maps only) with no attribute allows only UC.
  const bool runtime = kind == RegionKind::kRuntimeCode || kind == RegionKind::kRuntimeData;
  return efi_attributes != 0 || runtime ? map::EfiCacheability(efi_attributes) : MemType::kWB;
}

std::vector<TransitionRange> TransitionOf(const map::MemoryMap& m, const LayoutSpec& layout) {
  if (layout.transition) return *layout.transition;
  constexpr uint64_t k4G = uint64_t{1} << 32;
  std::vector<TransitionRange> out;
  for (const map::UsedRange& u : m.used)
    if (u.base < k4G && u.size != 0) out.push_back({u.base, std::min(u.size, k4G - u.base), u.role});
  return out;
}

namespace {

struct Placed {
  std::vector<Selected> sel;
  U128 lo = 0, hi = 0;  // physical extent
  bool fixed = false;   // not auto
  uint64_t offset = 0;
  bool has_offset = false;
};

// Auto offsets (maps/PROFILES.md "Automatic offsets"): a multiple of the slot size, in
// slots no other window uses, in the upper canonical half below slot 511 (IA-32e), at most
// max_slots of them.
void CheckAuto(const std::vector<Placed>& placed, const LayoutSpec& layout, Format f, size_t wi, Spec* spec) {
  const Placed& p = placed[wi];
  const WindowSpec& w = layout.windows[wi];
  auto fail = [&](const std::string& why) {
    spec->problems.push_back({uint32_t(wi), false, "window '" + w.name + "' auto offset " + Hex(p.offset) + " " + why});
  };
  const uint64_t slot = uint64_t{1} << SlotShift(f);
  if (p.offset % slot != 0) return fail("is not a multiple of the top-level slot size");
  const uint64_t va_lo = uint64_t(p.lo) + p.offset, va_last = uint64_t(p.hi - 1) + p.offset;
  const uint64_t first = SlotOf(f, va_lo), last = SlotOf(f, va_last);
  const bool wraps = va_last < va_lo || last < first;
  if (wraps) return fail("wraps the address space");
  if (w.max_slots != 0 && last - first + 1 > w.max_slots)
    return fail("takes " + std::to_string(last - first + 1) + " slots, more than max_slots " + std::to_string(w.max_slots));
  if (!IsEpt(f)) {
    const uint64_t half = uint64_t{1} << (VaBits(f) - 1);
    if (va_lo < ~(half - 1) || first < 256 || last == 511) return fail("leaves the free upper-half slots 256..510");
  }
  for (size_t o = 0; o < placed.size(); ++o) {
    if (o == wi || !placed[o].has_offset || placed[o].sel.empty()) continue;
    const uint64_t of = SlotOf(f, uint64_t(placed[o].lo) + placed[o].offset);
    const uint64_t ol = SlotOf(f, uint64_t(placed[o].hi - 1) + placed[o].offset);
    if (of <= last && first <= ol && placed[o].offset != p.offset)
      return fail("shares top-level slots with window '" + layout.windows[o].name + "'");
  }
}

}  // namespace

Spec DeriveSpec(const map::MemoryMap& m, const std::vector<map::Region>& regions, const LayoutSpec& layout,
                Format f, const std::vector<WindowOutcome>& outcomes) {
  Spec spec;
  spec.transition = TransitionOf(m, layout);
  std::vector<Placed> placed(layout.windows.size());
  for (size_t wi = 0; wi < layout.windows.size(); ++wi) {
    const WindowSpec& w = layout.windows[wi];
    Placed& p = placed[wi];
    p.sel = WindowSelection(m, regions, spec.transition, w, WindowClip(w, m, f)).Run();
    if (p.sel.empty()) continue;
    p.lo = p.sel.front().lo;
    for (const Selected& s : p.sel) p.lo = std::min(p.lo, s.lo), p.hi = std::max(p.hi, s.hi);
    const WindowOutcome o = wi < outcomes.size() ? outcomes[wi] : WindowOutcome{};
    if (o.left_out) {
      spec.problems.push_back({uint32_t(wi), true, "window '" + w.name + "' selects pa " + Hex(uint64_t(p.lo)) + "-" +
                                                       Hex(uint64_t(p.hi - 1)) + " but was left out of the tables"});
      p.sel.clear();
      continue;
    }
    const uint64_t base = Levels(f) == 5 && w.base_la57 != 0 ? w.base_la57 : w.base;
    p.has_offset = true;
    switch (w.placement) {
      case Placement::kIdentity: p.offset = 0; break;
      case Placement::kOffset: p.offset = base; break;
      case Placement::kLinear: p.offset = base - uint64_t(p.lo); break;
      case Placement::kAuto: p.has_offset = o.auto_offset.has_value(); p.offset = o.auto_offset.value_or(0); break;
    }
    if (!p.has_offset)
      spec.problems.push_back({uint32_t(wi), true, "window '" + w.name + "' (auto) has no offset from the builder"});
  }
  for (size_t wi = 0; wi < layout.windows.size(); ++wi) {
    const WindowSpec& w = layout.windows[wi];
    const Placed& p = placed[wi];
    if (!p.has_offset) continue;
    if (w.placement == Placement::kAuto) CheckAuto(placed, layout, f, wi, &spec);
    for (const Selected& s : p.sel) {
      Expected e;
      e.pa = uint64_t(s.lo);
      e.va = e.pa + p.offset;
      e.size = uint64_t(s.hi - s.lo);  // < 2^64: selections are below 2^52
      e.writable = w.writable;
      e.user = w.user;
      e.nx = w.nx && m.cpu.nx;
      e.global = w.global;
      e.type = w.fixed_type.value_or(s.by_kind);
      e.max_page = w.max_page;
      e.window = uint16_t(wi);
      spec.expected.push_back(e);
    }
  }
  return spec;
}

}  // namespace bootmap::verify
