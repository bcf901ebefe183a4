#include "sim/verify/verify.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <queue>
#include <random>
#include <set>
#include <tuple>
#include <unordered_set>

#include "sim/emu/enumerate.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/mem_types.h"
#include "sim/map/format.h"
#include "sim/verify/boot_rules.h"
#include "sim/verify/findings.h"
#include "sim/verify/intervals.h"

namespace bootmap::verify {
namespace {


using map::Hex;
std::string Span(uint64_t va, uint64_t size) { return Hex(va) + "-" + Hex(va + (size - 1)); }
std::string TypeName(MemType t) { return std::string(map::MemTypeName(t)); }

// UC- is UC once combined (SDM Vol. 3A Table 12-7); EPT has no UC- (Vol. 3C 29.3.7).
MemType Norm(MemType t) { return t == MemType::kUCMinus ? MemType::kUC : t; }
bool Cacheable(MemType t) { return t == MemType::kWB || t == MemType::kWT || t == MemType::kWP; }

// ---- The physical address space, cut where region kind, framebuffer or MTRR type change.
struct PhysSeg {
  uint64_t base = 0;
  U128 end = 0;
  bool hole = true;
  RegionKind kind = RegionKind::kReserved;
  bool ram = false, fb = false;
  MemType implied = MemType::kUC;  // the type the map implies for it
  MemType mtrr = MemType::kWB;     // WB if the map has no MTRRs (PAT alone decides)
  bool mtrr_conflict = false;
};


// MTRR cut points: fixed-range edges, 1 MiB, and each variable range's edges (contiguous
// masks; SDM Vol. 3A 12.11.3 recommends them). Types come from the emulator's MtrrTypeAt.
std::vector<uint64_t> MtrrCuts(const map::Mtrrs& m, uint8_t maxphyaddr) {
  const uint64_t top = maxphyaddr >= 64 ? ~uint64_t{0} : (uint64_t{1} << maxphyaddr);
  std::vector<uint64_t> cuts;
  if (!m.fixed.empty()) cuts.push_back(uint64_t{1} << 20);
  for (const map::MtrrRange& f : m.fixed) cuts.insert(cuts.end(), {f.base, f.base + f.size});
  for (const map::MtrrVariable& v : m.variable) {
    const uint64_t mask = v.mask & (top - 1) & ~(k4K - 1);
    if (mask == 0) continue;
    const uint64_t size = mask & (~mask + 1);
    const uint64_t base = v.base & mask;
    cuts.insert(cuts.end(), {base, base + size});
  }
  cuts.push_back(top);
  return cuts;
}

std::vector<PhysSeg> PhysSegments(const Input& in) {
  std::vector<uint64_t> cuts = {0};
  for (const map::Region& r : in.regions) {
    cuts.push_back(r.base);
    if (r.end() < (U128{1} << 64)) cuts.push_back(uint64_t(r.end()));
  }
  if (in.map.framebuffer) cuts.insert(cuts.end(), {in.map.framebuffer->base, in.map.framebuffer->base + in.map.framebuffer->size});
  if (in.map.mtrr) {
    std::vector<uint64_t> m = MtrrCuts(*in.map.mtrr, in.map.cpu.maxphyaddr);
    cuts.insert(cuts.end(), m.begin(), m.end());
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<PhysSeg> segs;
  size_t ri = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    PhysSeg s;
    s.base = cuts[i];
    s.end = i + 1 < cuts.size() ? U128(cuts[i + 1]) : (U128{1} << 64);
    while (ri < in.regions.size() && in.regions[ri].end() <= s.base) ++ri;
    uint64_t attrs = 0;
    if (ri < in.regions.size() && in.regions[ri].base <= s.base) {
      s.hole = false;
      s.kind = in.regions[ri].kind;
      s.ram = IsDram(s.kind);
      attrs = in.regions[ri].efi_attributes;
    }
    if (in.map.framebuffer) {
      const auto& f = *in.map.framebuffer;
      s.fb = s.base >= f.base && s.base - f.base < f.size;
    }
    s.implied = s.fb ? MemType::kWC : ImpliedType(s.kind, attrs);  // the framebuffer WC
    if (in.map.mtrr) {
      const emu::MtrrType t = emu::MtrrTypeAt(*in.map.mtrr, s.base, in.map.cpu.maxphyaddr);
      s.mtrr = t.type;
      s.mtrr_conflict = t.conflict;
    }
    if (!segs.empty()) {
      PhysSeg& p = segs.back();
      if (p.hole == s.hole && p.kind == s.kind && p.fb == s.fb && p.implied == s.implied && p.mtrr == s.mtrr &&
          p.mtrr_conflict == s.mtrr_conflict) {
        p.end = s.end;
        continue;
      }
    }
    segs.push_back(s);
  }
  return segs;
}

// Index of the segment holding pa.
size_t SegAt(const std::vector<PhysSeg>& segs, uint64_t pa) {
  auto it = std::upper_bound(segs.begin(), segs.end(), pa, [](uint64_t v, const PhysSeg& s) { return v < s.base; });
  return size_t(it - segs.begin()) - 1;
}

std::string SegName(const PhysSeg& s) {
  if (s.fb) return "framebuffer";
  return s.hole ? "hole" : std::string(map::RegionKindName(s.kind));
}

// ---- Expected mappings, disjoint and sorted.
struct Piece {
  uint64_t va = 0;
  U128 end = 0;
  uint64_t pa = 0;
  bool writable = false, user = false, exec = false, global = false;
  MemType type = MemType::kWB;
  uint64_t max_page = k1G;
  uint32_t window = 0;
  uint64_t off() const { return pa - va; }
  bool SameMapping(const Piece& o) const {
    return off() == o.off() && writable == o.writable && user == o.user && exec == o.exec && global == o.global &&
           Norm(type) == Norm(o.type);
  }
};

bool Canonical(const Input& in, const Expected& e) {
  if (e.size == 0) return true;
  const uint64_t last = e.va + (e.size - 1);
  if (last < e.va) return false;
  if (IsEpt(in.format)) return (last >> (Levels(in.format) == 5 ? 57 : 48)) == 0;
  const bool la57 = Levels(in.format) == 5;
  return emu::IsCanonical(e.va, la57) && emu::IsCanonical(last, la57) && (e.va >> 63) == (last >> 63);
}

// ---- Table frames reachable from the root (addresses; level-1 tables are not read).
struct TableWalk {
  std::vector<uint64_t> frames;
  bool over_budget = false;
};

TableWalk CollectTables(const Input& in, uint64_t max_tables) {
  TableWalk out;
  const bool ept = IsEpt(in.format);
  const uint8_t phys = ept ? in.ept.maxphyaddr : in.cpu.maxphyaddr;
  const uint64_t addr = emu::ia32e::AddrMask(phys);
  const int levels = Levels(in.format);
  const uint64_t root = (ept ? in.ept.eptp : in.cpu.cr3) & addr;
  std::unordered_set<uint64_t> seen;
  std::vector<std::pair<uint64_t, int>> stack = {{root, levels}};
  seen.insert(root);
  while (!stack.empty()) {
    auto [table, level] = stack.back();
    stack.pop_back();
    if (level == 1) continue;
    const uint8_t* frame = in.mem->FrameForRead(table);
    if (frame == nullptr) continue;
    for (int i = 0; i < emu::ia32e::kEntries; ++i) {
      uint64_t e;
      std::memcpy(&e, frame + 8 * i, 8);
      // Present: P (IA-32e), any of bits 2:0 (EPT, Vol. 3C 29.3.2). Leaves: PS at levels 2-3.
      const bool present = ept ? (e & emu::bits::Range(2, 0)) != 0 : (e & emu::ia32e::kP) != 0;
      if (!present) continue;
      if ((level == 2 || level == 3) && (e & emu::ia32e::kPS)) continue;
      const bool bad = ept ? emu::EptMisconfigBits(in.ept, level, e) != 0 : emu::ReservedBits(in.cpu, level, e) != 0;
      if (bad) continue;
      const uint64_t child = e & addr;
      if (!seen.insert(child).second) continue;
      if (seen.size() > max_tables) {
        out.over_budget = true;
        stack.clear();
        break;
      }
      stack.push_back({child, level - 1});
    }
  }
  out.frames.assign(seen.begin(), seen.end());
  std::sort(out.frames.begin(), out.frames.end());
  return out;
}

// Tables needed above leaves: PTs over 4 KiB leaves, PDs over 4 KiB and 2 MiB leaves,
// PDPTs over all, PML4s (5-level) over all, plus the root.
uint64_t TablesFor(const std::vector<Interval>& l4k, const std::vector<Interval>& l2m_or_less, const std::vector<Interval>& all,
                   int levels) {
  if (all.empty()) return 1;
  uint64_t n = 1 + BlocksTouched(l4k, 21) + BlocksTouched(l2m_or_less, 30) + BlocksTouched(all, 39);
  if (levels == 5) n += BlocksTouched(all, 48);
  return n;
}

class Verifier {
 public:
  Verifier(const Input& in, const Options& opt) : in_(in), opt_(opt), ept_(IsEpt(in.format)) {}

  Report Run();

 private:
  void DeriveExpectation();
  bool PrepareExpected();
  void CheckBootSafety();
  bool Assumed(Code c) const;
  bool Flatten(std::vector<Piece> all);
  bool EnumerateTables();
  void Sweep();
  void CheckRuns();
  void CheckTables();
  void CheckSlots();
  void CheckTransition();
  void CheckOptimality();
  void SpotWalks();
  void Format(Report* r);

  bool ExpectExec(const Expected& e) const { return !e.nx || (!ept_ && !in_.cpu.efer_nxe); }
  MemType Effective(MemType pat, const PhysSeg& s) const {
    if (ept_) return Norm(pat);
    return in_.map.mtrr ? emu::EffectiveMemType(pat, s.mtrr) : Norm(pat);
  }
  std::string WindowName(uint32_t w) const {
    return w < in_.windows.size() ? "window '" + in_.windows[w] + "'" : "window " + std::to_string(w);
  }
  uint64_t VaOf(const Leaf& r, uint64_t pa) const { return r.va + (pa - r.pa); }
  void AddFidelity(Finding f, bool pa_continues = true) {
    fidelity_.push_back({f.va, U128(f.va) + f.size});
    findings_.Add(std::move(f), pa_continues);
  }

  const Input& in_;
  const Options& opt_;
  const bool ept_;
  Report report_;
  Findings findings_;
  std::vector<Expected> expected_;
  std::vector<TransitionRange> transition_;
  std::vector<Piece> pieces_;
  std::vector<Leaf> runs_;
  std::vector<PhysSeg> segs_;
  std::vector<uint64_t> type_changes_;  // physical addresses where a large page must not cross
  std::vector<uint64_t> mtrr_changes_;  // the MTRR-type subset (the builder's splitting points)
  std::vector<Interval> fidelity_;            // va ranges already reported against the expectation
  std::vector<Interval> faulting_;            // va ranges behind entries with reserved bits
};

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

void Verifier::CheckBootSafety() {
  if (!ept_) {
    CheckTransitionRoles(runs_, transition_, in_.cpu.efer_nxe, &findings_);
    CheckEfiRuntime(runs_, in_.regions, in_.map.cpu.maxphyaddr, &findings_);
  }
  CheckRamReachable(expected_, in_.regions, in_.map.cpu.maxphyaddr, &findings_);
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
  budgets.follow_shared = false;
  auto note_anomalies = [&](const std::vector<emu::Anomaly>& anomalies, uint64_t reserved, uint64_t shared) {
    uint64_t listed_reserved = 0, listed_shared = 0;
    for (const emu::Anomaly& a : anomalies) {
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
                 " entry at pa " + Hex(a.entry_pa) + " (va " + Hex(a.va) + ")" +
                 (a.kind == emu::AnomalyKind::kSelfReference ? ", a self-reference" : ", a shared subtable");
      }
      findings_.Add(std::move(f));
    }
    if (reserved > listed_reserved) findings_.Uncounted(Code::kReservedBits, reserved - listed_reserved);
    if (shared > listed_shared) findings_.Uncounted(Code::kTableShared, shared - listed_shared);
  };
  bool ok;
  std::string error;
  if (ept_) {
    emu::EptEnumerateResult e = emu::EnumerateEpt(*in_.mem, in_.ept, budgets);
    ok = e.ok;
    error = e.error;
    report_.leaves = e.leaves;
    runs_.reserve(e.runs.size());
    for (const emu::EptRun& r : e.runs) runs_.push_back({r.gpa, r.size, r.hpa, r.page_size, r.w, false, r.x, r.mem_type});
    note_anomalies(e.anomalies, e.reserved_entries, e.shared_tables + e.self_references);
  } else {
    emu::EnumerateResult e = emu::Enumerate(*in_.mem, in_.cpu, budgets);
    ok = e.ok;
    error = e.error;
    report_.leaves = e.leaves;
    runs_.reserve(e.runs.size());
    for (const emu::Run& r : e.runs)
      runs_.push_back({r.va, r.size, r.pa, r.page_size, r.writable, r.user, !r.nx, r.pat_type, r.global, r.pkey});
    note_anomalies(e.anomalies, e.reserved_entries, e.shared_tables + e.self_references);
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

// Expected pieces against leaf runs, in one pass over both sorted lists.
void Verifier::Sweep() {
  size_t i = 0, j = 0;
  U128 pos = 0;
  auto e_end = [&](size_t k) { return pieces_[k].end; };
  auto r_end = [&](size_t k) { return U128(runs_[k].va) + runs_[k].size; };
  while (true) {
    while (i < pieces_.size() && e_end(i) <= pos) ++i;
    while (j < runs_.size() && r_end(j) <= pos) ++j;
    if (i == pieces_.size() && j == runs_.size()) break;
    const bool ein = i < pieces_.size() && pieces_[i].va <= pos;
    const bool rin = j < runs_.size() && runs_[j].va <= pos;
    if (!ein && !rin) {
      pos = std::min(i < pieces_.size() ? U128(pieces_[i].va) : kInf, j < runs_.size() ? U128(runs_[j].va) : kInf);
      continue;
    }
    U128 stop = std::min(ein ? e_end(i) : (i < pieces_.size() ? U128(pieces_[i].va) : kInf),
                         rin ? r_end(j) : (j < runs_.size() ? U128(runs_[j].va) : kInf));
    const uint64_t va = uint64_t(pos), len = uint64_t(stop - pos);
    if (ein && !rin) {
      // Bytes behind an entry with reserved bits are reported as that entry.
      const Piece& e = pieces_[i];
      for (const Interval& x : Subtract({{pos, stop}}, faulting_)) {
        Finding f{Code::kUnmapped, uint64_t(x.lo), uint64_t(x.hi - x.lo), e.pa + (uint64_t(x.lo) - e.va)};
        f.expected = e.off();
        f.window = e.window;
        AddFidelity(f);
      }
    } else if (!ein && rin) {
      const Leaf& r = runs_[j];
      Finding f{Code::kUnexpected, va, len, r.pa + (va - r.va)};
      f.found = r.pa - r.va;
      AddFidelity(f);
    } else {
      const Piece& e = pieces_[i];
      const Leaf& r = runs_[j];
      const uint64_t pa_exp = e.pa + (va - e.va), pa_act = r.pa + (va - r.va);
      auto add = [&](Code c, uint64_t expected, uint64_t found, uint64_t at_va, uint64_t at_len, uint64_t at_pa) {
        Finding f = Finding::Mismatch(c, at_va, at_len, at_pa, expected, found);
        f.window = e.window;
        AddFidelity(f);
      };
      if (pa_exp != pa_act) add(Code::kWrongPa, e.off(), r.pa - r.va, va, len, pa_act);
      if (e.writable != r.writable) add(Code::kWrongWritable, e.writable, r.writable, va, len, pa_act);
      if (!ept_ && e.user != r.user) add(Code::kWrongUser, e.user, r.user, va, len, pa_act);
      if (e.exec != r.exec) add(Code::kWrongExec, e.exec, r.exec, va, len, pa_act);
      // SDM Vol. 3A 4.10.2.4 (G, with CR4.PGE) and 4.6.2 (protection keys, bits 62:59).
      if (!ept_ && e.global != r.global) add(Code::kWrongGlobal, e.global, r.global, va, len, pa_act);
      if (!ept_ && r.pkey != 0) add(Code::kWrongPkey, 0, r.pkey, va, len, pa_act);
      if (r.page_size > e.max_page) add(Code::kPageOverCap, e.max_page, r.page_size, va, len, pa_act);
      if (pa_exp == pa_act) {
        // Effective type per MTRR range (SDM Vol. 3A 12.5.2.2); EPT: the leaf's type (Vol. 3C 29.3.7).
        U128 p = pa_act;
        const U128 pend = U128(pa_act) + len;
        for (size_t s = SegAt(segs_, pa_act); s < segs_.size() && segs_[s].base < pend; ++s) {
          const U128 lo = std::max<U128>(p, segs_[s].base), hi = std::min(pend, segs_[s].end);
          if (hi <= lo) continue;
          if (segs_[s].mtrr_conflict && !ept_) continue;
          const MemType want = Effective(e.type, segs_[s]), got = Effective(r.type, segs_[s]);
          if (want != got)
            add(Code::kWrongMemType, uint64_t(want), uint64_t(got), va + uint64_t(lo - pa_act), uint64_t(hi - lo),
                uint64_t(lo));
        }
      }
    }
    pos = stop;
  }
}

// Checks of every leaf run on its own: W+X, types across boundaries, cacheable non-RAM.
void Verifier::CheckRuns() {
  for (const Leaf& r : runs_) {
    // W+X matters for linear addresses; guest-physical RAM under EPT is RWX by nature, and
    // without EFER.NXE (a CPU without NX) every page is executable: no layout can avoid it.
    if (!ept_ && in_.cpu.efer_nxe && r.writable && r.exec)
      findings_.Add(Finding(Code::kWriteExec, r.va, r.size, r.pa));
    const U128 pend = U128(r.pa) + r.size;
    if (r.page_size > k4K) {
      // SDM Vol. 3A 12.11.9: a large page over ranges of different types is undefined.
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
    for (size_t s = SegAt(segs_, r.pa); s < segs_.size() && segs_[s].base < pend; ++s) {
      const PhysSeg& seg = segs_[s];
      if (seg.ram || seg.fb) continue;
      const MemType t = Effective(r.type, seg);
      if (!Cacheable(t)) continue;
      const U128 lo = std::max<U128>(r.pa, seg.base), hi = std::min(pend, seg.end);
      if (hi <= lo) continue;
      Finding f{Code::kCacheableNonRam, VaOf(r, uint64_t(lo)), uint64_t(hi - lo), uint64_t(lo)};
      f.found = uint64_t(t);
      f.segment = s;
      findings_.Add(f);
    }
  }
}

void Verifier::CheckTables() {
  TableWalk walk = CollectTables(in_, opt_.budgets.max_tables);
  report_.table_frames = std::move(walk.frames);
  report_.table_pages = report_.table_frames.size();
  std::vector<uint64_t> declared;
  if (in_.table_frames) {
    declared = *in_.table_frames;
    std::sort(declared.begin(), declared.end());
  }
  size_t ri = 0;
  for (uint64_t f : report_.table_frames) {
    while (ri < in_.regions.size() && in_.regions[ri].end() <= f) ++ri;
    const bool in_region = ri < in_.regions.size() && in_.regions[ri].base <= f && in_.regions[ri].end() >= U128(f) + k4K;
    const RegionKind kind = in_region ? in_.regions[ri].kind : RegionKind::kReserved;
    if (!in_region || !(IsAllocatable(kind) || kind == RegionKind::kLoader)) {
      Finding x{Code::kTableOutsideRam, f, k4K, f};
      if (in_region) x.region = kind;
      findings_.Add(x);
    } else if (in_.map.stage == map::Stage::kBeforeExitBootServices && kind != RegionKind::kUsable) {
      Finding x{Code::kTableOnFirmwareMemory, f, k4K, f};  // UEFI 2.10 7.4
      x.region = kind;
      findings_.Add(x);
    }
    for (size_t u = 0; u < in_.map.used.size(); ++u) {
      const map::UsedRange& used = in_.map.used[u];
      if (f < used.base + used.size && used.base < f + k4K) {
        Finding x{Code::kTableOverlapsUsed, f, k4K, f};
        x.used_range = u;
        findings_.Add(x);
      }
    }
    if (in_.map.framebuffer) {
      const auto& fb = *in_.map.framebuffer;
      if (f < fb.base + fb.size && fb.base < f + k4K) findings_.Add(Finding(Code::kTableOverlapsFramebuffer, f, k4K, f));
    }
    for (const TransitionRange& t : transition_) {
      if (f < U128(t.base) + t.size && t.base < U128(f) + k4K) {
        Finding x{Code::kTableOverlapsTransition, f, k4K, f};
        x.range_base = t.base;
        x.range_size = t.size;
        findings_.Add(x);
      }
    }
    bool reported = true;
    if (in_.output_map) {
      reported = std::any_of(in_.output_map->begin(), in_.output_map->end(), [&](const OutputRegion& o) {
        return o.page_tables && o.base <= f && U128(o.base) + o.size >= U128(f) + k4K;
      });
    } else if (in_.table_frames) {
      reported = std::binary_search(declared.begin(), declared.end(), f);
    }
    if (!reported) findings_.Add(Finding(Code::kTableUnreported, f, k4K, f));
  }
  if (walk.over_budget) {
    Finding x{Code::kEnumerationFailed};
    x.text = "table collection stopped: more than " + std::to_string(opt_.budgets.max_tables) + " tables";
    findings_.Add(std::move(x));
  }
}

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
                           [](const Owner& a, const Owner& b) { return a.slot == b.slot && a.window == b.window && a.off == b.off; }),
               owners.end());
  std::set<std::tuple<uint64_t, uint32_t, uint32_t>> reported;
  for (size_t a = 0; a < owners.size(); ++a) {
    for (size_t b = a + 1; b < owners.size() && owners[b].slot == owners[a].slot; ++b) {
      if (owners[b].window == owners[a].window || owners[b].off == owners[a].off) continue;
      if (!reported.insert({owners[a].slot, owners[a].window, owners[b].window}).second) continue;
      Finding f{Code::kSlotCollision, owners[a].slot << shift, 0, 0};
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
  std::vector<Interval> needed;
  for (const TransitionRange& t : transition_) {
    if (t.size == 0) continue;
    const uint64_t lo = t.base & ~(k4K - 1);
    const U128 hi = ((U128(t.base) + t.size + k4K - 1) / k4K) * k4K;
    needed.push_back({lo, hi});
    U128 pos = lo;
    while (pos < hi) {
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
      U128 next = hi;
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
  for (const map::Region& r : in_.regions)
    if (r.kind == RegionKind::kRuntimeCode || r.kind == RegionKind::kRuntimeData ||
        (r.efi_attributes & map::efi_attr::kRuntime))
      needed.push_back({r.base, r.end()});
  if (in_.map.framebuffer) needed.push_back({in_.map.framebuffer->base, U128(in_.map.framebuffer->base) + in_.map.framebuffer->size});
  needed = Union(std::move(needed), {});
  std::vector<Interval> identity;
  for (const Leaf& r : runs_)
    if (r.va == r.pa) identity.push_back({r.va, U128(r.va) + r.size});
  const std::vector<Interval> extra = Subtract(identity, needed);
  U128 bytes = 0;
  for (const Interval& x : extra) bytes += x.hi - x.lo;
  if (!extra.empty() && bytes >= opt_.blanket_identity_bytes) {
    Finding f{Code::kBlanketIdentity, uint64_t(extra.front().lo), 0, uint64_t(extra.front().lo)};
    f.text = map::HumanSize(bytes) + " identity-mapped beyond the transition ranges, EFI runtime regions and "
             "framebuffer (first at va " + Hex(uint64_t(extra.front().lo)) + "), " +
             std::to_string(extra.size()) + " ranges";
    findings_.Add(std::move(f));
  }
}

// Greedy largest aligned pages are optimal: aligned blocks form a laminar family and
// "allowed" (inside one mapping, under every cap, no type change inside) is inherited by
// sub-blocks, so the maximal allowed blocks are the fewest leaves.
void Verifier::CheckOptimality() {
  const bool page1gb = ept_ ? in_.ept.page1gb : in_.cpu.page1gb;
  const uint64_t sizes[3] = {k4K, k2M, k1G};
  // A lower bound for any tables that translate as specified without undefined behaviour:
  // no large page across an MTRR type change (SDM Vol. 3A 12.11.9), nor a cacheable one into
  // the write-combining framebuffer. Region kinds under one requested type do not split:
  // spanning them is the layout's choice, reported as large-page-spans-types.
  const std::vector<uint64_t>& uncached_splits = mtrr_changes_;
  std::vector<uint64_t> cached_splits = mtrr_changes_;
  if (in_.map.framebuffer)
    cached_splits.insert(cached_splits.end(),
                         {in_.map.framebuffer->base, in_.map.framebuffer->base + in_.map.framebuffer->size});
  std::sort(cached_splits.begin(), cached_splits.end());
  cached_splits.erase(std::unique(cached_splits.begin(), cached_splits.end()), cached_splits.end());
  std::array<std::vector<Interval>, 3> allowed;
  for (int si = 0; si < 3; ++si) {
    const uint64_t s = sizes[si];
    if (si == 2 && !page1gb) continue;
    auto close = [&](U128 a, U128 b, const Piece& key) {
      const uint64_t off = key.off();
      const std::vector<uint64_t>& splits = Cacheable(Norm(key.type)) ? cached_splits : uncached_splits;
      if (off % s != 0) return;
      std::vector<std::pair<U128, U128>> parts;
      U128 lo = a;
      if (s > k4K) {
        // Compare in physical space: a split beyond the piece's pa end can wrap to a small va.
        const uint64_t pa_lo = uint64_t(a + off);
        const U128 pa_hi = U128(pa_lo) + (b - a);
        auto it = std::upper_bound(splits.begin(), splits.end(), pa_lo);
        for (; it != splits.end() && U128(*it) < pa_hi; ++it) {
          parts.push_back({lo, a + (*it - pa_lo)});
          lo = a + (*it - pa_lo);
        }
      }
      parts.push_back({lo, b});
      for (auto [x, y] : parts) {
        const U128 bl = (x + s - 1) / s * s, bh = y / s * s;
        if (bl < bh) allowed[si].push_back({bl, bh});
      }
    };
    bool open = false;
    U128 a = 0, b = 0;
    const Piece* key = nullptr;
    for (const Piece& p : pieces_) {
      const bool ok = p.max_page >= s;
      if (open && ok && U128(p.va) == b && key->SameMapping(p)) {
        b = p.end;
        continue;
      }
      if (open) close(a, b, *key);
      open = ok;
      a = p.va;
      b = p.end;
      key = &p;
    }
    if (open) close(a, b, *key);
  }
  auto total = [](const std::vector<Interval>& v) {
    U128 n = 0;
    for (const Interval& x : v) n += x.hi - x.lo;
    return n;
  };
  const uint64_t n4k = uint64_t(total(allowed[0]) / k4K), n2m = uint64_t(total(allowed[1]) / k2M),
                 n1g = uint64_t(total(allowed[2]) / k1G);
  report_.minimal_leaves = {n4k - 512 * n2m, n2m - 512 * n1g, n1g};
  const std::vector<Interval> below_1g = Subtract(allowed[0], allowed[2]);
  const std::vector<Interval> leaf4k = Subtract(allowed[0], allowed[1]);
  const int levels = Levels(in_.format);
  report_.minimal_table_pages = TablesFor(leaf4k, below_1g, allowed[0], levels);

  std::vector<Interval> r4k, r2m, rall;
  for (const Leaf& r : runs_) {
    const Interval x{r.va, U128(r.va) + r.size};
    if (r.page_size == k4K) r4k.push_back(x);
    if (r.page_size <= k2M) r2m.push_back(x);
    rall.push_back(x);
  }
  report_.needed_table_pages = TablesFor(r4k, r2m, rall, levels);

  const uint64_t found = report_.leaf_total(), minimal = report_.minimal_total();
  report_.leaf_gap = int64_t(found) - int64_t(minimal);
  // Tables that translate exactly as the spec says cannot beat its minimum: if they do,
  // the minimum is not a lower bound and the oracle is wrong.
  const bool spans = std::any_of(findings_.list().begin(), findings_.list().end(),
                                 [](const Finding& f) { return f.code == Code::kLargePageSpansTypes; });
  if (found < minimal && fidelity_.empty() && faulting_.empty() && !spans) {
    Finding f{Code::kBelowMinimum};
    f.text = std::to_string(found) + " leaves translate exactly as specified, below the computed minimum " +
             std::to_string(minimal) + ": the minimum is not a lower bound (oracle bug)";
    findings_.Add(std::move(f));
  }
  if (found > minimal && findings_.extra(int(Code::kUnexpected)) == 0 &&
      std::none_of(findings_.list().begin(), findings_.list().end(), [](const Finding& f) { return f.code == Code::kUnexpected; })) {
    Finding f = Finding::Mismatch(Code::kLeavesNotMinimal, 0, 0, 0, minimal, found);
    f.text = std::to_string(found) + " leaves (4K " + std::to_string(report_.leaves[0]) + ", 2M " +
             std::to_string(report_.leaves[1]) + ", 1G " + std::to_string(report_.leaves[2]) + "), minimum " +
             std::to_string(minimal) + " (4K " + std::to_string(report_.minimal_leaves[0]) + ", 2M " +
             std::to_string(report_.minimal_leaves[1]) + ", 1G " + std::to_string(report_.minimal_leaves[2]) +
             "): gap " + std::to_string(found - minimal);
    findings_.Add(std::move(f));
  }
  if (report_.table_pages > report_.needed_table_pages) {
    Finding f{Code::kTablesNotMinimal};
    f.text = std::to_string(report_.table_pages) + " table frames reached, the leaves present need " +
             std::to_string(report_.needed_table_pages) + " (minimum for the expectation " +
             std::to_string(report_.minimal_table_pages) + ")";
    findings_.Add(std::move(f));
  }
}

void Verifier::SpotWalks() {
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
  fidelity_.insert(fidelity_.end(), faulting_.begin(), faulting_.end());
  std::sort(fidelity_.begin(), fidelity_.end(), [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
  fidelity_ = Union(std::move(fidelity_), {});
  auto explained = [&](uint64_t va) {
    auto it = std::upper_bound(fidelity_.begin(), fidelity_.end(), U128(va), [](U128 v, const Interval& x) { return v < x.lo; });
    return it != fidelity_.begin() && (it - 1)->hi > va;
  };
  auto describe = [](const Probe& p) {
    if (!p.mapped) return std::string("unmapped");
    return "pa " + Hex(p.pa) + (p.writable ? " W" : " R") + (p.exec ? "X" : "") + (p.user ? " user" : "") + " " +
           TypeName(p.type) + " " + map::HumanSize(p.page_size) + " page";
  };
  for (uint64_t va : vas) {
    if (!ept_ && !emu::IsCanonical(va, vbits == 57)) continue;
    if (ept_ && (va >> vbits) != 0) continue;
    ++report_.walks;
    const Probe walk = Walk(in_, va);
    const Probe listed = ProbeRuns(runs_, va);
    if (!(walk == listed)) {
      Finding f{Code::kSpotWalkMismatch, va, 1, walk.pa};
      f.text = "va " + Hex(va) + ": the walk gives " + describe(walk) + ", the enumeration " + describe(listed);
      findings_.Add(std::move(f));
      continue;
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
    if (!agrees && !explained(va)) {
      Finding f{Code::kSpotWalkMismatch, va, 1, walk.pa};
      f.text = "va " + Hex(va) + ": the walk gives " + describe(walk) + " but the expectation says " +
               (p ? "pa " + Hex(p->pa + (va - p->va)) : std::string("unmapped")) + " and no violation covers it";
      findings_.Add(std::move(f));
    }
  }
}

std::string Message(const Input& in, const Finding& f, const std::vector<PhysSeg>& segs,
                    const std::function<std::string(uint32_t)>& window) {
  if (!f.text.empty()) return f.text;
  const std::string va = "va " + Span(f.va, f.size);
  auto yes = [](uint64_t v, const char* t, const char* n) { return std::string(v ? t : n); };
  switch (f.code) {
    case Code::kUnmapped:
      return va + " (" + window(f.window) + ", -> pa " + Hex(f.pa) + ") is not mapped";
    case Code::kWrongPa:
      return va + " (" + window(f.window) + ") maps pa " + Hex(f.pa) + " instead of " + Hex(f.va + f.expected);
    case Code::kUnexpected:
      return va + " -> pa " + Hex(f.pa) + " is mapped but no window asked for it";
    case Code::kWrongWritable:
      return va + " (" + window(f.window) + ") is " + yes(f.found, "writable", "read-only") + ", expected " +
             yes(f.expected, "writable", "read-only");
    case Code::kWrongUser:
      return va + " (" + window(f.window) + ") is " + yes(f.found, "user", "supervisor") + ", expected " +
             yes(f.expected, "user", "supervisor");
    case Code::kWrongExec:
      return va + " (" + window(f.window) + ") is " + yes(f.found, "executable", "no-execute") + ", expected " +
             yes(f.expected, "executable", "no-execute");
    case Code::kWrongGlobal:
      return va + " (" + window(f.window) + ") is " + yes(f.found, "global", "not global") + ", expected " +
             yes(f.expected, "global", "not global");
    case Code::kWrongPkey:
      return va + " (" + window(f.window) + ") has protection key " + std::to_string(f.found) + ", expected 0";
    case Code::kPageOverCap:
      return va + " (" + window(f.window) + ") is mapped with " + map::HumanSize(f.found) + " pages, above the cap " +
             map::HumanSize(f.expected);
    case Code::kTableOverlapsTransition:
      return "table frame pa " + Hex(f.pa) + " overlaps transition range " + Span(f.range_base, f.range_size);
    case Code::kWriteExec:
      return va + " -> pa " + Hex(f.pa) + " is writable and executable";
    case Code::kWrongMemType:
      return va + " -> pa " + Hex(f.pa) + " (" + window(f.window) + ") has effective type " +
             TypeName(MemType(f.found)) + ", expected " + TypeName(MemType(f.expected));
    case Code::kCacheableNonRam:
      return va + " -> pa " + Span(f.pa, f.size) + " (" + SegName(segs[f.segment]) + ") is mapped " +
             TypeName(MemType(f.found));
    case Code::kTableOutsideRam:
      return "table frame pa " + Hex(f.pa) + " lies in " +
             (f.region ? std::string(map::RegionKindName(*f.region)) : std::string("a hole")) +
             ", not usable RAM";
    case Code::kTableOnFirmwareMemory:
      return "table frame pa " + Hex(f.pa) + " lies in " + std::string(map::RegionKindName(f.region.value_or(RegionKind::kReserved))) +
             " memory, which firmware still uses before ExitBootServices";
    case Code::kTableOverlapsUsed: {
      const map::UsedRange& u = in.map.used[f.used_range];
      return "table frame pa " + Hex(f.pa) + " overlaps used range '" + u.name + "' " + Span(u.base, u.size);
    }
    case Code::kTableOverlapsFramebuffer:
      return "table frame pa " + Hex(f.pa) + " overlaps the framebuffer";
    case Code::kTableUnreported:
      return "table frame pa " + Hex(f.pa) + (f.size > k4K ? " (and the next " + std::to_string(f.size / k4K - 1) + ")" : "") +
             (in.output_map ? " is not marked as page tables in the output memory map" : " is not among the reported table frames");
    case Code::kTransitionBroken:
      return "transition va " + Span(f.va, f.size) + " is " +
             (f.found == Finding::kNotMapped ? std::string("unmapped") : "mapped to pa " + Hex(f.va + f.found)) + " in the new tables, " +
             (f.expected == Finding::kNotMapped ? std::string("unmapped") : "pa " + Hex(f.va + f.expected)) + " in the old";
    default:
      return std::string(CodeSummary(f.code)) + " at va " + Hex(f.va);
  }
}

// With no MTRRs in the map, whether a hole or MMIO range mapped WB is really cached depends
// on MTRRs nobody gave: that verdict is an assumption, not a violation.
bool Verifier::Assumed(Code c) const { return !ept_ && !in_.map.mtrr && c == Code::kCacheableNonRam; }

void Verifier::Format(Report* r) {
  const auto window = [this](uint32_t w) { return WindowName(w); };
  for (const Finding& f : findings_.list()) {
    if (Assumed(f.code)) {
      ++r->assumed_by_code[static_cast<int>(f.code)];
      continue;
    }
    ++r->by_code[static_cast<int>(f.code)];
    // Table codes coalesce consecutive frames: count frames.
    if (f.code == Code::kTableOutsideRam || f.code == Code::kTableOverlapsUsed ||
        f.code == Code::kTableOverlapsFramebuffer || f.code == Code::kTableOverlapsTransition ||
        f.code == Code::kTableOnFirmwareMemory || f.code == Code::kTableUnreported)
      r->by_code[static_cast<int>(f.code)] += f.size / k4K - 1;
    if (r->violations.size() < opt_.max_listed) {
      const bool table = f.code >= Code::kTableOutsideRam && f.code <= Code::kTableUnreported;
      r->violations.push_back({f.code, table ? 0 : f.va, f.pa, Message(in_, f, segs_, window)});
    }
  }
  for (int c = 0; c < kCodeCount; ++c) {
    (Assumed(Code(c)) ? r->assumed_by_code[c] : r->by_code[c]) += findings_.extra(c);
    r->violation_count += r->by_code[c];
  }
  if (!ept_ && !in_.map.mtrr)
    r->assumptions.push_back("no MTRRs given: effective memory types are the PAT types (MTRRs WB everywhere); " +
                             std::to_string(r->assumed_by_code[int(Code::kCacheableNonRam)]) +
                             " cacheable-non-ram findings rest on that and are not counted as violations");
  r->verified = r->violation_count == 0 && r->error.empty();
}

Report Verifier::Run() {
  if (in_.mem == nullptr) {
    report_.error = "no physical memory";
    return std::move(report_);
  }
  DeriveExpectation();
  if (!PrepareExpected()) return std::move(report_);
  segs_ = PhysSegments(in_);
  for (size_t s = 1; s < segs_.size(); ++s) {
    const PhysSeg &a = segs_[s - 1], &b = segs_[s];
    const bool mtrr = in_.map.mtrr && (a.mtrr != b.mtrr || a.mtrr_conflict != b.mtrr_conflict);
    if (mtrr) mtrr_changes_.push_back(b.base);
    // Region kinds matter where caching changes: WB/WT/WP on one side, UC/WC on the other.
    if ((mtrr && !ept_) || Cacheable(a.implied) != Cacheable(b.implied)) type_changes_.push_back(b.base);
  }
  // An incomplete enumeration says nothing about translations: only tables and layout are checked.
  const bool complete = EnumerateTables();
  std::sort(faulting_.begin(), faulting_.end(), [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
  faulting_ = Union(std::move(faulting_), {});
  if (complete) {
    Sweep();
    CheckRuns();
  }
  CheckTables();
  CheckSlots();
  if (complete) {
    CheckTransition();
    CheckBootSafety();
    CheckOptimality();
    SpotWalks();
  }
  for (const Piece& p : pieces_)
    report_.spec.push_back({p.va, p.pa, uint64_t(p.end - p.va), p.writable, p.user, !p.exec, p.global, p.type,
                            p.max_page, uint16_t(p.window)});
  Format(&report_);
  return std::move(report_);
}

}  // namespace

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

Report Verify(const Input& input, const Options& options) { return Verifier(input, options).Run(); }

}  // namespace bootmap::verify
