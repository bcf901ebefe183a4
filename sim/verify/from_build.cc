#include "sim/verify/from_build.h"

#include <algorithm>
#include <map>

#include "sim/map/format.h"
#include "sim/verify/intervals.h"

namespace bootmap::verify {
namespace {

Placement PlacementOf(core::Placement p) {
  switch (p) {
    case core::Placement::kIdentity: return Placement::kIdentity;
    case core::Placement::kOffset: return Placement::kOffset;
    case core::Placement::kLinear: return Placement::kLinear;
    case core::Placement::kAuto: return Placement::kAuto;
  }
  return Placement::kIdentity;
}

// The layout's data, field by field; nothing the planner computed.
WindowSpec SpecOf(const core::Window& w) {
  WindowSpec s;
  s.name = w.name;
  if (w.sources & core::kSourceRegions) s.kinds = w.kinds, s.runtime_kinds = w.runtime_kinds;
  s.framebuffer = w.sources & core::kSourceFramebuffer;
  s.used = w.sources & core::kSourceUsed;
  if (w.used_name) s.used_name = w.used_name;
  s.transition = w.sources & core::kSourceTransition;
  s.transition_roles = w.transition_roles;
  s.min_addr = w.min_addr;
  s.max_addr = w.max_addr;
  s.whole_span = w.whole_span;
  s.span_to_max = w.span_to_max;
  s.round = uint64_t{1} << (12 + 9 * w.round_level);
  s.placement = PlacementOf(w.placement);
  s.base = w.base;
  s.base_la57 = w.base_la57;
  s.max_slots = w.max_slots;
  s.writable = w.writable;
  s.user = w.user;
  s.nx = w.nx;
  s.global = w.global;
  if (w.type_rule == core::TypeRule::kFixed) s.fixed_type = w.fixed_type;
  s.max_page = uint64_t{1} << (12 + 9 * w.max_level);
  return s;
}

}  // namespace

Format FormatOf(core::Paging paging) {
  switch (paging) {
    case core::Paging::kX86Level4: return Format::kIa32e4;
    case core::Paging::kX86Level5: return Format::kIa32e5;
    case core::Paging::kEptLevel4: return Format::kEpt4;
    case core::Paging::kEptLevel5: return Format::kEpt5;
  }
  return Format::kIa32e4;
}

LayoutSpec LayoutOf(const core::host::HostLayout& layout) {
  LayoutSpec spec;
  for (const core::Window& w : layout.windows) spec.windows.push_back(SpecOf(w));
  if (layout.has_transition) {
    spec.transition.emplace();
    for (const core::RoleRange& t : layout.transition) spec.transition->push_back({t.base, t.size, t.role});
  }
  return spec;
}

Input FromBuild(const map::MemoryMap& m, const core::host::BuildResult& b, emu::PhysMem* mem) {
  Input in;
  in.format = FormatOf(b.paging);
  in.mem = mem;
  in.map = m;
  in.regions = map::NormalizedRegions(m);
  in.cpu.cr3 = b.root_pa;
  in.cpu.cr4_la57 = in.format == Format::kIa32e5;
  in.cpu.maxphyaddr = m.cpu.maxphyaddr;
  in.cpu.page1gb = m.cpu.page1gb;
  in.cpu.efer_nxe = m.cpu.nx;
  in.cpu.pat = b.pat_msr;
  in.ept.eptp = emu::ept::MakeEptp(b.root_pa, Levels(in.format), MemType::kWB);
  in.ept.maxphyaddr = m.cpu.maxphyaddr;
  // EPT capabilities, the map's IA32_VMX_EPT_VPID_CAP facts (SDM Vol. 3D Appendix A.10).
  in.ept.page2m = m.cpu.ept.page2m;
  in.ept.page1gb = m.cpu.ept.page1gb;
  in.ept.five_level = m.cpu.ept.five_level;
  if (b.layout) in.layout = LayoutOf(*b.layout);
  for (const core::host::WindowReport& w : b.windows) {
    in.windows.push_back(w.name);
    WindowOutcome o;
    o.left_out = !w.error.empty();
    if (w.placement == "auto" && !w.empty && !o.left_out) o.auto_offset = w.place.offset;
    in.outcomes.push_back(o);
  }
  in.table_frames = b.table_frames;
  std::vector<OutputRegion> out;
  for (const core::host::OutputRegion& r : b.output_map) out.push_back({r.base, r.size, r.kind == "page-tables"});
  in.output_map = std::move(out);
  return in;
}

namespace {

// Bytes of `v` per window, the window of each range found by `window_at`.
template <class WindowAt>
std::map<std::string, U128> PerWindow(const std::vector<Interval>& v, WindowAt&& window_at) {
  std::map<std::string, U128> bytes;
  for (const Interval& x : v) bytes[window_at(x.lo)] += x.hi - x.lo;
  return bytes;
}

}  // namespace

std::vector<std::string> PlanVersusSpec(const core::host::BuildResult& b, const Report& r) {
  const bool ept = core::IsEpt(b.paging);  // EPT entries have no G or U/S (SDM Vol. 3C 29.3.2)
  auto same = [ept](const core::MapRequest& q, const Expected& e) {
    auto uc_minus_as_uc = [](MemType t) { return t == MemType::kUCMinus ? MemType::kUC : t; };
    return q.pa - q.va == e.pa - e.va && q.writable == e.writable && (ept || q.user == e.user) && q.nx == e.nx &&
           (ept || q.global == e.global) && uc_minus_as_uc(q.type) == uc_minus_as_uc(e.type);
  };
  std::vector<Interval> planned, specified, agree;
  for (const Expected& e : r.spec) specified.push_back({e.va, U128(e.va) + e.size});
  for (const core::MapRequest& q : b.requests) {
    const U128 q_end = U128(q.va) + q.size;
    planned.push_back({q.va, q_end});
    auto it = std::upper_bound(r.spec.begin(), r.spec.end(), q.va,
                               [](uint64_t v, const Expected& e) { return v < e.va; });
    if (it != r.spec.begin()) --it;
    for (; it != r.spec.end() && U128(it->va) < q_end; ++it) {
      const U128 lo = std::max<U128>(q.va, it->va), hi = std::min(q_end, U128(it->va) + it->size);
      if (lo < hi && same(q, *it)) agree.push_back({lo, hi});
    }
  }
  planned = Union(std::move(planned), {});
  agree = Union(std::move(agree), {});
  auto spec_window = [&](U128 va) {
    auto it = std::upper_bound(r.spec.begin(), r.spec.end(), uint64_t(va),
                               [](uint64_t v, const Expected& e) { return v < e.va; });
    const size_t w = it == r.spec.begin() ? SIZE_MAX : (it - 1)->window;
    return w < b.windows.size() ? b.windows[w].name : std::string("?");
  };
  auto plan_window = [&](U128 va) {
    for (const core::MapRequest& q : b.requests)
      if (U128(q.va) <= va && va < U128(q.va) + q.size) return q.window < b.windows.size() ? b.windows[q.window].name : "?";
    return std::string("?");
  };
  std::vector<std::string> out;
  for (const auto& [w, n] : PerWindow(Subtract(specified, agree), spec_window))
    out.push_back("window '" + w + "': " + map::HumanSize(n) + " the spec requires are not planned as it says");
  for (const auto& [w, n] : PerWindow(Subtract(planned, agree), plan_window))
    out.push_back("window '" + w + "': " + map::HumanSize(n) + " planned that the spec does not ask for as planned");
  return out;
}

}  // namespace bootmap::verify
