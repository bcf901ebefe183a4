#include "sim/core/host/build.h"

#include <algorithm>
#include <cstdio>
#include <memory_resource>

#include "sim/core/formats.h"
#include "sim/core/frame_alloc.h"
#include "sim/core/host/layout.h"
#include "sim/map/format.h"

namespace bootmap::core::host {
namespace {

using map::Hex;

std::string Bytes(uint64_t v) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  double d = double(v);
  while (d >= 1024 && u < 6) d /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, d == uint64_t(d) ? "%.0f %s" : "%.1f %s", d, units[u]);
  return buf;
}

const char* PlacementName(Placement p) {
  switch (p) {
    case Placement::kIdentity: return "identity";
    case Placement::kOffset: return "offset";
    case Placement::kLinear: return "linear";
    case Placement::kAuto: return "auto";
  }
  return "?";
}

// The host's frame allocator: the core's policy, plus a record of what it handed out.
struct RecordingAllocator {
  RegionFrameAllocator inner;
  std::vector<uint64_t>* frames;
  uint64_t limit;
  bool over_limit = false;
  FrameAllocator Interface() {
    FrameAllocator a;
    a.ctx = this;
    a.allocate = [](void* c, uint64_t* pa) {
      auto* self = static_cast<RecordingAllocator*>(c);
      if (!self->inner.Allocate(pa)) return false;
      self->frames->push_back(*pa);
      return true;
    };
    a.reserve = [](void* c, uint64_t n) {
      auto* self = static_cast<RecordingAllocator*>(c);
      self->over_limit = n > self->limit;
      if (self->over_limit || !self->inner.Reserve(n)) return false;
      self->frames->reserve(self->frames->size() + n);
      return true;
    };
    return a;
  }
};

// The end of the run of consecutive frames that starts at frames[i] (frames ascend).
size_t RunEnd(const std::vector<uint64_t>& frames, size_t i) {
  size_t j = i + 1;
  while (j < frames.size() && frames[j] == frames[j - 1] + kFrameBytes) ++j;
  return j;
}

std::vector<OutputRegion> OutputMap(const std::vector<map::Region>& regions,
                                    const std::vector<uint64_t>& frames) {
  size_t runs = 0;
  for (size_t i = 0; i < frames.size(); i = RunEnd(frames, i)) ++runs;
  std::vector<OutputRegion> out;
  out.reserve(regions.size() + 2 * runs);
  size_t run = 0, run_end = 0;  // the run frames[run, run_end), once found
  for (const map::Region& region : regions) {
    const std::string_view kind = map::RegionKindName(region.kind);
    uint64_t pos = region.base;
    const unsigned __int128 end = region.end();
    for (; run < frames.size(); run = run_end) {
      if (run_end <= run) run_end = RunEnd(frames, run);
      const uint64_t lo = frames[run], hi = frames[run_end - 1] + kFrameBytes;
      if (hi <= pos) continue;
      if (lo >= end) break;
      if (lo > pos) out.push_back({pos, lo - pos, kind});
      out.push_back({lo, hi - lo, "page-tables"});
      pos = hi;
    }
    if (pos < end) out.push_back({pos, uint64_t(end - pos), kind});
  }
  return out;
}

// A core input error (kInvalidMap, kInvalidCpu) as the user's words: the map file and
// the entry. Regions are the normalised map's (map::Normalize sorts and merges the
// file's entries), MTRR ranges the effective types derived from the file's MTRRs.
std::string DescribeInputError(const Error& e, const std::string& source, const PlanInput& in) {
  const std::string at = " at " + Hex(e.physical) + ": " + e.reason;
  if (e.status == Status::kInvalidCpu)
    return source + ": /cpu/maxphyaddr " + std::to_string(e.needed) + ": " + e.reason;
  switch (e.list) {
    case InputList::kRegions: return source + ": normalised region " + std::to_string(e.request) + at;
    case InputList::kMtrr: return source + ": MTRR effective type range " + std::to_string(e.request) + at;
    case InputList::kUsed:
      return source + ": /used/" + std::to_string(e.request) + " ('" +
             (e.request < in.used_count ? in.used[e.request].name : "?") + "')" + at;
    case InputList::kTransition: return "layout transition range " + std::to_string(e.request) + at;
    case InputList::kFramebuffer: return source + ": /framebuffer" + at;
    case InputList::kNone:
    case InputList::kFirmware: break;
  }
  return source + ": " + InputListName(e.list) + " entry " + std::to_string(e.request) + at;
}

}  // namespace

bool MtrrTypeRanges(const map::MemoryMap& m, std::vector<TypeRange>* out, std::string* error) {
  out->clear();
  if (!m.mtrr) return true;
  const map::Mtrrs& mtrr = *m.mtrr;
  const unsigned phys_bits = std::min<unsigned>(m.cpu.maxphyaddr, 52);
  const uint64_t top = uint64_t{1} << phys_bits;
  const uint64_t phys_mask = top - 1;
  struct Var { uint64_t base, end; MemType type; };
  std::byte scratch[2048];  // vars and cuts: on the stack unless the MTRRs are many
  std::pmr::monotonic_buffer_resource arena(scratch, sizeof scratch);
  std::pmr::vector<Var> vars(&arena);
  vars.reserve(mtrr.variable.size());
  for (size_t i = 0; i < mtrr.variable.size(); ++i) {
    const map::MtrrVariable& v = mtrr.variable[i];
    const uint64_t mask = v.mask & phys_mask & ~uint64_t{0xfff};
    if (mask == 0) {
      vars.push_back({0, top, v.type});
      continue;
    }
    const uint64_t size = mask & (~mask + 1);  // lowest set bit
    if ((mask | (size - 1)) != phys_mask) {
      *error = "mtrr.variable[" + std::to_string(i) + "]: non-contiguous mask " + Hex(v.mask) + " is not supported";
      return false;
    }
    const uint64_t base = v.base & mask;
    vars.push_back({base, base + size, v.type});
  }
  std::pmr::vector<uint64_t> cuts(&arena);
  cuts.reserve(3 + 2 * (mtrr.fixed.size() + vars.size()));
  cuts.insert(cuts.end(), {0, top});
  // Unknown fixed ranges (map::Mtrrs::fixed_known) are WB by assumption below 1 MiB, as the verifier has it.
  const bool fixed = !mtrr.fixed.empty() || !mtrr.fixed_known;
  if (fixed) cuts.push_back(1 << 20);
  for (const map::MtrrRange& f : mtrr.fixed) cuts.insert(cuts.end(), {f.base, f.base + f.size});
  for (const Var& v : vars) cuts.insert(cuts.end(), {v.base, v.end});
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  out->reserve(cuts.size());
  // SDM Vol. 3A 12.11.4.1: fixed ranges below 1 MiB; else matching variable ranges
  // (one type, or UC if any is UC, or WT for WT+WB; other mixes are undefined: UC);
  // else the default type. An undefined mix stays its own range even beside a real UC
  // range: what the CPU does there is unknown, so no large page may cross its edge.
  // A type and whether it is an undefined mix, as one scalar: compared whole in a
  // register (a two-field struct was reloaded from bytes just stored apart, a stall).
  auto at = [](MemType t, bool undefined) { return unsigned(t) | unsigned{undefined} << 8; };
  auto type_at = [&](uint64_t a) -> unsigned {
    if (fixed && a < (1u << 20)) {
      if (!mtrr.fixed_known) return at(MemType::kWB, false);
      for (const map::MtrrRange& f : mtrr.fixed)
        if (a >= f.base && a - f.base < f.size) return at(f.type, false);
      return at(mtrr.default_type, false);
    }
    bool any = false, uc = false, wt = false, wb = false, other = false;
    MemType t = mtrr.default_type;
    for (const Var& v : vars) {
      if (a < v.base || a >= v.end) continue;
      if (any && v.type != t) other = true;
      any = true;
      t = v.type;
      uc |= v.type == MemType::kUC;
      wt |= v.type == MemType::kWT;
      wb |= v.type == MemType::kWB;
    }
    if (!any) return at(mtrr.default_type, false);
    if (uc) return at(MemType::kUC, false);
    if (!other) return at(t, false);
    if (wt && wb) {
      bool only = true;
      for (const Var& v : vars)
        if (a >= v.base && a < v.end) only &= v.type == MemType::kWT || v.type == MemType::kWB;
      if (only) return at(MemType::kWT, false);
    }
    return at(MemType::kUC, true);
  };
  unsigned last = ~0u;
  for (size_t i = 0; i + 1 < cuts.size() && cuts[i] < top; ++i) {
    const uint64_t end = std::min(cuts[i + 1], top);
    const unsigned here = type_at(cuts[i]);
    if (here == last) out->back().size = end - out->back().base;
    else out->push_back({cuts[i], end - cuts[i], MemType(here & 0xff)});
    last = here;
  }
  return true;
}

std::string DescribeRequest(const BuildResult& r, uint32_t index) {
  if (index >= r.requests.size()) return "an earlier build";
  const MapRequest& q = r.requests[index];
  std::string window = q.window < r.windows.size() ? r.windows[q.window].name : "?";
  return "request " + std::to_string(index) + " (window '" + window + "', va " + Hex(q.va) + "+" +
         Hex(q.size) + " -> pa " + Hex(q.pa) + ")";
}

// A profile's layout, made once and shared by every build (nothing changes it).
std::shared_ptr<const HostLayout> ProfileLayout(std::string_view name) {
  static const std::vector<std::shared_ptr<const HostLayout>> layouts = [] {
    std::vector<std::shared_ptr<const HostLayout>> all;
    for (std::string_view profile : ProfileNames()) {
      auto layout = std::make_shared<HostLayout>();
      LoadProfile(profile, layout.get());
      all.push_back(std::move(layout));
    }
    return all;
  }();
  for (const auto& layout : layouts)
    if (layout->profile == name) return layout;
  return nullptr;
}

// The layout: --layout, else --profile, else the map's own, else the default profile.
std::string ResolveLayout(const map::MemoryMap& m, const HostOptions& options, const std::string& source,
                          std::shared_ptr<const HostLayout>* out) {
  if (options.layout) {
    *out = options.layout;
    return "";
  }
  if (options.layout_file.empty() && (!options.profile.empty() || m.layout_json.empty())) {
    const std::string_view name = options.profile.empty() ? kDefaultProfile : std::string_view(options.profile);
    if ((*out = ProfileLayout(name))) return "";
    std::string why = "unknown profile \"" + options.profile + "\" (profiles:";
    for (std::string_view p : ProfileNames()) why += " " + std::string(p);
    return why + ")";
  }
  auto layout = std::make_shared<HostLayout>();
  std::string error = options.layout_file.empty() ? ParseLayout(m.layout_json, source, "/layout", layout.get())
                                                  : LoadLayoutFile(options.layout_file, layout.get());
  if (error.empty()) *out = std::move(layout);
  return error;
}

// --paging, else the layout's own, else 5-level paging when the CPU has LA57, as Linux
// enables it (arch/x86 CONFIG_X86_5LEVEL, no5lvl not given). "" or why it cannot be.
std::string ChoosePaging(const map::MemoryMap& m, const HostOptions& options, const HostLayout& layout,
                         BuildResult* result) {
  if (options.paging) {
    result->paging = *options.paging;
    result->paging_reason = "--paging";
  } else if (layout.paging) {
    result->paging = *layout.paging;
    result->paging_reason = layout.paging_from_layout ? "the layout's paging" : "the profile's own";
  } else {
    result->paging = m.cpu.la57 ? Paging::kX86Level5 : Paging::kX86Level4;
    result->paging_reason = m.cpu.la57 ? "the map's CPU has LA57" : "the map's CPU has no LA57";
  }
  if (PagingLevels(result->paging) == 5 && !IsEpt(result->paging) && !m.cpu.la57)
    return "5-level paging needs a CPU with LA57 (the map's cpu.la57 is false)";
  if (result->paging == Paging::kEptLevel5 && !m.cpu.ept.five_level)
    return "5-level EPT needs page-walk length 5 (IA32_VMX_EPT_VPID_CAP bit 7; the map's cpu.ept.five_level is false)";
  return "";
}

// Why a window could not be placed (kNoSlots, kTooManySlots or kOutOfAddressSpace).
std::string UnplaceableWindow(const Error& e, const Window& w, const WindowPlacement& p, Paging paging) {
  const char* slot = PagingLevels(paging) == 5 ? "PML5" : "PML4";
  const std::string slot_size = PagingLevels(paging) == 5 ? "256 TiB" : "512 GiB";
  const std::string name = "window '" + std::string(w.name) + "'";
  if (e.status == Status::kNoSlots)
    return name + " needs " + std::to_string(e.needed) + " consecutive free " + slot + " slots of " + slot_size +
           " (" + Bytes(e.address) + ") and no such run is free" +
           (PagingLevels(paging) == 4 ? "; 5-level paging (--paging 5) has 256 TiB slots" : "");
  if (e.status == Status::kTooManySlots)
    return name + " needs " + std::to_string(e.needed) + " " + slot + " slots (" + Bytes(e.address) +
           ") but the layout allows at most " + std::to_string(w.max_slots);
  return name + " would map pa " + Hex(p.pa_lo) + "-" + Hex(p.pa_hi - 1) + " at va " + Hex(p.va_lo) + "-" +
         Hex(p.va_hi - 1) + ", outside the " + std::to_string(PagingVaBits(paging)) + "-bit address space" +
         (PagingLevels(paging) == 4 ? " (5-level paging: --paging 5)" : "");
}

// A failed core::BuildTables as the host's error (and bad_input where the input is at fault).
void DescribeBuildError(const Error& e, const HostOptions& options, const std::string& source, const PlanInput& in,
                        bool over_limit, BuildResult* result) {
  if (e.status == Status::kConflict) {
    result->error = DescribeRequest(*result, e.request) + " conflicts with " + DescribeRequest(*result, e.other) +
                    " at " + Hex(e.address);
  } else if (e.status == Status::kOutOfFrames && (over_limit || e.needed > options.max_table_frames)) {
    result->error = "the tables need more than " + std::to_string(options.max_table_frames) + " frames (" +
                    Bytes(options.max_table_frames * kFrameBytes) + "), above the limit";
  } else if (e.status == Status::kOutOfFrames) {
    result->error = "not enough free RAM for the page tables: " + std::to_string(e.needed) + " frames needed" +
                    (options.frame_ceiling ? " below " + Hex(options.frame_ceiling) : "");
  } else if (e.status == Status::kInvalidCpu) {  // Plan refuses it first; kept for completeness
    result->bad_input = true;
    result->error = DescribeInputError(e, source, in);
  } else if (e.status == Status::kUnreachable) {
    result->error = "table frame " + Hex(e.physical) + " is not reachable in simulated memory: " + e.reason +
                    (e.request != kNoIndex ? " (" + DescribeRequest(*result, e.request) + ")" : "");
  } else {
    result->error = std::string(StatusName(e.status)) + ": " + e.reason +
                    (e.request != kNoIndex ? " (" + DescribeRequest(*result, e.request) + ")" : "");
  }
}

// Plans; a window that cannot be placed (no slots, too many, outside the address space) is
// reported in its WindowReport::error, left out, and the plan runs again without it.
// in->layout points at the layout's windows until one is left out, then at *edited.
Result<size_t> PlanLeavingOutUnplaceable(PlanInput* in, std::pmr::vector<Window>* edited,
                                         std::pmr::vector<WindowPlacement>* places, BuildResult* result) {
  Result<size_t> planned;
  for (size_t round = 0; round <= in->layout.window_count; ++round) {
    result->requests.resize(4 * in->region_count + 4 * in->used_count + 64);
    for (int attempt = 0; attempt < 2; ++attempt) {
      PlanOutput out{result->requests.data(), result->requests.size(), places->data()};
      planned = Plan(*in, &out);
      if (planned.error.status != Status::kBufferTooSmall) break;
      result->requests.resize(planned.error.needed);
    }
    const Error& e = planned.error;
    if (e.status != Status::kNoSlots && e.status != Status::kTooManySlots &&
        e.status != Status::kOutOfAddressSpace)
      break;
    if (edited->empty()) {
      edited->assign(in->layout.windows, in->layout.windows + in->layout.window_count);
      in->layout.windows = edited->data();
    }
    Window& off = (*edited)[e.request];  // leave it out: it selects nothing now
    result->windows[e.request].error = UnplaceableWindow(e, off, (*places)[e.request], result->paging);
    off.sources = kSourceRegions;
    off.kinds = 0;
    off.whole_span = false;
  }
  return planned;
}

// Frames: allocatable RAM >= 1 MiB, not used, not a transition range, not the framebuffer,
// below the ceiling and 2^MAXPHYADDR. `exclude` holds the excluded ranges the policy points at.
FramePolicy FramesFor(const map::MemoryMap& m, const std::pmr::vector<RegionInfo>& regions,
                      const std::vector<RoleRange>& transition, uint64_t frame_ceiling,
                      std::pmr::vector<PhysRange>& exclude) {
  for (const map::UsedRange& u : m.used) exclude.push_back({u.base, u.size});
  for (const RoleRange& t : transition) exclude.push_back({t.base, t.size});
  if (m.framebuffer) exclude.push_back({m.framebuffer->base, m.framebuffer->size});
  FramePolicy policy;
  policy.regions = regions.data();
  policy.region_count = regions.size();
  policy.exclude = exclude.data();
  policy.exclude_count = exclude.size();
  policy.firmware_live = m.stage == map::Stage::kBeforeExitBootServices;
  // A table frame must be addressable by an entry: below 2^MAXPHYADDR (SDM Vol. 3A 4.5.4),
  // whatever the map says lies above it.
  const uint64_t phys_top = m.cpu.maxphyaddr >= 64 ? 0 : uint64_t{1} << m.cpu.maxphyaddr;
  policy.ceiling = frame_ceiling == 0 ? phys_top
                   : phys_top == 0    ? frame_ceiling
                                      : std::min(frame_ceiling, phys_top);
  return policy;
}

// The core's input: the normalised regions, MTRR type ranges, used and transition ranges,
// and the windows as they stand (pointers into the caller's vectors and *result).
PlanInput PlanInputFor(const map::MemoryMap& m, const std::pmr::vector<RegionInfo>& regions,
                       const std::pmr::vector<NamedRange>& used, const std::vector<Window>& windows,
                       const BuildResult& result, uint64_t seed) {
  PlanInput in;
  in.regions = regions.data();
  in.region_count = regions.size();
  in.mtrr = result.mtrr_types.data();
  in.mtrr_count = result.mtrr_types.size();
  in.cpu = {m.cpu.maxphyaddr, m.cpu.page1gb, m.cpu.la57, m.cpu.nx};
  in.paging = result.paging;
  in.has_framebuffer = m.framebuffer.has_value();
  if (m.framebuffer) in.framebuffer = {m.framebuffer->base, m.framebuffer->size};
  in.used = used.data();
  in.used_count = used.size();
  in.layout = {windows.data(), windows.size(), result.transition.data(), result.transition.size()};
  in.seed = seed;
  return in;
}

// One report per layout window, named before planning (errors are filed as windows are left out).
// Copies of one blank report: GCC value-initialises each element of a resize with rep stosq,
// whose start-up (about 10 ns on AMD Zen) cost more than the rest of this function.
void StartWindowReports(const std::vector<Window>& windows, BuildResult* result) {
  result->windows.assign(windows.size(), WindowReport{});
  for (size_t i = 0; i < windows.size(); ++i) {
    result->windows[i].name = windows[i].name;
    result->windows[i].placement = PlacementName(windows[i].placement);
  }
}

BuildResult BuildTables(const map::MemoryMap& m, const HostOptions& options, emu::PhysMem* mem) {
  // The build's temporaries share one arena on the stack (the heap only past it): a small
  // map's build made 14 allocations, and malloc and free were an eighth of its time.
  std::byte scratch[8192];
  std::pmr::monotonic_buffer_resource arena(scratch, sizeof scratch);
  BuildResult result;
  auto bad = [&](std::string why) {
    result.bad_input = true;
    result.error = std::move(why);
    return std::move(result);
  };

  const std::string& source = options.map_source.empty() ? m.name : options.map_source;  // for errors
  if (std::string e = ResolveLayout(m, options, source, &result.layout); !e.empty()) return bad(e);
  const HostLayout& layout = *result.layout;
  result.profile = layout.profile;
  const std::vector<Window>& windows = layout.windows;
  if (std::string e = ChoosePaging(m, options, layout, &result); !e.empty()) return bad(e);
  result.pat_msr = kPatMsr;
  BuildOptions& build = result.build_options;
  build.paging = result.paging;
  // EPT leaf sizes are VMX capabilities, not CPUID's (SDM Vol. 3D Appendix A.10).
  build.page1gb = IsEpt(result.paging) ? m.cpu.ept.page1gb : m.cpu.page1gb;
  build.page2m = IsEpt(result.paging) ? m.cpu.ept.page2m : true;
  build.nx = m.cpu.nx;
  build.maxphyaddr = m.cpu.maxphyaddr;
  build.max_frames = options.max_table_frames;  // bounds the sizing pass as well

  // The core's view of the map.
  const std::vector<map::Region> normalized = map::NormalizedRegions(m);
  std::pmr::vector<RegionInfo> regions(normalized.size(), &arena);
  for (size_t i = 0; i < regions.size(); ++i) {  // field by field: no temporary to reload
    regions[i].base = normalized[i].base;
    regions[i].size = normalized[i].size;
    regions[i].kind = normalized[i].kind;
    regions[i].efi_attributes = normalized[i].efi_attributes;
  }
  std::string mtrr_error;
  if (!MtrrTypeRanges(m, &result.mtrr_types, &mtrr_error)) return bad(mtrr_error);
  std::pmr::vector<NamedRange> used(&arena);
  for (const map::UsedRange& u : m.used) used.push_back({u.base, u.size, u.name.c_str()});
  std::vector<RoleRange>& transition = result.transition;
  transition = layout.transition;
  if (!layout.has_transition) {  // default: the used ranges below 4 GiB
    constexpr uint64_t k4G = uint64_t{1} << 32;
    for (const map::UsedRange& u : m.used)
      if (u.base < k4G) transition.push_back({u.base, std::min(u.size, k4G - u.base), u.role});
  }

  PlanInput in = PlanInputFor(m, regions, used, windows, result, options.seed);

  std::pmr::vector<WindowPlacement> places(windows.size(), &arena);
  std::pmr::vector<Window> edited(&arena);  // the windows with those that cannot be placed left out
  StartWindowReports(windows, &result);
  const Result<size_t> planned = PlanLeavingOutUnplaceable(&in, &edited, &places, &result);
  for (size_t i = 0; i < windows.size(); ++i) {
    result.windows[i].empty = places[i].empty;
    result.windows[i].place = places[i];
  }
  if (!planned.ok()) {
    result.requests.clear();
    const Error& e = planned.error;
    if (e.status == Status::kInvalidMap || e.status == Status::kInvalidCpu)
      return bad(DescribeInputError(e, source, in));
    const std::string name = e.request < result.windows.size() ? "window '" + result.windows[e.request].name + "'" : "layout";
    result.bad_input = e.status == Status::kInvalidLayout;
    result.error = name + ": " + e.reason;
    return result;
  }
  result.requests.resize(planned.value);
  auto finish = [&] {  // built: the windows that could not be placed make it partial
    result.built = true;
    for (const WindowReport& w : result.windows)
      if (!w.error.empty()) result.error += (result.error.empty() ? "" : "; ") + w.error;
    result.ok = result.error.empty();
    return std::move(result);
  };
  if (options.plan_only) return finish();

  std::pmr::vector<PhysRange> exclude(&arena);
  const FramePolicy policy = FramesFor(m, regions, transition, options.frame_ceiling, exclude);
  PhysWindow window{mem,
                    [](void* c, uint64_t pa) {
                      return reinterpret_cast<uint64_t*>(static_cast<emu::PhysMem*>(c)->FrameForWrite(pa));
                    },
                    [](void* c, uint64_t pa) { return static_cast<emu::PhysMem*>(c)->InRange(pa); }};
  RecordingAllocator recorder{RegionFrameAllocator(policy, window), &result.table_frames,
                              options.max_table_frames};
  FrameAllocator allocator = recorder.Interface();

  std::pmr::vector<LeafCounts> per_window(windows.size(), &arena);
  BuildStats stats;
  stats.per_window = per_window.data();
  stats.window_count = uint32_t(per_window.size());
  stats.progress = options.progress;
  Result<BuildOutput> built =
      core::BuildTables(build, window, allocator, kNoRoot, result.requests.data(), result.requests.size(), &stats);
  for (size_t i = 0; i < per_window.size(); ++i) result.windows[i].counts = per_window[i];
  result.totals = stats.total;
  if (!built.ok()) {
    DescribeBuildError(built.error, options, source, in, recorder.over_limit, &result);
    return result;
  }
  result.root_pa = built.value.root_pa;
  result.output_map = OutputMap(normalized, result.table_frames);
  return finish();
}

}  // namespace bootmap::core::host
