// The proven minimum: the fewest leaves and tables that translate as specified
// (sim/verify/README.md, "The minimum"), and the leaves and tables found against it.
#include <algorithm>
#include <array>

#include "sim/verify/verifier.h"

namespace bootmap::verify::internal {
namespace {

// Tables needed above leaves: PTs over 4 KiB leaves, PDs over 4 KiB and 2 MiB leaves,
// PDPTs over all, PML4s (5-level) over all, plus the root.
uint64_t TablesFor(const std::vector<Interval>& l4k, const std::vector<Interval>& l2m_or_less,
                   const std::vector<Interval>& all, int levels) {
  if (all.empty()) return 1;
  uint64_t n = 1 + BlocksTouched(l4k, 21) + BlocksTouched(l2m_or_less, 30) + BlocksTouched(all, 39);
  if (levels == 5) n += BlocksTouched(all, 48);
  return n;
}

// Physical addresses no large page may cross, for uncached and for cacheable mappings.
struct LargePageSplits {
  const std::vector<uint64_t>& uncached;
  std::vector<uint64_t> cached;
};

// Adds the aligned blocks of `size` inside [lo, hi) (va, one mapping like `key`) that cross
// no split (compared in physical space: a split beyond the pa end can wrap to a small va).
void AddAllowedBlocks(U128 lo, U128 hi, const Piece& key, uint64_t size, const LargePageSplits& splits,
                      std::vector<Interval>* out) {
  const uint64_t off = key.offset();
  const std::vector<uint64_t>& cuts = Cacheable(UcMinusAsUc(key.type)) ? splits.cached : splits.uncached;
  if (off % size != 0) return;
  std::vector<std::pair<U128, U128>> parts;
  U128 from = lo;
  if (size > k4K) {
    const uint64_t pa_lo = uint64_t(lo + off);
    const U128 pa_hi = U128(pa_lo) + (hi - lo);
    auto it = std::upper_bound(cuts.begin(), cuts.end(), pa_lo);
    for (; it != cuts.end() && U128(*it) < pa_hi; ++it) {
      parts.push_back({from, lo + (*it - pa_lo)});
      from = lo + (*it - pa_lo);
    }
  }
  parts.push_back({from, hi});
  for (auto [x, y] : parts) {
    const U128 bl = (x + size - 1) / size * size, bh = y / size * size;
    if (bl < bh) out->push_back({bl, bh});
  }
}

// The va ranges one page of `size` may cover: runs of adjacent pieces that map alike, each
// capped at `size` or more, cut at the splits and rounded inward to `size`.
std::vector<Interval> AllowedBlocks(const std::vector<Piece>& pieces, uint64_t size, const LargePageSplits& splits) {
  std::vector<Interval> allowed;
  bool open = false;
  U128 a = 0, b = 0;
  const Piece* key = nullptr;
  for (const Piece& p : pieces) {
    const bool ok = p.max_page >= size;
    if (open && ok && U128(p.va) == b && key->SameMapping(p)) {
      b = p.end;
      continue;
    }
    if (open) AddAllowedBlocks(a, b, *key, size, splits, &allowed);
    open = ok;
    a = p.va;
    b = p.end;
    key = &p;
  }
  if (open) AddAllowedBlocks(a, b, *key, size, splits, &allowed);
  return allowed;
}

}  // namespace

void Verifier::CheckOptimality() {
  CountMinimum();
  CountNeededTables();
  ReportMinimality();
}

// Greedy largest aligned pages are optimal: aligned blocks form a laminar family and
// "allowed" (inside one mapping, under every cap, no type change inside) is inherited by
// sub-blocks, so the maximal allowed blocks are the fewest leaves.
void Verifier::CountMinimum() {
  // Leaf sizes the CPU has: EPT's are IA32_VMX_EPT_VPID_CAP bits 16/17 (SDM Vol. 3D A.10),
  // IA-32e's 1 GiB pages CPUID.80000001H:EDX[26]; without 2 MiB leaves no 1 GiB either here.
  const bool page2m = !ept_ || in_.ept.page2m;
  const bool page1gb = page2m && (ept_ ? in_.ept.page1gb : in_.cpu.page1gb);
  // A lower bound for any tables that translate as specified without undefined behaviour:
  // no large page across an MTRR type change (SDM Vol. 3A 12.11.9), nor a cacheable one into
  // the write-combining framebuffer. Region kinds under one requested type do not split:
  // spanning them is the layout's choice, reported as large-page-spans-types.
  LargePageSplits splits{mtrr_changes_, mtrr_changes_};
  if (in_.map.framebuffer) {
    splits.cached.insert(splits.cached.end(),
                         {in_.map.framebuffer->base, in_.map.framebuffer->base + in_.map.framebuffer->size});
  }
  std::sort(splits.cached.begin(), splits.cached.end());
  splits.cached.erase(std::unique(splits.cached.begin(), splits.cached.end()), splits.cached.end());
  const std::array<std::vector<Interval>, 3> allowed = {
      AllowedBlocks(pieces_, k4K, splits), page2m ? AllowedBlocks(pieces_, k2M, splits) : std::vector<Interval>{},
      page1gb ? AllowedBlocks(pieces_, k1G, splits) : std::vector<Interval>{}};
  const uint64_t n4k = uint64_t(Bytes(allowed[0]) / k4K), n2m = uint64_t(Bytes(allowed[1]) / k2M),
                 n1g = uint64_t(Bytes(allowed[2]) / k1G);
  report_.minimal_leaves = {n4k - 512 * n2m, n2m - 512 * n1g, n1g};
  const std::vector<Interval> below_1g = Subtract(allowed[0], allowed[2]);
  const std::vector<Interval> leaf4k = Subtract(allowed[0], allowed[1]);
  report_.minimal_table_pages = TablesFor(leaf4k, below_1g, allowed[0], Levels(in_.format));
}

// The tables the leaves present need, whatever they map.
void Verifier::CountNeededTables() {
  std::vector<Interval> r4k, r2m, rall;
  for (const Leaf& r : runs_) {
    const Interval x{r.va, U128(r.va) + r.size};
    if (r.page_size == k4K) r4k.push_back(x);
    if (r.page_size <= k2M) r2m.push_back(x);
    rall.push_back(x);
  }
  report_.needed_table_pages = TablesFor(r4k, r2m, rall, Levels(in_.format));
}

void Verifier::ReportMinimality() {
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
      std::none_of(findings_.list().begin(), findings_.list().end(),
                   [](const Finding& f) { return f.code == Code::kUnexpected; })) {
    Finding f = Finding::Mismatch(Code::kLeavesNotMinimal, 0, 0, 0, minimal, found);
    f.text = std::to_string(found) + " leaves (4K " + std::to_string(report_.leaves[0]) + ", 2M " +
             std::to_string(report_.leaves[1]) + ", 1G " + std::to_string(report_.leaves[2]) + "), minimum " +
             std::to_string(minimal) + " (4K " + std::to_string(report_.minimal_leaves[0]) + ", 2M " +
             std::to_string(report_.minimal_leaves[1]) + ", 1G " + std::to_string(report_.minimal_leaves[2]) +
             "): gap " + std::to_string(found - minimal);
    findings_.Add(std::move(f));
  }
  if (report_.table_pages > report_.needed_table_pages && !report_.scope) {
    Finding f{Code::kTablesNotMinimal};
    f.text = std::to_string(report_.table_pages) + " table frames reached, the leaves present need " +
             std::to_string(report_.needed_table_pages) + " (minimum for the expectation " +
             std::to_string(report_.minimal_table_pages) + ")";
    findings_.Add(std::move(f));
  }
}

}  // namespace bootmap::verify::internal
