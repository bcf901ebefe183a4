// The Verifier behind verify::Verify and the types its files share. Internal to
// bootmap_verify: users include verify.h. One file per rule family:
//   verify.cc         Run, the expectation, enumeration, the sweep of runs against it, spot walks
//   phys_segments.cc  the physical address space cut by region kind, framebuffer and MTRR type
//   table_checks.cc   table frames: where they lie, whether they are reported
//   layout_checks.cc  top-level slots, transition ranges, blanket identity maps
//   scope.cc          a restricted check: the chosen va spans, the rest tallied
//   minimum.cc        the proven minimum of leaves and tables
//   messages.cc       a message per finding; the report's counts
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/emu/enumerate.h"
#include "sim/emu/mem_types.h"
#include "sim/map/format.h"
#include "sim/verify/findings.h"
#include "sim/verify/intervals.h"
#include "sim/verify/verify.h"

namespace bootmap::verify::internal {

using map::Hex;
inline std::string Span(uint64_t va, uint64_t size) { return Hex(va) + "-" + Hex(va + (size - 1)); }
inline std::string TypeName(MemType t) { return std::string(map::MemTypeName(t)); }

// UC- is UC once combined (SDM Vol. 3A Table 12-7); EPT has no UC- (Vol. 3C 29.3.7).
inline MemType UcMinusAsUc(MemType t) { return t == MemType::kUCMinus ? MemType::kUC : t; }
inline bool Cacheable(MemType t) { return t == MemType::kWB || t == MemType::kWT || t == MemType::kWP; }

// A piece of the physical address space with one region kind, framebuffer or not, MTRR type.
struct PhysSeg {
  uint64_t base = 0;
  U128 end = 0;
  bool hole = true;
  RegionKind kind = RegionKind::kReserved;
  bool ram = false, framebuffer = false;
  MemType implied = MemType::kUC;  // the type the map implies for it
  MemType mtrr = MemType::kWB;     // WB if the map has no MTRRs (PAT alone decides)
  bool mtrr_conflict = false;
  bool mtrr_assumed = true;        // no MTRRs, or an unknown part of them decides: WB assumed
};
std::vector<PhysSeg> PhysSegments(const Input& in);  // ascending, adjacent ones differ
size_t SegAt(const std::vector<PhysSeg>& segs, uint64_t pa);  // index of the segment holding pa
std::string SegName(const PhysSeg& s);                         // "framebuffer", "hole" or the kind

// An expected mapping; the verifier's list of them is disjoint and sorted.
struct Piece {
  uint64_t va = 0;
  U128 end = 0;
  uint64_t pa = 0;
  bool writable = false, user = false, exec = false, global = false;
  MemType type = MemType::kWB;
  uint64_t max_page = k1G;
  uint32_t window = 0;
  uint64_t offset() const { return pa - va; }
  bool SameMapping(const Piece& o) const {
    return offset() == o.offset() && writable == o.writable && user == o.user && exec == o.exec &&
           global == o.global && UcMinusAsUc(type) == UcMinusAsUc(o.type);
  }
};

// The expected mapping lies in the canonical (EPT: guest-physical) address space.
bool Canonical(const Input& in, const Expected& e);

class Verifier {
 public:
  Verifier(const Input& in, const Options& opt) : in_(in), opt_(opt), ept_(IsEpt(in.format)) {}

  Report Run();

 private:
  // verify.cc
  void DeriveExpectation();
  bool PrepareExpected();
  bool Flatten(std::vector<Piece> all);
  bool EnumerateTables();
  void NoteAnomalies(const std::vector<emu::Anomaly>& anomalies, uint64_t reserved, uint64_t shared);
  void Sweep();
  void CompareTranslation(const Piece& e, const Leaf& r, uint64_t va, uint64_t len);
  void CheckRuns();
  void CheckLargePageTypes(const Leaf& r);
  void CheckCacheableNonRam(const Leaf& r);
  void CheckBootSafety();
  std::vector<uint64_t> SpotWalkAddresses() const;
  void SpotWalks();
  void SpotWalk(uint64_t va);
  // scope.cc
  bool ScopeIntervals(std::vector<Interval>* out);
  bool ApplyScope();
  void TallyOtherWindows(std::vector<std::vector<Interval>>& outside_by_window,
                         const std::vector<Interval>& mapped_outside, ScopeReport* s);
  bool InScope(uint64_t va) const;
  // phys_segments.cc
  void CutPhysicalSpace();
  // table_checks.cc
  void CheckTables();
  void CheckTableFrame(uint64_t frame, const std::vector<uint64_t>& declared, size_t* region_index);
  // layout_checks.cc
  void CheckSlots();
  void CheckTransition();
  void CheckTransitionRange(const Interval& range, const std::vector<Leaf>& old);
  void CheckBlanketIdentity();
  // minimum.cc
  void CheckOptimality();
  void CountMinimum();
  void CountNeededTables();
  void ReportMinimality();
  // messages.cc
  bool Assumed(const Finding& f) const;
  bool Assumed(Code c) const;
  void Format(Report* r);

  bool ExpectExec(const Expected& e) const { return !e.nx || (!ept_ && !in_.cpu.efer_nxe); }
  MemType EffectiveType(MemType pat, const PhysSeg& s) const {
    if (ept_) return UcMinusAsUc(pat);
    return in_.map.mtrr ? emu::EffectiveMemType(pat, s.mtrr) : UcMinusAsUc(pat);
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
  std::vector<Interval> fidelity_;      // va ranges already reported against the expectation
  std::vector<Interval> faulting_;      // va ranges behind entries with reserved bits
  std::vector<Interval> scope_;         // a restricted check's va spans (empty: everything)
};

}  // namespace bootmap::verify::internal
