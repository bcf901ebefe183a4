// What the layout as a whole must respect: windows with different offsets apart in the top
// level, transition ranges translated as before the switch, no blanket identity map.
#include <algorithm>
#include <set>
#include <tuple>

#include "sim/emu/bits.h"
#include "sim/verify/verifier.h"

namespace bootmap::verify::internal {
namespace {

// The pages a transition range touches.
Interval PageRounded(const TransitionRange& t) {
  return {t.base & ~(k4K - 1), ((U128(t.base) + t.size + k4K - 1) / k4K) * k4K};
}

}  // namespace

// Windows with different offsets must not share a top-level slot.
void Verifier::CheckSlots() {
  const int shift = Levels(in_.format) == 5 ? 48 : 39;
  struct Owner {
    uint64_t slot, off;
    uint32_t window;
  };
  std::vector<Owner> owners;
  for (const Expected& e : expected_) {
    if (e.size == 0 || !Canonical(in_, e)) continue;
    const uint64_t first = (e.va >> shift) & 511, last = ((e.va + (e.size - 1)) >> shift) & 511;
    for (uint64_t s = first; s <= last; ++s) owners.push_back({s, e.pa - e.va, e.window});
  }
  std::sort(owners.begin(), owners.end(), [](const Owner& a, const Owner& b) {
    return a.slot != b.slot ? a.slot < b.slot : a.window < b.window;
  });
  owners.erase(std::unique(owners.begin(), owners.end(),
                           [](const Owner& a, const Owner& b) {
                             return a.slot == b.slot && a.window == b.window && a.off == b.off;
                           }),
               owners.end());
  std::set<std::tuple<uint64_t, uint32_t, uint32_t>> reported;
  for (size_t a = 0; a < owners.size(); ++a) {
    for (size_t b = a + 1; b < owners.size() && owners[b].slot == owners[a].slot; ++b) {
      if (owners[b].window == owners[a].window || owners[b].off == owners[a].off) continue;
      if (!reported.insert({owners[a].slot, owners[a].window, owners[b].window}).second) continue;
      // The slot's first canonical address (IA-32e: bits above the top level sign-extended).
      const uint64_t slot_va = ept_ ? owners[a].slot << shift : emu::bits::SignExtend(owners[a].slot << shift, shift + 8);
      Finding f{Code::kSlotCollision, slot_va, 0, 0};
      f.text = std::string(Levels(in_.format) == 5 ? "PML5" : "PML4") + " slot " + std::to_string(owners[a].slot) +
               " holds " + WindowName(owners[a].window) + " (va - pa = " + Hex(-owners[a].off) + ") and " +
               WindowName(owners[b].window) + " (va - pa = " + Hex(-owners[b].off) + ")";
      findings_.Add(std::move(f));
    }
  }
}

// Transition ranges: the new tables translate them as the old ones did (identity when
// the old tables are the firmware's); and no blanket identity map beside them.
void Verifier::CheckTransition() {
  if (ept_) return;
  std::vector<Leaf> old;
  if (in_.old_tables) {
    emu::EnumerateResult e = emu::Enumerate(*in_.mem, *in_.old_tables, opt_.budgets);
    for (const emu::Run& r : e.runs) old.push_back({r.va, r.size, r.pa, r.page_size, r.writable, r.user, !r.nx, r.pat_type});
  }
  for (const TransitionRange& t : transition_)
    if (t.size != 0) CheckTransitionRange(PageRounded(t), old);
  CheckBlanketIdentity();
}

// One range, piece by piece where either translation may change.
void Verifier::CheckTransitionRange(const Interval& range, const std::vector<Leaf>& old) {
  U128 pos = range.lo;
  while (pos < range.hi) {
    const uint64_t va = uint64_t(pos);
    const Probe now = ProbeRuns(runs_, va);
    Probe before;
    if (in_.old_tables) {
      before = ProbeRuns(old, va);
    } else {
      before.mapped = true;
      before.pa = va;
    }
    // Advance to the next place either answer may change.
    U128 next = range.hi;
    auto limit = [&](const std::vector<Leaf>& runs) {
      auto it = std::upper_bound(runs.begin(), runs.end(), va, [](uint64_t v, const Leaf& r) { return v < r.va; });
      if (it != runs.end()) next = std::min<U128>(next, it->va);
      if (it != runs.begin()) {
        const Leaf& r = *(it - 1);
        if (U128(r.va) + r.size > va) next = std::min<U128>(next, U128(r.va) + r.size);
      }
    };
    limit(runs_);
    if (in_.old_tables) limit(old);
    if (!now.mapped || !before.mapped || now.pa != before.pa) {
      const Finding f = Finding::Mismatch(Code::kTransitionBroken, va, uint64_t(next - pos), now.pa,
                                          before.mapped ? before.pa - va : Finding::kNotMapped,
                                          now.mapped ? now.pa - va : Finding::kNotMapped);
      findings_.Add(f, false);
    }
    pos = next;
  }
}

// Identity-mapped bytes beyond what a boot needs identity-mapped: transition ranges, EFI
// runtime regions (SetVirtualAddressMap not modelled), the framebuffer.
void Verifier::CheckBlanketIdentity() {
  std::vector<Interval> needed;
  for (const TransitionRange& t : transition_)
    if (t.size != 0) needed.push_back(PageRounded(t));
  for (const map::Region& r : in_.regions)
    if (r.kind == RegionKind::kRuntimeCode || r.kind == RegionKind::kRuntimeData ||
        (r.efi_attributes & map::efi_attr::kRuntime))
      needed.push_back({r.base, r.end()});
  if (in_.map.framebuffer) {
    needed.push_back({in_.map.framebuffer->base, U128(in_.map.framebuffer->base) + in_.map.framebuffer->size});
  }
  needed = Union(std::move(needed), {});
  std::vector<Interval> identity;
  for (const Leaf& r : runs_)
    if (r.va == r.pa) identity.push_back({r.va, U128(r.va) + r.size});
  const std::vector<Interval> extra = Subtract(identity, needed);
  const U128 bytes = Bytes(extra);
  if (!extra.empty() && bytes >= opt_.blanket_identity_bytes) {
    Finding f{Code::kBlanketIdentity, uint64_t(extra.front().lo), 0, uint64_t(extra.front().lo)};
    f.text = map::HumanSize(bytes) + " identity-mapped beyond the transition ranges, EFI runtime regions and "
             "framebuffer (first at va " + Hex(uint64_t(extra.front().lo)) + "), " +
             std::to_string(extra.size()) + " ranges";
    findings_.Add(std::move(f));
  }
}

}  // namespace bootmap::verify::internal
