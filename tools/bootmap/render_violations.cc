#include "tools/bootmap/render_violations.h"

#include <algorithm>
#include <array>

#include "sim/map/format.h"
#include "sim/verify/codes.h"

namespace bootmap::cli::render {
namespace {

using verify::Code;

// Code families, in the order of codes.h.
enum Family { kTranslation, kMemType, kTables, kLayout, kBoot, kCost, kOracle, kFamilies };
constexpr const char* kFamilyName[kFamilies] = {"translation", "memory type", "tables", "layout",
                                                "boot safety", "cost",        "oracle"};
constexpr const char* kFamilyColor[kFamilies] = {"#d32f2f", "#ef6c00", "#6a1b9a", "#0277bd",
                                                 "#ad1457", "#757575", "#000000"};
constexpr double kLane = 16, kLaneStep = 20;

Family FamilyOf(Code c) {
  if (c == Code::kWrongMemType || c == Code::kLargePageSpansTypes || c == Code::kCacheableNonRam) return kMemType;
  if (c <= Code::kPageOverCap) return kTranslation;
  if (c <= Code::kTableUnreported) return kTables;
  if (c <= Code::kWindowLeftOut) return kLayout;
  if (c <= Code::kRamUnmapped) return kBoot;
  if (c <= Code::kBelowMinimum) return kCost;
  return kOracle;
}

bool IsTableCode(Code c) { return c >= Code::kTableOutsideRam && c <= Code::kTableUnreported; }

// Where a violation starts on the physical axis: a transition range is physical (identity in
// the old tables), so its va; else the pa the verifier names.
uint64_t PhysStart(const verify::Violation& v) { return v.code == Code::kTransitionBroken ? v.va : v.pa; }

// A violation with a physical place: its range (a point when the verifier gives no size).
bool OnPhysical(const verify::Violation& v) {
  if (v.code == Code::kSlotCollision || v.code == Code::kBadPlacement || v.code == Code::kWindowLeftOut) return false;
  return PhysStart(v) != 0 || v.size != 0;
}

void Band(std::ostream& o, const Scale& s, const char* cls, U128 lo, U128 hi, double y, double h, const char* fill,
          const std::string& title) {
  const double x = s.X(lo), w = std::max(3.0, s.X(hi) - x);
  o << "<rect class=\"" << cls << "\" data-base=\"" << Hex(uint64_t(lo)) << "\" x=\"" << Num(x) << "\" y=\"" << Num(y)
    << "\" width=\"" << Num(w) << "\" height=\"" << Num(h) << "\" fill=\"" << fill << "\"><title>" << Esc(title)
    << "</title></rect>\n";
}

void LaneLabel(std::ostream& o, const std::string& text, double y) {
  o << "<text x=\"2\" y=\"" << Num(y + 12) << "\" font-size=\"9\">" << Esc(text) << "</text>\n";
  o << "<rect x=\"" << kLeft << "\" y=\"" << Num(y) << "\" width=\"" << kWidth << "\" height=\"" << kLane
    << "\" fill=\"#fafafa\"/>\n";
}

// Used, transition and framebuffer ranges as pale bands, then the frames (consecutive ones as one run).
void DrawFrames(const Scale& s, const map::MemoryMap& m, const ReplayResult& r, double y, std::ostream& o) {
  LaneLabel(o, "table frames", y);
  for (const map::UsedRange& u : m.used)
    Band(o, s, "used", u.base, U128(u.base) + u.size, y, kLane, "#b0bec5", "used range '" + u.name + "'");
  for (const core::RoleRange& t : r.build.transition)
    Band(o, s, "transition", t.base, U128(t.base) + t.size, y + kLane / 2, kLane / 2, "#80cbc4", "transition range");
  if (m.framebuffer)
    Band(o, s, "framebuffer", m.framebuffer->base, U128(m.framebuffer->base) + m.framebuffer->size, y, kLane / 3,
         "#ffeb3b", "framebuffer");
  const std::vector<uint64_t>& f = r.report.table_frames;
  size_t runs = 0;
  for (size_t i = 0; i < f.size();) {
    size_t j = i + 1;
    while (j < f.size() && f[j] == f[j - 1] + 4096) ++j;
    if (++runs <= kMaxMarks)
      Band(o, s, "table-frames", f[i], U128(f[j - 1]) + 4096, y + 3, kLane - 6, "#37474f",
           std::to_string(j - i) + " table frame" + (j - i == 1 ? "" : "s") + " at " + Hex(f[i]));
    i = j;
  }
  if (runs > kMaxMarks)
    o << "<text class=\"not-drawn\" x=\"" << kLeft + kWidth << "\" y=\"" << Num(y - 2) << "\" font-size=\"9\" "
      << "text-anchor=\"end\">" << runs - kMaxMarks << " more runs of table frames not drawn</text>\n";
}

void Mark(std::ostream& o, const Scale& s, const verify::Violation& v, double y) {
  const uint64_t start = PhysStart(v);
  const U128 end = U128(start) + std::max<uint64_t>(v.size, 1);
  const double x = s.X(start), w = std::max(3.0, s.X(end) - x);
  const std::string name(verify::CodeName(v.code));
  o << "<rect class=\"violation\" data-code=\"" << name << "\" data-pa=\"" << Hex(start) << "\" data-size=\""
    << Hex(v.size) << "\" x=\"" << Num(x) << "\" y=\"" << Num(y) << "\" width=\"" << Num(w) << "\" height=\"" << kLane
    << "\" fill=\"" << kFamilyColor[FamilyOf(v.code)] << "\" fill-opacity=\"0.8\"><title>" << name << ": "
    << Esc(v.message) << "</title></rect>\n";
}

}  // namespace

double DrawFramesAndMarks(const Scale& s, const map::MemoryMap& m, const ReplayResult& r, double y, std::ostream& o) {
  const std::vector<verify::Violation>& vs = r.report.violations;
  const size_t drawn = std::min(vs.size(), kMaxMarks);
  // Table violations sit on the frames lane, over the frames they name.
  DrawFrames(s, m, r, y, o);
  o << "<g class=\"violations\">\n";
  for (size_t i = 0; i < drawn; ++i)
    if (IsTableCode(vs[i].code)) Mark(o, s, vs[i], y);
  y += kLaneStep;
  for (int f = 0; f < kFamilies; ++f) {
    if (f == kTables) continue;
    bool any = false;
    for (size_t i = 0; i < drawn && !any; ++i) any = FamilyOf(vs[i].code) == f && OnPhysical(vs[i]);
    if (!any) continue;
    LaneLabel(o, kFamilyName[f], y);
    for (size_t i = 0; i < drawn; ++i)
      if (FamilyOf(vs[i].code) == f && OnPhysical(vs[i])) Mark(o, s, vs[i], y);
    y += kLaneStep;
  }
  o << "</g>\n";
  return y;
}

void DrawSlotMarks(const ReplayResult& r, int shift, double x0, double y0, std::ostream& o) {
  for (size_t i = 0; i < std::min(r.report.violations.size(), kMaxMarks); ++i) {
    const verify::Violation& v = r.report.violations[i];
    if (v.code != Code::kSlotCollision) continue;
    const uint64_t slot = (v.va >> shift) & 511;
    o << "<rect class=\"violation\" data-code=\"slot-collision\" data-slot=\"" << slot << "\" x=\""
      << Num(x0 + double(slot % 32) * 22) << "\" y=\"" << Num(y0 + double(slot / 32) * 13)
      << "\" width=\"21\" height=\"12\" fill=\"none\" stroke=\"" << kFamilyColor[kLayout]
      << "\" stroke-width=\"2\"><title>slot-collision: " << Esc(v.message) << "</title></rect>\n";
  }
}

double DrawViolationLegend(const ReplayResult& r, double x, double y, std::ostream& o) {
  const verify::Report& rep = r.report;
  const std::string verdict = r.verified() ? "verified: every expected byte translates as asked, nothing else is mapped"
                              : !rep.error.empty() ? "NOT VERIFIED: " + rep.error
                                                   : "NOT VERIFIED: " + std::to_string(rep.violation_count) +
                                                         " violation" + (rep.violation_count == 1 ? "" : "s");
  o << "<g class=\"violation-legend\" data-verified=\"" << (r.verified() ? "true" : "false") << "\" data-count=\""
    << rep.violation_count << "\">\n<text class=\"verdict\" x=\"" << x << "\" y=\"" << Num(y + 10)
    << "\" font-weight=\"bold\">" << Esc(verdict) << "</text>\n";
  y += 16;
  if (!r.complete && !r.error.empty()) {
    o << "<text x=\"" << x << "\" y=\"" << Num(y + 10) << "\">" << Esc(r.error) << "</text>\n";
    y += 14;
  }
  for (int c = 0; c < verify::kCodeCount; ++c) {
    if (!rep.by_code[c]) continue;
    const std::string name(verify::CodeName(Code(c)));
    o << "<g class=\"legend-code\" data-code=\"" << name << "\" data-count=\"" << rep.by_code[c] << "\"><rect x=\""
      << x << "\" y=\"" << Num(y + 1) << "\" width=\"10\" height=\"10\" fill=\"" << kFamilyColor[FamilyOf(Code(c))]
      << "\"/><text x=\"" << x + 14 << "\" y=\"" << Num(y + 10) << "\">" << name << " " << rep.by_code[c] << " ("
      << kFamilyName[FamilyOf(Code(c))] << "): " << Esc(std::string(verify::CodeSummary(Code(c)))) << "</text></g>\n";
    y += 14;
  }
  // Table codes count frames, other codes one per listed violation.
  uint64_t represented = 0;
  for (size_t i = 0; i < std::min(rep.violations.size(), kMaxMarks); ++i)
    represented += IsTableCode(rep.violations[i].code) ? std::max<uint64_t>(rep.violations[i].size / 4096, 1) : 1;
  if (rep.violation_count > represented) {
    o << "<text class=\"not-drawn\" x=\"" << x << "\" y=\"" << Num(y + 10) << "\">"
      << rep.violation_count - represented << " more not drawn</text>\n";
    y += 14;
  }
  uint64_t assumed = 0;
  for (uint64_t n : rep.assumed_by_code) assumed += n;
  if (assumed) {
    o << "<text x=\"" << x << "\" y=\"" << Num(y + 10) << "\" fill=\"#555\">" << assumed
      << (assumed == 1 ? " finding rests" : " findings rest")
      << " on an assumption (no MTRRs given): not counted, not drawn</text>\n";
    y += 14;
  }
  o << "</g>\n";
  return y;
}

}  // namespace bootmap::cli::render
