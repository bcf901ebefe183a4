// Seeded property test: on random table trees (with shared subtables, self-references,
// reserved bits and every attribute), Translate agrees with Enumerate at every run boundary
// and at random addresses.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "sim/emu/enumerate.h"
#include "sim/emu/ept.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/table_builder.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;

class RandomTree {
 public:
  // ept: EPT entries (R/W/X, memory type, IPAT) instead of IA-32e ones.
  RandomTree(uint32_t seed, int levels, bool ept = false) : rng_(seed), levels_(levels), ept_(ept) {
    root_ = tb_.root();
    by_level_.resize(6);
    Fill(root_, levels_, 0);
  }
  uint64_t root() const { return root_; }
  PhysMem& mem() { return mem_; }
  uint64_t Rand(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

 private:
  uint64_t NewTable() { return tb_.NewTable(); }
  uint64_t RandomEptFlags(bool leaf) {
    uint64_t f = Rand(10) < 7 ? ept::kR | ept::kW | ept::kX : Rand(8);  // sometimes W-only or X-only
    if (Rand(4) == 0) f |= ept::kA;
    if (Rand(6) == 0) f |= ept::kUX;
    if (leaf) {
      f |= (Rand(10) < 8 ? uint64_t{6} : Rand(8)) << 3;  // WB, or any type including invalid 2, 3, 7
      if (Rand(4) == 0) f |= ept::kIpat;
    }
    return f;
  }
  uint64_t RandomFlags(bool leaf, int level) {
    if (ept_) return RandomEptFlags(leaf);
    uint64_t f = kP;
    if (Rand(8) != 0) f |= kRW;
    if (Rand(4) != 0) f |= kUS;
    if (Rand(6) == 0) f |= kXD;
    if (Rand(5) == 0) f |= kPWT;
    if (Rand(5) == 0) f |= kPCD;
    if (Rand(4) == 0) f |= kA;
    if (leaf) {
      if (Rand(5) == 0) f |= level == 1 ? kPat4k : kPatLarge;
      if (Rand(3) == 0) f |= kG;
      if (Rand(3) == 0) f |= kD;
      f |= Rand(16) << kPkeyShift;
    }
    return f;
  }
  void Fill(uint64_t table, int level, int depth) {
    int segments = level == levels_ ? 3 : 1 + static_cast<int>(Rand(4));
    for (int s = 0; s < segments; ++s) {
      int start = static_cast<int>(Rand(512));
      uint64_t choice = Rand(10);
      bool can_leaf = level <= 3;
      if (level > 1 && (choice < 4 || !can_leaf)) {
        // Subtables: new ones, or (rarely) a table already used (shared) or an ancestor (self-reference).
        int n = 1 + static_cast<int>(Rand(level == levels_ ? 2 : 3));
        for (int i = start; i < std::min(512, start + n); ++i) {
          uint64_t child;
          uint64_t pick = Rand(20);
          if (pick == 0 && !by_level_[level - 1].empty()) {
            child = by_level_[level - 1][Rand(by_level_[level - 1].size())];
          } else if (pick == 1) {
            child = root_;
          } else if (tables_ < 120) {
            child = NewTable();
            ++tables_;
            by_level_[level - 1].push_back(child);
            Fill(child, level - 1, depth + 1);
          } else {
            continue;
          }
          mem_.Write64(table + 8 * i, child | RandomFlags(false, level));
        }
      } else if (can_leaf) {
        uint64_t size = PageSize(level);
        int n = 1 + static_cast<int>(Rand(level == 1 ? 200 : 8));
        uint64_t pa = (Rand(uint64_t{1} << 34) * kFrameSize) & ~(size - 1) & AddrMask(46);
        uint64_t flags = RandomFlags(true, level) | (level > 1 ? kPS : 0);
        for (int i = start; i < std::min(512, start + n); ++i) {
          uint64_t e = pa | flags;
          switch (Rand(40)) {
            case 0: e |= Bit(46 + static_cast<int>(Rand(6))); break;             // above MAXPHYADDR
            case 1: if (level > 1) e |= Bit(13); break;                           // large-page reserved
            case 2: e = RandomFlags(true, level) | (level > 1 ? kPS : 0) | pa; break;  // attribute change
            case 3: e &= ept_ ? ~uint64_t{7} : ~kP; break;                        // not present
            case 4: e = 0; pa -= size; break;  // a hole; the next entry is this one's pa + 0
            default: break;
          }
          mem_.Write64(table + 8 * i, e);
          pa += size;
          if (Rand(30) == 0) pa += size;  // a pa gap
        }
      }
    }
  }

  std::mt19937_64 rng_;
  int levels_;
  bool ept_;
  PhysMem mem_{52};
  TableBuilder tb_{mem_, levels_, uint64_t{1} << 40};  // tables out of the way of random leaf addresses
  uint64_t root_ = 0;
  int tables_ = 0;
  std::vector<std::vector<uint64_t>> by_level_;
};

void ExpectMatch(const Translation& t, const emu::Run& run, uint64_t va, uint32_t seed) {
  ASSERT_TRUE(t.ok) << "seed " << seed << " va " << std::hex << va;
  EXPECT_EQ(t.pa, run.pa + (va - run.va)) << "seed " << seed << " va " << std::hex << va;
  EXPECT_EQ(t.page_size, run.page_size);
  EXPECT_EQ(t.writable, run.writable);
  EXPECT_EQ(t.user, run.user);
  EXPECT_EQ(t.nx, run.nx);
  EXPECT_EQ(t.global, run.global);
  EXPECT_EQ(t.pat_type, run.pat_type);
  EXPECT_EQ(t.pkey, run.pkey);
}

// Checks va against the runs: inside one it translates exactly as the run says; outside all it faults.
void Check(const PhysMem& mem, const CpuState& cpu, const std::vector<emu::Run>& runs, uint64_t va, uint32_t seed) {
  Translation t = TranslateNoUpdate(mem, cpu, va, {});
  auto it = std::upper_bound(runs.begin(), runs.end(), va, [](uint64_t v, const emu::Run& r) { return v < r.va; });
  if (it != runs.begin() && va - std::prev(it)->va < std::prev(it)->size) {
    ExpectMatch(t, *std::prev(it), va, seed);
  } else {
    EXPECT_FALSE(t.ok) << "seed " << seed << " va " << std::hex << va << " translates but is in no run";
    EXPECT_EQ(t.fault.vector, IsCanonical(va, cpu.cr4_la57) ? kVectorPF : kVectorGP);
  }
}

// Translate agrees with Enumerate (follow_shared) at first byte, last byte, one before and one past each run.
TEST(Property, TranslateAgreesWithEnumerate) {
  int total_runs = 0, total_anomalies = 0;
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    int levels = seed % 4 == 0 ? 5 : 4;
    RandomTree tree(seed, levels);
    CpuState cpu;
    cpu.cr3 = tree.root();
    cpu.cr4_la57 = levels == 5;
    cpu.cr4_pke = seed % 2 == 0;
    cpu.cr4_pge = seed % 3 != 0;
    cpu.efer_nxe = seed % 5 != 0;
    cpu.page1gb = seed % 7 != 0;
    cpu.pat = MakePat({MemType::kWB, MemType::kWT, MemType::kUCMinus, MemType::kUC, MemType::kWC, MemType::kWP,
                       MemType::kUC, MemType::kWB});
    EnumerateOptions o;
    o.follow_shared = true;
    o.max_tables = 200000;
    EnumerateResult r = Enumerate(tree.mem(), cpu, o);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.error;
    total_runs += static_cast<int>(r.runs.size());
    total_anomalies += static_cast<int>(r.anomaly_count);
    for (size_t i = 0; i < r.runs.size(); ++i) {
      const emu::Run& run = r.runs[i];
      if (i > 0) {
        ASSERT_LT(r.runs[i - 1].va, run.va) << "runs sorted";
      }
      Check(tree.mem(), cpu, r.runs, run.va, seed);
      Check(tree.mem(), cpu, r.runs, run.va + run.size - 1, seed);
      Check(tree.mem(), cpu, r.runs, run.va + run.size, seed);
      Check(tree.mem(), cpu, r.runs, run.va - 1, seed);
    }
    for (int i = 0; i < 2000; ++i) {
      uint64_t va;
      if (i % 2 == 0 && !r.runs.empty()) {  // near mapped space
        const emu::Run& run = r.runs[tree.Rand(r.runs.size())];
        va = run.va + tree.Rand(run.size * 2);
      } else {
        va = bits::SignExtend(tree.Rand(uint64_t{1} << (levels == 5 ? 57 : 48)), levels == 5 ? 56 : 47);
        if (i % 10 == 1) va ^= Bit(60);  // non-canonical
      }
      Check(tree.mem(), cpu, r.runs, va, seed);
    }
  }
  EXPECT_GT(total_runs, 1000);  // the generator produced something worth checking
  EXPECT_GT(total_anomalies, 10);
}

// EPT: every run's first byte, last byte and one past agree with EptTranslate for reads, writes
// and fetches (allowed exactly as the run's R/W/X say, same host address, type and IPAT).
TEST(Property, EptTranslateAgreesWithEnumerateEpt) {
  int total_runs = 0;
  for (uint32_t seed = 100; seed < 112; ++seed) {
    int levels = seed % 3 == 0 ? 5 : 4;
    RandomTree tree(seed, levels, /*ept=*/true);
    EptState s;
    s.eptp = ept::MakeEptp(tree.root(), levels);
    s.execute_only = seed % 2 == 0;
    s.page1gb = seed % 5 != 0;
    EnumerateOptions o;
    o.follow_shared = true;
    o.max_tables = 200000;
    EptEnumerateResult r = EnumerateEpt(tree.mem(), s, o);
    ASSERT_TRUE(r.ok) << r.error;
    total_runs += static_cast<int>(r.runs.size());
    auto check = [&](uint64_t gpa) {
      auto it = std::upper_bound(r.runs.begin(), r.runs.end(), gpa,
                                 [](uint64_t v, const EptRun& run) { return v < run.gpa; });
      const EptRun* run = nullptr;
      if (it != r.runs.begin() && gpa - std::prev(it)->gpa < std::prev(it)->size) run = &*std::prev(it);
      for (Access a : {Access::kRead, Access::kWrite, Access::kFetch}) {
        EptTranslation t = EptTranslate(tree.mem(), s, gpa, {a});
        bool allowed = run != nullptr && (a == Access::kRead ? run->r : a == Access::kWrite ? run->w : run->x);
        ASSERT_EQ(t.ok(), allowed) << "seed " << seed << " gpa " << std::hex << gpa << " access " << int(a) << " outcome " << int(t.outcome) << " " << t.problem;
        if (run == nullptr) continue;
        EXPECT_NE(t.outcome, EptOutcome::kMisconfig) << "seed " << seed << " gpa " << std::hex << gpa;
        if (allowed) {
          EXPECT_EQ(t.hpa, run->hpa + (gpa - run->gpa));
          EXPECT_EQ(t.page_size, run->page_size);
          EXPECT_EQ(t.mem_type, run->mem_type);
          EXPECT_EQ(t.ipat, run->ipat);
        }
      }
    };
    for (const EptRun& run : r.runs) {
      check(run.gpa);
      check(run.gpa + run.size - 1);
      check(run.gpa + run.size);
    }
    for (int i = 0; i < 500; ++i) check(tree.Rand(uint64_t{1} << (levels == 5 ? 57 : 48)));
  }
  EXPECT_GT(total_runs, 500);
}

}  // namespace
}  // namespace bootmap::emu
