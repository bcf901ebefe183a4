// A restricted check (bootmap verify --window/--va-range): the expectation and the leaf runs
// are cut to the chosen va spans and checked there; what lies outside is tallied per window
// and as unexpected mappings in Report::scope, never as violations of the chosen windows.
#include <algorithm>

#include "sim/verify/verifier.h"

namespace bootmap::verify::internal {
namespace {

// The parts of [lo, hi) inside the sorted, disjoint intervals `scope`.
std::vector<Interval> Inside(const std::vector<Interval>& scope, U128 lo, U128 hi) {
  const std::vector<Interval> one = {{lo, hi}};
  return Subtract(one, Subtract(one, scope));
}

// a ∩ b for sorted, disjoint interval lists.
std::vector<Interval> Intersect(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  return Subtract(a, Subtract(a, b));
}

// A piece or leaf run cut to [lo, hi): va and pa move together.
template <class T>
T Cut(T x, U128 lo, U128 hi) {
  x.pa += uint64_t(lo - U128(x.va));
  x.va = uint64_t(lo);
  if constexpr (requires { x.end; }) {
    x.end = hi;
  } else {
    x.size = uint64_t(hi - lo);
  }
  return x;
}

}  // namespace

// The va spans to check: each named window's span (lowest to highest expected byte) and the
// ranges given. A name the layout does not have is bad input.
bool Verifier::ScopeIntervals(std::vector<Interval>* out) {
  std::vector<Interval> all;
  for (const std::string& name : opt_.scope_windows) {
    auto it = std::find(in_.windows.begin(), in_.windows.end(), name);
    if (it == in_.windows.end()) {
      std::string names;
      for (const std::string& w : in_.windows) names += (names.empty() ? "" : ", ") + w;
      report_.error = "the layout has no window named '" + name + "' (windows: " + names + ")";
      return false;
    }
    const uint32_t w = uint32_t(it - in_.windows.begin());
    U128 lo = kInf, hi = 0;
    for (const Expected& e : expected_) {
      if (e.window != w || e.size == 0) continue;
      lo = std::min<U128>(lo, e.va);
      hi = std::max<U128>(hi, U128(e.va) + e.size);
    }
    if (lo < hi) {
      all.push_back({lo, hi});
    } else {  // a verdict over nothing says so
      report_.assumptions.push_back("window '" + name + "' selects nothing on this map: none of it was checked");
    }
  }
  for (const VaRange& r : opt_.scope_ranges) all.push_back({r.va, U128(r.va) + r.size});
  *out = Union(std::move(all), {});
  return true;
}

// Cuts pieces_, runs_ and expected_ to the scope; tallies what lies outside.
bool Verifier::ApplyScope() {
  if (opt_.scope_windows.empty() && opt_.scope_ranges.empty()) return true;
  if (!ScopeIntervals(&scope_)) return false;
  ScopeReport s;
  for (const Interval& x : scope_) s.checked.push_back({uint64_t(x.lo), uint64_t(x.hi - x.lo)});
  // The expectation: inside kept, outside per window.
  std::vector<Piece> inside;
  std::vector<std::vector<Interval>> outside_by_window(in_.windows.size() + 1);
  std::vector<Interval> outside_all;
  for (const Piece& p : pieces_) {
    for (const Interval& x : Inside(scope_, p.va, p.end)) inside.push_back(Cut(p, x.lo, x.hi));
    for (const Interval& x : Subtract({{p.va, p.end}}, scope_)) {
      outside_by_window[std::min<size_t>(p.window, in_.windows.size())].push_back(x);
      outside_all.push_back(x);
    }
  }
  pieces_ = std::move(inside);
  outside_all = Union(std::move(outside_all), {});
  std::vector<Expected> expected_inside;
  for (const Expected& e : expected_) {
    for (const Interval& x : Inside(scope_, e.va, U128(e.va) + e.size)) expected_inside.push_back(Cut(e, x.lo, x.hi));
  }
  expected_ = std::move(expected_inside);
  // The leaf runs: inside kept (leaves recounted: a page counts where it has a byte in scope).
  std::vector<Leaf> runs_inside;
  std::vector<Interval> mapped_outside;
  report_.leaves = {};
  for (const Leaf& r : runs_) {
    const U128 end = U128(r.va) + r.size;
    for (const Interval& x : Inside(scope_, r.va, end)) {
      runs_inside.push_back(Cut(r, x.lo, x.hi));
      const uint64_t first = uint64_t(x.lo - r.va) / r.page_size, last = uint64_t(x.hi - 1 - r.va) / r.page_size;
      report_.leaves[r.page_size == k1G ? 2 : r.page_size == k2M ? 1 : 0] += last - first + 1;
    }
    for (const Interval& x : Subtract({{r.va, end}}, scope_)) {
      mapped_outside.push_back(x);
      for (const Interval& u : Subtract({x}, outside_all)) {
        ++s.unexpected_ranges;
        s.unexpected_bytes += uint64_t(u.hi - u.lo);
        if (s.unexpected.size() < opt_.max_listed) {
          s.unexpected.push_back({uint64_t(u.lo), uint64_t(u.hi - u.lo)});
          s.unexpected_pa.push_back(r.pa + uint64_t(u.lo - r.va));
        }
      }
    }
  }
  runs_ = std::move(runs_inside);
  TallyOtherWindows(outside_by_window, Union(std::move(mapped_outside), {}), &s);
  report_.runs = runs_.size();
  report_.mapped_bytes = 0;
  for (const Leaf& r : runs_) report_.mapped_bytes += r.size;
  report_.expected_bytes = 0;
  for (const Piece& p : pieces_) report_.expected_bytes += uint64_t(p.end - p.va);
  s.not_checked = {"every RAM region mapped by some window (ram-unmapped)", "EFI runtime regions mapped",
                   "transition ranges kept across the switch", "table pages against the leaves' need"};
  report_.scope = std::move(s);
  return true;
}

void Verifier::TallyOtherWindows(std::vector<std::vector<Interval>>& outside_by_window,
                                 const std::vector<Interval>& mapped_outside, ScopeReport* s) {
  for (size_t w = 0; w < outside_by_window.size(); ++w) {
    if (outside_by_window[w].empty()) continue;
    const std::vector<Interval> expected = Union(std::move(outside_by_window[w]), {});
    ScopeReport::Other o;
    o.window = w < in_.windows.size() ? in_.windows[w] : "(unnamed)";
    o.expected_bytes = uint64_t(Bytes(expected));
    o.mapped_bytes = uint64_t(Bytes(Intersect(expected, mapped_outside)));
    s->other_windows.push_back(std::move(o));
  }
}

bool Verifier::InScope(uint64_t va) const {
  if (!report_.scope) return true;
  auto at = std::upper_bound(scope_.begin(), scope_.end(), U128(va), [](U128 v, const Interval& x) { return v < x.lo; });
  return at != scope_.begin() && (at - 1)->hi > va;
}

}  // namespace bootmap::verify::internal
