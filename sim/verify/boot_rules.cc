#include "sim/verify/boot_rules.h"

#include <algorithm>

#include "sim/map/format.h"
#include "sim/verify/intervals.h"

namespace bootmap::verify {
namespace {

using map::Hex;

// Calls fn(run, lo, hi) for each part of [lo, hi) (virtual) that a run covers.
template <class Fn>
void ForRunsIn(const std::vector<Leaf>& runs, U128 lo, U128 hi, Fn&& fn) {
  auto it = std::upper_bound(runs.begin(), runs.end(), lo, [](U128 v, const Leaf& r) { return v < U128(r.va); });
  if (it != runs.begin()) --it;
  for (; it != runs.end() && U128(it->va) < hi; ++it) {
    const U128 a = std::max(lo, U128(it->va)), b = std::min(hi, U128(it->va) + it->size);
    if (a < b) fn(*it, a, b);
  }
}

std::string Span(U128 lo, U128 hi) { return Hex(uint64_t(lo)) + "-" + Hex(uint64_t(hi - 1)); }

bool RuntimeRegion(const map::Region& r) {
  return (r.efi_attributes & map::efi_attr::kRuntime) || r.kind == RegionKind::kRuntimeCode ||
         r.kind == RegionKind::kRuntimeData;
}

// UEFI 2.10 7.2.3: the cacheability attributes a region supports; UC is always safe.
bool TypeAllowed(MemType t, uint64_t attributes) {
  namespace a = map::efi_attr;
  switch (t) {
    case MemType::kUC:
    case MemType::kUCMinus: return true;
    case MemType::kWC: return attributes & a::kWC;
    case MemType::kWT: return attributes & a::kWT;
    case MemType::kWB: return attributes & a::kWB;
    case MemType::kWP: return attributes & a::kWP;
  }
  return false;
}

}  // namespace

void CheckTransitionRoles(const std::vector<Leaf>& runs, const std::vector<TransitionRange>& transition, bool nxe,
                          Findings* out) {
  for (const TransitionRange& t : transition) {
    if (t.size == 0) continue;
    const U128 lo = t.base / k4K * k4K, hi = (U128(t.base) + t.size + k4K - 1) / k4K * k4K;
    const bool code = t.role == RangeRole::kCode;
    ForRunsIn(runs, lo, hi, [&](const Leaf& r, U128 a, U128 b) {
      const bool ok = code ? r.exec && !r.writable : r.writable && (!r.exec || !nxe);
      if (ok) return;
      Finding f{Code::kTransitionPermissions, uint64_t(a), uint64_t(b - a), r.pa + uint64_t(a - r.va)};
      f.text = std::string(map::RangeRoleName(t.role)) + " transition range va " + Span(a, b) + " is mapped " +
               (r.writable ? "writable" : "read-only") + (r.exec ? " executable" : " NX") + "; " +
               (code ? "code must be read-execute" : "it must be writable and NX");
      out->Add(std::move(f));
    });
  }
}

void CheckEfiRuntime(const std::vector<Leaf>& runs, const std::vector<map::Region>& regions, uint8_t maxphyaddr,
                     Findings* out) {
  const U128 top = U128{1} << std::min<int>(maxphyaddr, 52);
  for (const map::Region& g : regions) {
    if (!RuntimeRegion(g) || g.base >= top) continue;
    const U128 lo = g.base, hi = std::min(g.end(), top);
    std::vector<Interval> identity;
    ForRunsIn(runs, lo, hi, [&](const Leaf& r, U128 a, U128 b) {
      if (r.pa != r.va) return;
      identity.push_back({a, b});
      if (TypeAllowed(r.type, g.efi_attributes)) return;
      Finding f{Code::kEfiRuntimeMemType, uint64_t(a), uint64_t(b - a), uint64_t(a)};
      f.text = "EFI runtime region pa " + Span(a, b) + " (" + std::string(map::RegionKindName(g.kind)) +
               ") is mapped " + std::string(map::MemTypeName(r.type)) + ", which its attributes do not allow";
      out->Add(std::move(f));
    });
    for (const Interval& x : Subtract({{lo, hi}}, Union(identity, {}))) {
      Finding f{Code::kEfiRuntimeUnmapped, uint64_t(x.lo), uint64_t(x.hi - x.lo), uint64_t(x.lo)};
      f.text = "EFI runtime region pa " + Span(x.lo, x.hi) + " (" + std::string(map::RegionKindName(g.kind)) +
               ") is not identity-mapped; runtime services would fault";
      out->Add(std::move(f));
    }
  }
}

void CheckRamReachable(const std::vector<Expected>& expected, const std::vector<map::Region>& regions,
                       uint8_t maxphyaddr, Findings* out) {
  const U128 top = U128{1} << std::min<int>(maxphyaddr, 52);
  std::vector<Interval> ram, mapped;
  for (const map::Region& g : regions)
    if (IsAllocatable(g.kind) && g.base < top) ram.push_back({g.base, std::min(g.end(), top)});
  for (const Expected& e : expected) mapped.push_back({e.pa, U128(e.pa) + e.size});
  const std::vector<Interval> missing = Subtract(Union(ram, {}), Union(std::move(mapped), {}));
  if (missing.empty()) return;
  Finding f{Code::kRamUnmapped, 0, 0, uint64_t(missing.front().lo)};
  f.text = map::HumanSize(Bytes(missing)) + " of allocatable RAM in " + std::to_string(missing.size()) +
           " ranges is mapped by no window (first pa " + Span(missing.front().lo, missing.front().hi) + ")";
  out->Add(std::move(f));
}

}  // namespace bootmap::verify
