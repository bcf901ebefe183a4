// The physical address space, cut where region kind, framebuffer or MTRR type change.
#include <algorithm>

#include "sim/emu/mem_types.h"
#include "sim/verify/verifier.h"

namespace bootmap::verify::internal {
namespace {

// MTRR cut points: fixed-range edges, 1 MiB, and each variable range's edges (contiguous
// masks; SDM Vol. 3A 12.11.3 recommends them). Types come from the emulator's MtrrTypeAt.
std::vector<uint64_t> MtrrCuts(const map::Mtrrs& m, uint8_t maxphyaddr) {
  const uint64_t top = maxphyaddr >= 64 ? ~uint64_t{0} : (uint64_t{1} << maxphyaddr);
  std::vector<uint64_t> cuts;
  if (!m.fixed.empty() || !m.fixed_known) cuts.push_back(uint64_t{1} << 20);
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

// Where anything a segment records may change: region edges, the framebuffer's, MTRR cuts.
std::vector<uint64_t> SegmentCuts(const Input& in) {
  std::vector<uint64_t> cuts = {0};
  for (const map::Region& r : in.regions) {
    cuts.push_back(r.base);
    if (r.end() < (U128{1} << 64)) cuts.push_back(uint64_t(r.end()));
  }
  if (in.map.framebuffer) {
    cuts.insert(cuts.end(), {in.map.framebuffer->base, in.map.framebuffer->base + in.map.framebuffer->size});
  }
  if (in.map.mtrr) {
    std::vector<uint64_t> m = MtrrCuts(*in.map.mtrr, in.map.cpu.maxphyaddr);
    cuts.insert(cuts.end(), m.begin(), m.end());
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

bool SameSegment(const PhysSeg& p, const PhysSeg& s) {
  return p.hole == s.hole && p.kind == s.kind && p.framebuffer == s.framebuffer && p.implied == s.implied &&
         p.mtrr == s.mtrr && p.mtrr_conflict == s.mtrr_conflict && p.mtrr_assumed == s.mtrr_assumed;
}

}  // namespace

std::vector<PhysSeg> PhysSegments(const Input& in) {
  const std::vector<uint64_t> cuts = SegmentCuts(in);
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
      s.framebuffer = s.base >= f.base && s.base - f.base < f.size;
    }
    s.implied = s.framebuffer ? MemType::kWC : ImpliedType(s.kind, attrs);  // the framebuffer WC
    if (in.map.mtrr) {
      const emu::MtrrType t = emu::MtrrTypeAt(*in.map.mtrr, s.base, in.map.cpu.maxphyaddr);
      s.mtrr = t.type;
      s.mtrr_conflict = t.conflict;
      s.mtrr_assumed = t.assumed;
    }
    if (!segs.empty() && SameSegment(segs.back(), s)) {
      segs.back().end = s.end;
      continue;
    }
    segs.push_back(s);
  }
  return segs;
}

size_t SegAt(const std::vector<PhysSeg>& segs, uint64_t pa) {
  auto it = std::upper_bound(segs.begin(), segs.end(), pa, [](uint64_t v, const PhysSeg& s) { return v < s.base; });
  return size_t(it - segs.begin()) - 1;
}

std::string SegName(const PhysSeg& s) {
  if (s.framebuffer) return "framebuffer";
  return s.hole ? "hole" : std::string(map::RegionKindName(s.kind));
}

// The segments, and where a large page must not cross: every MTRR type change, and region
// kinds where caching changes (WB/WT/WP on one side, UC/WC on the other).
void Verifier::CutPhysicalSpace() {
  segs_ = PhysSegments(in_);
  for (size_t s = 1; s < segs_.size(); ++s) {
    const PhysSeg &a = segs_[s - 1], &b = segs_[s];
    const bool mtrr = in_.map.mtrr && (a.mtrr != b.mtrr || a.mtrr_conflict != b.mtrr_conflict);
    if (mtrr) mtrr_changes_.push_back(b.base);
    if ((mtrr && !ept_) || Cacheable(a.implied) != Cacheable(b.implied)) type_changes_.push_back(b.base);
  }
}

}  // namespace bootmap::verify::internal
