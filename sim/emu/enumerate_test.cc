#include "sim/emu/enumerate.h"

#include <gtest/gtest.h>

#include "sim/emu/table_builder.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;
constexpr uint64_t kRwx = kP | kRW | kUS;
constexpr uint64_t k4k = 4096, k2m = 2ull << 20, k1g = 1ull << 30;

struct Tree {
  PhysMem mem{52};
  TableBuilder tb{mem};
  CpuState cpu;
  Tree() { cpu.cr3 = tb.root(); }
  void Map4k(uint64_t va, uint64_t pa, uint64_t n, uint64_t flags = kRwx) {
    for (uint64_t i = 0; i < n; ++i) tb.Set(va + i * k4k, 1, (pa + i * k4k) | flags);
  }
  EnumerateResult Enum(EnumerateOptions o = {}) { return Enumerate(mem, cpu, o); }
};

// Contiguous leaves with equal attributes form one run; a gap, an attribute or a page-size change splits it.
TEST(Enumerate, CoalescesRuns) {
  Tree t;
  t.Map4k(0x10000000, 0x80000000, 600);                       // crosses a page-table boundary
  t.Map4k(0x10000000 + 601 * k4k, 0x80000000 + 601 * k4k, 3);  // after a one-page gap
  t.tb.Set(0x10000000 + 602 * k4k, 1, (0x80000000 + 602 * k4k) | kP | kUS);  // read-only in the middle
  t.tb.Set(0x40000000, 2, 0x1'0000'0000 | kRwx | kPS);
  t.tb.Set(0x40000000 + k2m, 2, (0x1'0000'0000 + k2m) | kRwx | kPS);
  EnumerateResult r = t.Enum();
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.runs.size(), 5u);
  EXPECT_EQ(r.runs[0].va, 0x10000000u);
  EXPECT_EQ(r.runs[0].size, 600 * k4k);
  EXPECT_EQ(r.runs[1].size, k4k);
  EXPECT_EQ(r.runs[2].size, k4k);
  EXPECT_FALSE(r.runs[2].writable);
  EXPECT_EQ(r.runs[3].size, k4k);
  EXPECT_EQ(r.runs[4].va, 0x40000000u);
  EXPECT_EQ(r.runs[4].size, 2 * k2m);
  EXPECT_EQ(r.runs[4].page_size, k2m);
  EXPECT_EQ(r.leaves[0], 603u);
  EXPECT_EQ(r.leaves[1], 2u);
  EXPECT_EQ(r.tables[4], 1u);
  EXPECT_EQ(r.tables[3], 1u);
  EXPECT_EQ(r.tables[2], 2u);
  EXPECT_EQ(r.tables[1], 2u);
}

// A hole between two 4 KiB leaves splits the run even when the second entry is the first plus 4 KiB.
TEST(Enumerate, HoleSplitsRunOnFastPath) {
  Tree t;
  t.tb.Set(0x0, 1, 0x9000 | kRwx);
  t.tb.Set(0x2000, 1, 0xA000 | kRwx);  // entry 2 == entry 0 + 4 KiB, entry 1 absent
  EnumerateResult r = t.Enum();
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[0].size, k4k);
  EXPECT_EQ(r.runs[1].va, 0x2000u);
  EXPECT_EQ(r.runs[1].pa, 0xA000u);
}

// Runs never merge across a page-size change, even when va and pa are contiguous.
TEST(Enumerate, PageSizeSplitsRuns) {
  Tree t;
  t.Map4k(k2m - k4k, k2m - k4k, 1);
  t.tb.Set(k2m, 2, k2m | kRwx | kPS);
  EnumerateResult r = t.Enum();
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[0].page_size, k4k);
  EXPECT_EQ(r.runs[1].page_size, k2m);
}

// Upper-half addresses come out canonical (sign-extended), after the lower half.
TEST(Enumerate, CanonicalUpperHalf) {
  Tree t;
  t.tb.Set(0xffff'8000'0000'0000ull, 3, k1g | kRwx | kPS);
  t.tb.Set(0x1000, 1, 0x1000 | kRwx);
  EnumerateResult r = t.Enum();
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[0].va, 0x1000u);
  EXPECT_EQ(r.runs[1].va, 0xffff'8000'0000'0000ull);
  EXPECT_EQ(r.leaves[2], 1u);
}

// Attributes combine across levels as in a translation.
TEST(Enumerate, CombinedAttributes) {
  Tree t;
  t.Map4k(0x200000, 0x200000, 1, kRwx | kG | kPCD);
  t.tb.Set(0x200000, 3, t.tb.Get(0x200000, 3) & ~kRW);
  t.tb.Set(0x200000, 2, t.tb.Get(0x200000, 2) | kXD);
  EnumerateResult r = t.Enum();
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_FALSE(r.runs[0].writable);
  EXPECT_TRUE(r.runs[0].user);
  EXPECT_TRUE(r.runs[0].nx);
  EXPECT_TRUE(r.runs[0].global);
  EXPECT_EQ(r.runs[0].pat_type, MemType::kUCMinus);
}

// An entry with reserved bits is reported and yields no run; a run stops where the next
// frame would cross MAXPHYADDR.
TEST(Enumerate, ReservedEntriesReported) {
  Tree t;
  t.Map4k(0x1000, 0x1000, 1);
  t.tb.Set(0x2000, 1, 0x2000 | kRwx | Bit(50));
  const uint64_t top = (uint64_t{1} << 46) - k4k;  // last frame below MAXPHYADDR 46
  t.tb.Set(0x10000, 1, top | kRwx);
  t.tb.Set(0x11000, 1, (top + k4k) | kRwx);
  EnumerateResult r = t.Enum();
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[1].size, k4k);
  EXPECT_EQ(r.reserved_entries, 2u);
  ASSERT_EQ(r.anomalies.size(), 2u);
  EXPECT_EQ(r.anomalies[0].kind, AnomalyKind::kReservedBits);
  EXPECT_EQ(r.anomalies[0].va, 0x2000u);
  EXPECT_EQ(r.anomalies[0].detail, Bit(50));
  EXPECT_EQ(r.anomalies[1].va, 0x11000u);
}

// A run of contiguous 4 KiB leaves that reaches MAXPHYADDR ends at its last frame below
// it; the entry past it has reserved bits (SDM Vol. 3A 4.5.4) and joins no run.
TEST(Enumerate, ContiguousRunStopsAtMaxPhyAddr) {
  Tree t;
  const uint64_t top = uint64_t{1} << 46;
  t.Map4k(0x100000, top - 3 * k4k, 4);  // the fourth frame is at 2^46
  EnumerateResult r = t.Enum();
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].size, 3 * k4k);
  EXPECT_EQ(r.leaves[0], 3u);
  EXPECT_EQ(r.reserved_entries, 1u);
}

// A recursive PML4 slot is reported as a self-reference and not walked; follow_shared walks it.
TEST(Enumerate, SelfReference) {
  Tree t;
  t.Map4k(0x1000, 0x5000, 1);
  t.mem.Write64(t.tb.root() + 8 * 511, t.tb.root() | kP | kRW);
  EnumerateResult r = t.Enum();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.self_references, 1u);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].kind, AnomalyKind::kSelfReference);
  EXPECT_EQ(r.anomalies[0].va, 0xffff'ff80'0000'0000ull);
  EnumerateOptions follow;
  follow.follow_shared = true;
  r = t.Enum(follow);
  ASSERT_TRUE(r.ok);
  ASSERT_GT(r.runs.size(), 1u);  // the tables themselves, mapped through the recursive slot
  const emu::Run& self = r.runs[1];
  EXPECT_EQ(self.va, 0xffff'ff80'0000'0000ull);
  Translation via = Translate(t.mem, t.cpu, self.va, {});
  ASSERT_TRUE(via.ok);
  EXPECT_EQ(via.pa, self.pa);  // the page table that maps va 0x1000
}

// A table referenced from two entries is reported once and walked once.
TEST(Enumerate, SharedSubtable) {
  Tree t;
  t.Map4k(0x0, 0x7000, 2);
  uint64_t pde = t.tb.Get(0x0, 2);
  t.tb.Set(k2m * 5, 2, pde);
  EnumerateResult r = t.Enum();
  EXPECT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.shared_tables, 1u);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].kind, AnomalyKind::kSharedTable);
  EXPECT_EQ(r.anomalies[0].va, k2m * 5);
  EXPECT_EQ(r.anomalies[0].detail, pde & kAddr);
  EnumerateOptions follow;
  follow.follow_shared = true;
  r = t.Enum(follow);
  EXPECT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.tables[1], 1u);  // one frame, walked twice, counted once
  EXPECT_EQ(r.leaves[0], 4u);  // its leaves at both addresses
}

// A tree whose every entry references the same tables would need 512^3 table visits:
// it is reported without re-walking, and with follow_shared the budget stops it with an error.
TEST(Enumerate, HostileTreeBudget) {
  PhysMem mem(52);
  uint64_t tables[4] = {0x1000, 0x2000, 0x3000, 0x4000};
  for (int l = 0; l < 3; ++l) {
    for (int i = 0; i < 512; ++i) mem.Write64(tables[l] + 8 * i, tables[l + 1] | kRwx);
  }
  for (int i = 0; i < 512; ++i) mem.Write64(tables[3] + 8 * i, (0x100000 + i * k4k) | kRwx);
  CpuState cpu;
  cpu.cr3 = tables[0];
  EnumerateResult r = Enumerate(mem, cpu);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.leaves[0], 512u);
  EXPECT_EQ(r.shared_tables, 3u * 511);
  EXPECT_EQ(r.anomalies.size(), 1024u);  // stored up to max_anomalies, all counted
  EXPECT_EQ(r.anomaly_count, 3u * 511);
  EnumerateOptions o;
  o.follow_shared = true;
  o.max_tables = 10000;
  r = Enumerate(mem, cpu, o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("table budget"), std::string::npos) << r.error;
  o.max_tables = 1u << 22;
  o.max_leaves = 100000;
  r = Enumerate(mem, cpu, o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("leaf budget"), std::string::npos) << r.error;
  EXPECT_EQ(r.leaves[0], 100000u);
}

// A table frame never written counts as a table with no present entries.
TEST(Enumerate, AbsentTableFrame) {
  Tree t;
  t.mem.Write64(t.tb.root(), 0x7770'0000 | kRwx);  // PDPT frame never written
  EnumerateResult r = t.Enum();
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.runs.empty());
  EXPECT_EQ(r.tables[3], 1u);
}

// The run budget bounds memory for trees whose leaves never coalesce.
TEST(Enumerate, RunBudget) {
  Tree t;
  for (int i = 0; i < 10; ++i) t.tb.Set(i * k4k, 1, (0x100000 + 2 * i * k4k) | kRwx);
  EnumerateOptions o;
  o.max_runs = 5;
  EnumerateResult r = t.Enum(o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("run budget"), std::string::npos);
  EXPECT_EQ(r.runs.size(), 5u);
}

// Only IA-32e paging is enumerated, and CR3 must be inside MAXPHYADDR.
TEST(Enumerate, RejectsOtherModes) {
  Tree t;
  t.cpu.cr4_pae = false;
  EXPECT_FALSE(t.Enum().ok);
  t.cpu.cr4_pae = true;
  t.cpu.cr3 = uint64_t{1} << 47;
  EXPECT_FALSE(t.Enum().ok);
}

}  // namespace
}  // namespace bootmap::emu
