// The EPT walk on arbitrary bytes as EPT tables, with a fuzzed EPTP and VMX capabilities.
// Findings: a crash or hang; EnumerateEpt exceeding its budgets or reporting unsorted or
// overlapping runs; any guest-physical address where EptTranslate and EnumerateEpt
// disagree (mapped or not, hpa, page size, R/W/X/UX, memory type, IPAT); A/D updates
// changing what EnumerateEpt finds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/table_bytes.h"
#include "sim/emu/ept.h"

namespace {

using namespace bootmap;


const emu::EptRun* Find(const std::vector<emu::EptRun>& runs, uint64_t gpa) {
  size_t lo = 0, hi = runs.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (runs[mid].gpa + (runs[mid].size - 1) < gpa) lo = mid + 1;
    else hi = mid;
  }
  return lo < runs.size() && runs[lo].gpa <= gpa ? &runs[lo] : nullptr;
}

// EptTranslate and EnumerateEpt agree about gpa. `complete`: no shared subtable or
// self-reference was skipped, so the runs are everything.
void Check(emu::PhysMem& mem, const emu::EptState& s, const std::vector<emu::EptRun>& runs, bool complete,
           uint64_t gpa) {
  const emu::EptRun* run = Find(runs, gpa);
  if (run == nullptr) {
    if (!complete) return;
    for (emu::Access a : {emu::Access::kRead, emu::Access::kWrite, emu::Access::kFetch}) {
      const emu::EptTranslation t = emu::EptTranslate(mem, s, gpa, {.access = a});
      if (t.ok()) std::abort();  // a mapping EnumerateEpt missed
      if (t.step_count > 5) std::abort();
    }
    return;
  }
  // An access the leaf allows: read, else an execute of the kind it grants; a leaf whose
  // levels together grant nothing must refuse everything.
  emu::EptAccess access;
  if (run->r) access.access = emu::Access::kRead;
  else if (run->x || run->ux) access = {.access = emu::Access::kFetch, .user_linear = !run->x};
  else {
    if (run->w) std::abort();  // write without read is a misconfiguration, never a run
    for (emu::Access a : {emu::Access::kRead, emu::Access::kWrite, emu::Access::kFetch})
      if (emu::EptTranslate(mem, s, gpa, {.access = a}).ok()) std::abort();
    return;
  }
  const emu::EptTranslation t = emu::EptTranslate(mem, s, gpa, access);
  if (!t.ok() || t.hpa != run->hpa + (gpa - run->gpa) || t.page_size != run->page_size) std::abort();
  if (t.r != run->r || t.w != run->w || t.x != run->x || t.ux != run->ux || t.mem_type != run->mem_type ||
      t.ipat != run->ipat) {
    std::abort();
  }
}

bool SameRuns(const std::vector<emu::EptRun>& a, const std::vector<emu::EptRun>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const emu::EptRun &x = a[i], &y = b[i];
    if (x.gpa != y.gpa || x.size != y.size || x.hpa != y.hpa || x.page_size != y.page_size || x.r != y.r ||
        x.w != y.w || x.x != y.x || x.ux != y.ux || x.mem_type != y.mem_type || x.ipat != y.ipat) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  emu::EptState s;
  const uint32_t f = fdp.ConsumeIntegral<uint32_t>();
  auto bit = [f](int n) { return ((f >> n) & 1) != 0; };
  s.page1gb = !bit(0);
  s.five_level = !bit(1);
  s.execute_only = !bit(2);
  s.mode_based_exec = bit(3);
  const bool ad = bit(4);
  const bool follow_shared = bit(5);
  const bool raw_eptp_bits = bit(6) && bit(7);  // else a valid EPTP: WB, 4 or 5 levels
  const int levels = bit(8) ? 5 : 4;
  s.maxphyaddr = fdp.ConsumeIntegralInRange<uint8_t>(32, 52);
  const uint16_t root = fdp.ConsumeIntegral<uint16_t>();
  const uint16_t low = fdp.ConsumeIntegral<uint16_t>();
  emu::PhysMem mem(s.maxphyaddr);
  const fuzz::TableBytes tb = fuzz::DecodeTableBytes(fdp, &mem);
  const uint64_t root_pa = tb.base + (root % tb.frames) * emu::kFrameSize;
  s.eptp = raw_eptp_bits ? root_pa | (low & 0xfff) : emu::ept::MakeEptp(root_pa, levels, MemType::kWB, ad);

  const emu::EnumerateOptions budgets = fuzz::TableBudgets(follow_shared);
  const emu::EptEnumerateResult e = emu::EnumerateEpt(mem, s, budgets);
  fuzz::CheckWithinBudgets(e, budgets);
  if (emu::EptpProblem(s) != nullptr && e.ok) std::abort();  // an invalid EPTP is refused
  if (!e.ok) {
    if (e.error.empty()) std::abort();
    return 0;
  }
  for (size_t i = 0; i < e.runs.size(); ++i) {
    const emu::EptRun& r = e.runs[i];
    if (r.size == 0 || r.size % r.page_size != 0) std::abort();
    if (i > 0 && e.runs[i - 1].gpa + (e.runs[i - 1].size - 1) >= r.gpa) std::abort();
  }
  // Every path from the root is a distinct gpa: followed shared tables are enumerated too.
  const bool complete = follow_shared || (e.shared_tables == 0 && e.self_references == 0);
  fuzz::CheckRunBoundaries(
      e.runs, tb.probes, [](const emu::EptRun& r) { return r.gpa; },
      [&](uint64_t address) { Check(mem, s, e.runs, complete, address); });

  if (ad) {
    emu::EptState with_ad = s;
    with_ad.ad_updates = true;
    for (size_t i = 0; i < e.runs.size() && i < 16; ++i) {
      emu::EptTranslate(mem, with_ad, e.runs[i].gpa, {.access = emu::Access::kWrite});
      emu::EptTranslate(mem, with_ad, e.runs[i].gpa, {});
    }
    for (uint64_t gpa : tb.probes) emu::EptTranslate(mem, with_ad, gpa, {});
    const emu::EptEnumerateResult again = emu::EnumerateEpt(mem, s, budgets);
    if (!again.ok || !SameRuns(e.runs, again.runs)) std::abort();
  }
  return 0;
}
