// Findings to the report: a message per listed violation, counts per code, assumptions.
#include <functional>

#include "sim/verify/verifier.h"

namespace bootmap::verify::internal {
namespace {

// The message of a finding that carries no text of its own.
std::string Message(const Input& in, const Finding& f, const std::vector<PhysSeg>& segs,
                    const std::function<std::string(uint32_t)>& window) {
  if (!f.text.empty()) return f.text;
  const std::string va = "va " + Span(f.va, f.size);
  // A flag that differs: what the tables say, then what was expected.
  auto flag = [&](const char* set, const char* clear) {
    return va + " (" + window(f.window) + ") is " + (f.found ? set : clear) + ", expected " +
           (f.expected ? set : clear);
  };
  switch (f.code) {
    case Code::kUnmapped:
      return va + " (" + window(f.window) + ", -> pa " + Hex(f.pa) + ") is not mapped";
    case Code::kWrongPa:
      return va + " (" + window(f.window) + ") maps pa " + Hex(f.pa) + " instead of " + Hex(f.va + f.expected);
    case Code::kUnexpected:
      return va + " -> pa " + Hex(f.pa) + " is mapped but no window asked for it";
    case Code::kWrongWritable:
      return flag("writable", "read-only");
    case Code::kWrongUser:
      return flag("user", "supervisor");
    case Code::kWrongExec:
      return flag("executable", "no-execute");
    case Code::kWrongGlobal:
      return flag("global", "not global");
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

// Verdicts about the whole layout or the oracle, with no address of their own.
bool NoPlace(Code c) {
  return c == Code::kRamUnmapped || c == Code::kWindowLeftOut || c == Code::kBadPlacement ||
         c == Code::kLeavesNotMinimal || c == Code::kTablesNotMinimal || c == Code::kBelowMinimum ||
         c == Code::kEnumerationFailed;
}

}  // namespace

// With no MTRRs in the map, whether a hole or MMIO range mapped WB is really cached depends
// on MTRRs nobody gave: that verdict is an assumption, not a violation. With MTRRs whose default
// or fixed ranges are unknown (/proc/mtrr), the same holds where an unknown part decides.
bool Verifier::Assumed(Code c) const { return !ept_ && !in_.map.mtrr && c == Code::kCacheableNonRam; }
bool Verifier::Assumed(const Finding& f) const {
  return !ept_ && f.code == Code::kCacheableNonRam && (!in_.map.mtrr || segs_[f.segment].mtrr_assumed);
}

namespace {

std::string UnknownParts(const map::Mtrrs& m) {
  return !m.default_known && !m.fixed_known ? "default type and fixed ranges"
         : !m.default_known                 ? "default type"
                                            : "fixed ranges";
}

// Where the verdicts' memory types come from (MemTypeSource in verify.h).
MemTypeSource SourceOf(const Input& in, bool ept) {
  if (ept) return {"ept", "memory types: the EPT entries' own (EPT memory type, IPAT); MTRRs do not apply"};
  if (!in.map.mtrr)
    return {"assumed", "memory types: assumed (the map has no MTRRs: PAT types alone, MTRRs WB everywhere)"};
  const map::Mtrrs& m = *in.map.mtrr;
  if (m.default_known && m.fixed_known)
    return {"mtrr", "memory types: from the map's MTRRs (default " + std::string(map::MemTypeName(m.default_type)) +
                        ", " + std::to_string(m.fixed.size()) + " fixed, " + std::to_string(m.variable.size()) +
                        " variable ranges) combined with PAT"};
  return {"mtrr-partial", "memory types: from the map's " + std::to_string(m.variable.size()) +
                              " variable MTRRs; its " + UnknownParts(m) + " are unknown: WB assumed where they decide"};
}

}  // namespace

void Verifier::Format(Report* r) {
  const auto window = [this](uint32_t w) { return WindowName(w); };
  for (const Finding& f : findings_.list()) {
    if (Assumed(f)) {
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
      const bool table = f.code >= Code::kTableOutsideRam && f.code <= Code::kTableUnreported && f.code != Code::kTableShared;
      const bool has_va = !table && !NoPlace(f.code);
      r->violations.push_back({f.code, has_va ? f.va : 0, f.pa, Message(in_, f, segs_, window), f.size, has_va});
    }
  }
  for (int c = 0; c < kCodeCount; ++c) {
    (Assumed(Code(c)) ? r->assumed_by_code[c] : r->by_code[c]) += findings_.extra(c);
    r->violation_count += r->by_code[c];
  }
  r->mem_types = SourceOf(in_, ept_);
  if (r->mem_types.source == "mtrr-partial")
    r->assumptions.push_back("the map's MTRRs leave the " + UnknownParts(*in_.map.mtrr) +
                             " unknown: WB assumed where they decide; " +
                             std::to_string(r->assumed_by_code[int(Code::kCacheableNonRam)]) +
                             " cacheable-non-ram findings rest on that and are not counted as violations");
  if (!ept_ && !in_.map.mtrr)
    r->assumptions.push_back("no MTRRs given: effective memory types are the PAT types (MTRRs WB everywhere); " +
                             std::to_string(r->assumed_by_code[int(Code::kCacheableNonRam)]) +
                             " cacheable-non-ram findings rest on that and are not counted as violations");
  r->verified = r->violation_count == 0 && r->error.empty();
}

}  // namespace bootmap::verify::internal
