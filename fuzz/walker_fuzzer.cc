// The IA-32e walk on arbitrary bytes as page tables, with fuzzed CR3/CR4/EFER/PAT state.
// Findings: a crash or hang; Enumerate exceeding its budgets or reporting runs that are
// unsorted, overlapping or non-canonical; any address where Translate (supervisor read)
// and Enumerate disagree (mapped or not, pa, page size, attributes); A/D updates by
// Translate changing what Enumerate finds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/table_bytes.h"
#include "sim/emu/enumerate.h"
#include "sim/emu/paging.h"

namespace {

using namespace bootmap;


emu::CpuState DecodeCpu(FuzzedDataProvider& fdp) {
  emu::CpuState cpu;
  const uint32_t f = fdp.ConsumeIntegral<uint32_t>();
  auto bit = [f](int n) { return ((f >> n) & 1) != 0; };
  // Mostly a valid long-mode state, so the walk itself gets fuzzed.
  cpu.cr0_pg = !bit(0) || !bit(1);
  cpu.cr4_pae = !bit(2) || !bit(3);
  cpu.efer_lme = !bit(4) || !bit(5);
  cpu.cr0_wp = bit(6);
  // bit 7 was CR4.PSE, which IA-32e paging ignores (SDM Vol. 3A 4.1.1): unused.
  cpu.cr4_pge = bit(8);
  cpu.cr4_la57 = bit(9);
  cpu.cr4_smep = bit(10);
  cpu.cr4_smap = bit(11);
  cpu.cr4_pke = bit(12);
  cpu.cr4_pks = bit(13);
  cpu.efer_nxe = bit(14);
  cpu.rflags_ac = bit(15);
  cpu.page1gb = !bit(16);
  if (bit(17)) cpu.pat = fdp.ConsumeIntegral<uint64_t>();
  if (bit(18)) {
    cpu.pkru = fdp.ConsumeIntegral<uint32_t>();
    cpu.pkrs = fdp.ConsumeIntegral<uint32_t>();
  }
  cpu.maxphyaddr = fdp.ConsumeIntegralInRange<uint8_t>(32, 52);
  cpu.cr3 = fdp.ConsumeIntegral<uint16_t>();  // frame index and PWT/PCD bits, placed below
  return cpu;
}

// The checks' CPU: the same tables with no protection feature that can deny a mapped read.
emu::CpuState Permissive(emu::CpuState cpu) {
  cpu.cr4_smap = cpu.cr4_smep = cpu.cr4_pke = cpu.cr4_pks = false;
  return cpu;
}

const emu::Run* Find(const std::vector<emu::Run>& runs, uint64_t va) {
  size_t lo = 0, hi = runs.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (runs[mid].va + (runs[mid].size - 1) < va) lo = mid + 1;
    else hi = mid;
  }
  return lo < runs.size() && runs[lo].va <= va ? &runs[lo] : nullptr;
}

// Translate and Enumerate agree about va.
// `complete`: no shared subtable or self-reference was skipped, so the runs are everything.
void Check(const emu::PhysMem& mem, const emu::CpuState& cpu, const std::vector<emu::Run>& runs, bool complete,
           uint64_t va) {
  const emu::Run* run = Find(runs, va);
  const emu::Translation t = emu::TranslateNoUpdate(mem, cpu, va, {});
  if (t.step_count > emu::PagingLevels(cpu)) std::abort();
  if (run == nullptr) {
    if (t.ok && complete) std::abort();  // a mapping Enumerate missed
    return;
  }
  // Protection features can only deny the read with a protection fault (P=1, RSVD=0).
  const emu::Translation p = t.ok ? t : emu::TranslateNoUpdate(mem, Permissive(cpu), va, {});
  if (!t.ok && (t.fault.vector != emu::kVectorPF || !(t.fault.error_code & emu::pf::kP) ||
                (t.fault.error_code & emu::pf::kRSVD))) {
    std::abort();
  }
  if (!p.ok || p.pa != run->pa + (va - run->va) || p.page_size != run->page_size) std::abort();
  if (p.writable != run->writable || p.user != run->user || p.nx != run->nx || p.global != run->global ||
      p.pat_type != run->pat_type) {
    std::abort();
  }
  if (t.ok && t.pkey != run->pkey) std::abort();
}

bool SameRuns(const std::vector<emu::Run>& a, const std::vector<emu::Run>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const emu::Run &x = a[i], &y = b[i];
    if (x.va != y.va || x.size != y.size || x.pa != y.pa || x.page_size != y.page_size ||
        x.writable != y.writable || x.user != y.user || x.nx != y.nx || x.global != y.global ||
        x.pat_type != y.pat_type || x.pkey != y.pkey) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  emu::CpuState cpu = DecodeCpu(fdp);
  const bool follow_shared = fdp.ConsumeBool();
  const bool ad_updates = fdp.ConsumeBool();
  emu::PhysMem mem(cpu.maxphyaddr);
  const fuzz::TableBytes tb = fuzz::DecodeTableBytes(fdp, &mem);
  const uint64_t cr3_bits = cpu.cr3;
  cpu.cr3 = tb.base + (cr3_bits % tb.frames) * emu::kFrameSize + ((cr3_bits >> 8) & 0x18);  // PWT, PCD

  const emu::EnumerateOptions budgets = fuzz::TableBudgets(follow_shared);
  const emu::EnumerateResult e = emu::Enumerate(mem, cpu, budgets);
  fuzz::CheckWithinBudgets(e, budgets);
  if (!e.ok) {
    if (e.error.empty()) std::abort();
    return 0;
  }
  for (size_t i = 0; i < e.runs.size(); ++i) {
    const emu::Run& r = e.runs[i];
    if (r.size == 0 || r.size % r.page_size != 0 || !emu::IsCanonical(r.va, cpu.cr4_la57)) std::abort();
    if (!emu::IsCanonical(r.va + (r.size - 1), cpu.cr4_la57)) std::abort();
    if (i > 0 && e.runs[i - 1].va + (e.runs[i - 1].size - 1) >= r.va) std::abort();
  }
  // Every path from the root is a distinct va, so followed shared subtables (and
  // self-references, one level lower each time) are enumerated like any other table.
  const bool complete = follow_shared || (e.shared_tables == 0 && e.self_references == 0);
  fuzz::CheckRunBoundaries(
      e.runs, tb.probes, [](const emu::Run& r) { return r.va; },
      [&](uint64_t address) { Check(mem, cpu, e.runs, complete, address); });

  if (ad_updates) {
    emu::CpuState ad = cpu;
    ad.ad_updates = true;
    for (size_t i = 0; i < e.runs.size() && i < 16; ++i) {
      emu::Translate(mem, ad, e.runs[i].va, {.access = emu::Access::kWrite});
      emu::Translate(mem, ad, e.runs[i].va, {});
    }
    for (uint64_t va : tb.probes) emu::Translate(mem, ad, va, {});
    const emu::EnumerateResult again = emu::Enumerate(mem, cpu, budgets);
    if (!again.ok || !SameRuns(e.runs, again.runs)) std::abort();
  }
  return 0;
}
