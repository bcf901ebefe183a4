// The verifier's run: the expectation, the enumeration of leaf runs, the sweep of one
// against the other, checks of each run, boot safety and spot walks. The other rule
// families are in the files verifier.h lists.
#include "sim/verify/verify.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <random>
#include <set>

#include "sim/emu/ia32e_entry.h"
#include "sim/verify/boot_rules.h"
#include "sim/verify/verifier.h"

namespace bootmap::verify {
namespace internal {

bool Canonical(const Input& in, const Expected& e) {
  if (e.size == 0) return true;
  const uint64_t last = e.va + (e.size - 1);
  if (last < e.va) return false;
  if (IsEpt(in.format)) return (last >> (Levels(in.format) == 5 ? 57 : 48)) == 0;
  const bool la57 = Levels(in.format) == 5;
  return emu::IsCanonical(e.va, la57) && emu::IsCanonical(last, la57) && (e.va >> 63) == (last >> 63);
}

// The specification from the layout, or the expectation the caller gave.
void Verifier::DeriveExpectation() {
  if (!in_.layout) {
    expected_ = in_.expected;
    transition_ = in_.transition;
    return;
  }
  Spec spec = DeriveSpec(in_.map, in_.regions, *in_.layout, in_.format, in_.outcomes);
  expected_ = std::move(spec.expected);
  transition_ = std::move(spec.transition);
  for (SpecProblem& p : spec.problems) {
    Finding f{p.left_out ? Code::kWindowLeftOut : Code::kBadPlacement};
    f.window = p.window;
    f.text = std::move(p.text);
    findings_.Add(std::move(f));
  }
}

bool Verifier::PrepareExpected() {
  std::vector<Piece> all;
  for (const Expected& e : expected_) {
    if (e.size == 0) continue;
    if (!Canonical(in_, e)) {
      Finding f{Code::kNonCanonical, e.va, e.size, e.pa};
      f.window = e.window;
      f.text = WindowName(e.window) + " va " + Hex(e.va) + "+" + Hex(e.size) + " is outside the " +
               (ept_ ? "guest-physical" : "canonical") + " address space of " + std::to_string(Levels(in_.format)) +
               "-level " + (ept_ ? "EPT" : "paging");
      AddFidelity(std::move(f));
      continue;
    }
    Piece p;
    p.va = e.va;
    p.end = U128(e.va) + e.size;
    p.pa = e.pa;
    p.writable = e.writable;
    p.user = ept_ ? false : e.user;
    p.exec = ExpectExec(e);
    p.global = ept_ ? false : e.global;
    p.type = e.type;
    p.max_page = e.max_page;
    p.window = e.window;
    all.push_back(p);
  }
  return Flatten(std::move(all));
}

// Overlapping pieces must map alike; where several cover a byte, the smallest page-size cap
// applies and the lowest window index names it, whatever order they came in.
bool Verifier::Flatten(std::vector<Piece> all) {
  std::vector<U128> cuts;
  for (const Piece& p : all) cuts.insert(cuts.end(), {U128(p.va), p.end});
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::sort(all.begin(), all.end(), [](const Piece& a, const Piece& b) { return a.va < b.va; });
  using Active = std::pair<U128, size_t>;  // end, index into all
  std::priority_queue<Active, std::vector<Active>, std::greater<>> active;
  std::multiset<uint64_t> caps;
  std::multiset<uint32_t> windows;
  size_t next = 0;
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    while (!active.empty() && active.top().first <= cuts[c]) {
      const Piece& gone = all[active.top().second];
      caps.erase(caps.find(gone.max_page));
      windows.erase(windows.find(gone.window));
      active.pop();
    }
    for (; next < all.size() && U128(all[next].va) == cuts[c]; ++next) {
      const Piece& p = all[next];
      if (!active.empty() && !all[active.top().second].SameMapping(p)) {
        const Piece& q = all[active.top().second];
        report_.error = "expected mappings conflict at va " + Hex(p.va) + ": " + WindowName(q.window) + " and " +
                        WindowName(p.window) + " ask for different translations";
        return false;
      }
      active.push({p.end, next});
      caps.insert(p.max_page);
      windows.insert(p.window);
    }
    if (active.empty()) continue;
    Piece piece = all[active.top().second];
    piece.pa += uint64_t(cuts[c] - piece.va);
    piece.va = uint64_t(cuts[c]);
    piece.end = cuts[c + 1];
    piece.max_page = *caps.begin();
    piece.window = *windows.begin();
    Piece* last = pieces_.empty() ? nullptr : &pieces_.back();
    if (last && last->end == U128(piece.va) && last->SameMapping(piece) && last->max_page == piece.max_page &&
        last->window == piece.window) {
      last->end = piece.end;
      continue;
    }
    pieces_.push_back(piece);
  }
  for (const Piece& p : pieces_) report_.expected_bytes += uint64_t(p.end - p.va);
  return true;
}

bool Verifier::EnumerateTables() {
  emu::EnumerateOptions budgets = opt_.budgets;
  // A shared table maps its leaves at every address that references it, as the MMU does: the
  // aliases are checked against the expectation like any other mapping.
  budgets.follow_shared = true;
  bool ok;
  std::string error;
  if (ept_) {
    emu::EptEnumerateResult e = emu::EnumerateEpt(*in_.mem, in_.ept, budgets);
    ok = e.ok;
    error = e.error;
    report_.leaves = e.leaves;
    runs_.reserve(e.runs.size());
    for (const emu::EptRun& r : e.runs) runs_.push_back({r.gpa, r.size, r.hpa, r.page_size, r.w, false, r.x, r.mem_type});
    NoteAnomalies(e.anomalies, e.reserved_entries, e.self_references);
  } else {
    emu::EnumerateResult e = emu::Enumerate(*in_.mem, in_.cpu, budgets);
    ok = e.ok;
    error = e.error;
    report_.leaves = e.leaves;
    runs_.reserve(e.runs.size());
    for (const emu::Run& r : e.runs)
      runs_.push_back({r.va, r.size, r.pa, r.page_size, r.writable, r.user, !r.nx, r.pat_type, r.global, r.pkey});
    NoteAnomalies(e.anomalies, e.reserved_entries, e.self_references);
  }
  report_.runs = runs_.size();
  for (const Leaf& r : runs_) report_.mapped_bytes += r.size;
  if (!ok) {
    Finding f{Code::kEnumerationFailed};
    f.text = "enumeration stopped: " + error;
    findings_.Add(std::move(f));
  }
  return ok;
}

// Entries with reserved bits and self-references, as the enumeration lists them; the rest it
// only counted. A shared subtable is no finding of its own: its aliases are mappings.
void Verifier::NoteAnomalies(const std::vector<emu::Anomaly>& anomalies, uint64_t reserved, uint64_t shared) {
  uint64_t listed_reserved = 0, listed_shared = 0;
  for (const emu::Anomaly& a : anomalies) {
    if (a.kind == emu::AnomalyKind::kSharedTable) continue;
    Finding f{a.kind == emu::AnomalyKind::kReservedBits ? Code::kReservedBits : Code::kTableShared, a.va, 0,
              a.entry_pa};
    f.level = a.level;
    if (a.kind == emu::AnomalyKind::kReservedBits) {
      ++listed_reserved;
      faulting_.push_back({a.va, U128(a.va) + (uint64_t{1} << (12 + 9 * (a.level - 1)))});
      f.text = "level-" + std::to_string(a.level) + " entry " + Hex(a.entry) + " at pa " + Hex(a.entry_pa) +
               " (va " + Hex(a.va) + ") has reserved bits " + Hex(a.detail) + " set" +
               (ept_ ? " (EPT misconfiguration)" : " (#PF with RSVD)");
    } else {
      ++listed_shared;
      f.pa = a.detail;
      f.text = "table at pa " + Hex(a.detail) + " is referenced again by the level-" + std::to_string(a.level) +
               " entry at pa " + Hex(a.entry_pa) + " (va " + Hex(a.va) + "), a self-reference";
    }
    findings_.Add(std::move(f));
  }
  if (reserved > listed_reserved) findings_.Uncounted(Code::kReservedBits, reserved - listed_reserved);
  if (shared > listed_shared) findings_.Uncounted(Code::kTableShared, shared - listed_shared);
}

// Expected pieces against leaf runs, in one pass over both sorted lists.
void Verifier::Sweep() {
  size_t i = 0, j = 0;
  U128 pos = 0;
  auto piece_end = [&](size_t k) { return pieces_[k].end; };
  auto run_end = [&](size_t k) { return U128(runs_[k].va) + runs_[k].size; };
  while (true) {
    while (i < pieces_.size() && piece_end(i) <= pos) ++i;
    while (j < runs_.size() && run_end(j) <= pos) ++j;
    if (i == pieces_.size() && j == runs_.size()) break;
    const bool in_piece = i < pieces_.size() && pieces_[i].va <= pos;
    const bool in_run = j < runs_.size() && runs_[j].va <= pos;
    const U128 next_piece = i < pieces_.size() ? U128(pieces_[i].va) : kInf;
    const U128 next_run = j < runs_.size() ? U128(runs_[j].va) : kInf;
    if (!in_piece && !in_run) {
      pos = std::min(next_piece, next_run);
      continue;
    }
    const U128 stop = std::min(in_piece ? piece_end(i) : next_piece, in_run ? run_end(j) : next_run);
    const uint64_t va = uint64_t(pos), len = uint64_t(stop - pos);
    if (in_piece && !in_run) {
      // Bytes behind an entry with reserved bits are reported as that entry.
      const Piece& e = pieces_[i];
      for (const Interval& x : Subtract({{pos, stop}}, faulting_)) {
        Finding f{Code::kUnmapped, uint64_t(x.lo), uint64_t(x.hi - x.lo), e.pa + (uint64_t(x.lo) - e.va)};
        f.expected = e.offset();
        f.window = e.window;
        AddFidelity(f);
      }
    } else if (!in_piece && in_run) {
      const Leaf& r = runs_[j];
      Finding f{Code::kUnexpected, va, len, r.pa + (va - r.va)};
      f.found = r.pa - r.va;
      AddFidelity(f);
    } else {
      CompareTranslation(pieces_[i], runs_[j], va, len);
    }
    pos = stop;
  }
}

// Where piece e and run r both cover [va, va + len): the same translation and attributes.
void Verifier::CompareTranslation(const Piece& e, const Leaf& r, uint64_t va, uint64_t len) {
  const uint64_t pa_exp = e.pa + (va - e.va), pa_act = r.pa + (va - r.va);
  auto add = [&](Code c, uint64_t expected, uint64_t found, uint64_t at_va, uint64_t at_len, uint64_t at_pa) {
    Finding f = Finding::Mismatch(c, at_va, at_len, at_pa, expected, found);
    f.window = e.window;
    AddFidelity(f);
  };
  if (pa_exp != pa_act) add(Code::kWrongPa, e.offset(), r.pa - r.va, va, len, pa_act);
  if (e.writable != r.writable) add(Code::kWrongWritable, e.writable, r.writable, va, len, pa_act);
  if (!ept_ && e.user != r.user) add(Code::kWrongUser, e.user, r.user, va, len, pa_act);
  if (e.exec != r.exec) add(Code::kWrongExec, e.exec, r.exec, va, len, pa_act);
  // SDM Vol. 3A 4.10.2.4 (G, with CR4.PGE) and 4.6.2 (protection keys, bits 62:59).
  if (!ept_ && e.global != r.global) add(Code::kWrongGlobal, e.global, r.global, va, len, pa_act);
  if (!ept_ && r.pkey != 0) add(Code::kWrongPkey, 0, r.pkey, va, len, pa_act);
  if (r.page_size > e.max_page) add(Code::kPageOverCap, e.max_page, r.page_size, va, len, pa_act);
  if (pa_exp != pa_act) return;
  // Effective type per MTRR range (SDM Vol. 3A 12.5.2.2); EPT: the leaf's type (Vol. 3C 29.3.7).
  const U128 pend = U128(pa_act) + len;
  for (size_t s = SegAt(segs_, pa_act); s < segs_.size() && segs_[s].base < pend; ++s) {
    const U128 lo = std::max<U128>(pa_act, segs_[s].base), hi = std::min(pend, segs_[s].end);
    if (hi <= lo) continue;
    if (segs_[s].mtrr_conflict && !ept_) continue;
    const MemType want = EffectiveType(e.type, segs_[s]), got = EffectiveType(r.type, segs_[s]);
    if (want != got) {
      add(Code::kWrongMemType, uint64_t(want), uint64_t(got), va + uint64_t(lo - pa_act), uint64_t(hi - lo),
          uint64_t(lo));
    }
  }
}

// Checks of every leaf run on its own: W+X, types across boundaries, cacheable non-RAM.
void Verifier::CheckRuns() {
  for (const Leaf& r : runs_) {
    // W+X matters for linear addresses; guest-physical RAM under EPT is RWX by nature, and
    // without EFER.NXE (a CPU without NX) every page is executable: no layout can avoid it.
    if (!ept_ && in_.cpu.efer_nxe && r.writable && r.exec) findings_.Add(Finding(Code::kWriteExec, r.va, r.size, r.pa));
    if (r.page_size > k4K) CheckLargePageTypes(r);
    CheckCacheableNonRam(r);
  }
}

// SDM Vol. 3A 12.11.9: a large page over ranges of different types is undefined.
void Verifier::CheckLargePageTypes(const Leaf& r) {
  const U128 pend = U128(r.pa) + r.size;
  auto it = std::upper_bound(type_changes_.begin(), type_changes_.end(), r.pa);
  uint64_t last_page = ~uint64_t{0};
  for (; it != type_changes_.end() && *it < pend; ++it) {
    if (*it % r.page_size == 0) continue;
    const uint64_t page = *it & ~(r.page_size - 1);
    if (page == last_page) continue;
    last_page = page;
    const PhysSeg& lo = segs_[SegAt(segs_, *it - 1)];
    const PhysSeg& hi = segs_[SegAt(segs_, *it)];
    Finding f{Code::kLargePageSpansTypes, VaOf(r, page), r.page_size, page};
    const bool mtrr = !ept_ && (lo.mtrr != hi.mtrr || lo.mtrr_conflict != hi.mtrr_conflict);
    f.text = map::HumanSize(r.page_size) + " page va " + Hex(VaOf(r, page)) + " -> pa " + Hex(page) + " spans " +
             (mtrr ? "MTRR types " + TypeName(lo.mtrr) + " and " + TypeName(hi.mtrr)
                   : SegName(lo) + " (" + TypeName(lo.implied) + ") and " + SegName(hi) + " (" +
                         TypeName(hi.implied) + ")") +
             " at pa " + Hex(*it);
    findings_.Add(std::move(f));
  }
}

// A hole, reserved or MMIO range (not RAM, not the framebuffer) mapped WB, WT or WP.
void Verifier::CheckCacheableNonRam(const Leaf& r) {
  const U128 pend = U128(r.pa) + r.size;
  for (size_t s = SegAt(segs_, r.pa); s < segs_.size() && segs_[s].base < pend; ++s) {
    const PhysSeg& seg = segs_[s];
    if (seg.ram || seg.framebuffer) continue;
    const MemType t = EffectiveType(r.type, seg);
    if (!Cacheable(t)) continue;
    const U128 lo = std::max<U128>(r.pa, seg.base), hi = std::min(pend, seg.end);
    if (hi <= lo) continue;
    Finding f{Code::kCacheableNonRam, VaOf(r, uint64_t(lo)), uint64_t(hi - lo), uint64_t(lo)};
    f.found = uint64_t(t);
    f.segment = s;
    findings_.Add(f);
  }
}

void Verifier::CheckBootSafety() {
  if (!ept_) {
    CheckTransitionRoles(runs_, transition_, in_.cpu.efer_nxe, &findings_);
    CheckEfiRuntime(runs_, in_.regions, in_.map.cpu.maxphyaddr, &findings_);
  }
  CheckRamReachable(expected_, in_.regions, in_.map.cpu.maxphyaddr, &findings_);
}

// Every run's and expectation's first byte, last byte and one past, the extra walks asked
// for, and seeded random addresses (3/4 inside expectations).
std::vector<uint64_t> Verifier::SpotWalkAddresses() const {
  std::vector<uint64_t> vas;
  const size_t nr = std::min<size_t>(runs_.size(), opt_.max_boundary_walks);
  for (size_t k = 0; k < nr; ++k) {
    const Leaf& r = runs_[k];
    vas.insert(vas.end(), {r.va, r.va + (r.size - 1), r.va + r.size});
  }
  const size_t np = std::min<size_t>(pieces_.size(), opt_.max_boundary_walks);
  for (size_t k = 0; k < np; ++k) {
    const Piece& p = pieces_[k];
    vas.insert(vas.end(), {p.va, uint64_t(p.end - 1), uint64_t(p.end)});
  }
  vas.insert(vas.end(), opt_.extra_walks.begin(), opt_.extra_walks.end());
  std::mt19937_64 rng(opt_.seed);
  const int vbits = Levels(in_.format) == 5 ? 57 : 48;
  for (uint32_t k = 0; k < opt_.samples; ++k) {
    if (!pieces_.empty() && k % 4 != 3) {
      const Piece& p = pieces_[rng() % pieces_.size()];
      vas.push_back(p.va + uint64_t(rng() % uint64_t(p.end - p.va)));
    } else {
      const uint64_t v = rng() & emu::bits::Range(vbits - 1, 0);
      vas.push_back(ept_ ? v : emu::bits::SignExtend(v, vbits - 1));
    }
  }
  return vas;
}

void Verifier::SpotWalks() {
  const std::vector<uint64_t> vas = SpotWalkAddresses();
  fidelity_.insert(fidelity_.end(), faulting_.begin(), faulting_.end());
  std::sort(fidelity_.begin(), fidelity_.end(), [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
  fidelity_ = Union(std::move(fidelity_), {});
  const int vbits = Levels(in_.format) == 5 ? 57 : 48;
  for (uint64_t va : vas) {
    if (!InScope(va)) continue;
    if (!ept_ && !emu::IsCanonical(va, vbits == 57)) continue;
    if (ept_ && (va >> vbits) != 0) continue;
    ++report_.walks;
    SpotWalk(va);
  }
}

namespace {

std::string Describe(const Probe& p) {
  if (!p.mapped) return std::string("unmapped");
  return "pa " + Hex(p.pa) + (p.writable ? " W" : " R") + (p.exec ? "X" : "") + (p.user ? " user" : "") + " " +
         TypeName(p.type) + " " + map::HumanSize(p.page_size) + " page";
}

}  // namespace

// A walk of va agrees with the enumeration, and with the expectation unless a finding
// already covers va.
void Verifier::SpotWalk(uint64_t va) {
  const Probe walk = Walk(in_, va);
  const Probe listed = ProbeRuns(runs_, va);
  if (!(walk == listed)) {
    Finding f{Code::kSpotWalkMismatch, va, 1, walk.pa};
    f.text = "va " + Hex(va) + ": the walk gives " + Describe(walk) + ", the enumeration " + Describe(listed);
    findings_.Add(std::move(f));
    return;
  }
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), va, [](uint64_t v, const Piece& p) { return v < p.va; });
  const Piece* p = (it != pieces_.begin() && (it - 1)->end > va) ? &*(it - 1) : nullptr;
  bool agrees;
  if (p == nullptr) {
    agrees = !walk.mapped;
  } else {
    agrees = walk.mapped && walk.pa == p->pa + (va - p->va) && walk.writable == p->writable && walk.exec == p->exec &&
             (ept_ || walk.user == p->user);
  }
  auto explained = [&] {
    auto at = std::upper_bound(fidelity_.begin(), fidelity_.end(), U128(va),
                               [](U128 v, const Interval& x) { return v < x.lo; });
    return at != fidelity_.begin() && (at - 1)->hi > va;
  };
  if (!agrees && !explained()) {
    Finding f{Code::kSpotWalkMismatch, va, 1, walk.pa};
    f.text = "va " + Hex(va) + ": the walk gives " + Describe(walk) + " but the expectation says " +
             (p ? "pa " + Hex(p->pa + (va - p->va)) : std::string("unmapped")) + " and no violation covers it";
    findings_.Add(std::move(f));
  }
}

Report Verifier::Run() {
  if (in_.mem == nullptr) {
    report_.error = "no physical memory";
    return std::move(report_);
  }
  DeriveExpectation();
  if (!PrepareExpected()) return std::move(report_);
  CutPhysicalSpace();
  // An incomplete enumeration says nothing about translations: only tables and layout are checked.
  const bool complete = EnumerateTables();
  if (!ApplyScope()) return std::move(report_);
  std::sort(faulting_.begin(), faulting_.end(), [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
  faulting_ = Union(std::move(faulting_), {});
  if (complete) {
    Sweep();
    CheckRuns();
  }
  CheckTables();
  CheckSlots();
  if (complete) {
    if (!report_.scope) {  // whole-layout rules (ScopeReport::not_checked)
      CheckTransition();
      CheckBootSafety();
    }
    CheckOptimality();
    SpotWalks();
  }
  for (const Piece& p : pieces_)
    report_.spec.push_back({p.va, p.pa, uint64_t(p.end - p.va), p.writable, p.user, !p.exec, p.global, p.type,
                            p.max_page, uint16_t(p.window)});
  Format(&report_);
  return std::move(report_);
}

}  // namespace internal

const char* FormatName(Format f) {
  switch (f) {
    case Format::kIa32e4: return "4";
    case Format::kIa32e5: return "5";
    case Format::kEpt4: return "ept";
    case Format::kEpt5: return "ept5";
  }
  return "?";
}

Probe ProbeRuns(const std::vector<Leaf>& runs, uint64_t va) {
  Probe p;
  auto it = std::upper_bound(runs.begin(), runs.end(), va, [](uint64_t v, const Leaf& r) { return v < r.va; });
  if (it == runs.begin()) return p;
  const Leaf& r = *(it - 1);
  if (va - r.va >= r.size) return p;
  p.mapped = true;
  p.pa = r.pa + (va - r.va);
  p.page_size = r.page_size;
  p.writable = r.writable;
  p.user = r.user;
  p.exec = r.exec;
  p.type = r.type;
  return p;
}

Probe Walk(const Input& in, uint64_t va) {
  Probe p;
  if (IsEpt(in.format)) {
    emu::EptState state = in.ept;
    state.ad_updates = false;
    const emu::EptTranslation t = emu::EptTranslate(*in.mem, state, va, emu::EptAccess{});
    if (!t.ok()) return p;
    p = {true, t.hpa, t.page_size, t.w, false, t.x, t.mem_type};
    return p;
  }
  const emu::Translation t = emu::TranslateNoUpdate(*in.mem, in.cpu, va, emu::AccessMode{});
  if (!t.ok) return p;
  p = {true, t.pa, t.page_size, t.writable, t.user, !t.nx, t.pat_type};
  return p;
}

Report Verify(const Input& input, const Options& options) { return internal::Verifier(input, options).Run(); }

}  // namespace bootmap::verify
