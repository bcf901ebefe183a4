#include "sim/core/builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "sim/core/formats.h"
#include "sim/core/test_support.h"

namespace bootmap::core {
namespace {

using testing::Decode;
using testing::GreedyCount;
using testing::HostMemory;
using testing::Leaf;

constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
constexpr Paging kAllPaging[] = {Paging::kX86Level4, Paging::kX86Level5, Paging::kEptLevel4,
                                 Paging::kEptLevel5};

MapRequest Req(uint64_t va, uint64_t pa, uint64_t size, uint8_t max_level = kLevel1G) {
  MapRequest r;
  r.va = va;
  r.pa = pa;
  r.size = size;
  r.writable = true;
  r.nx = true;
  r.max_level = max_level;
  return r;
}

struct Built {
  Result<BuildOutput> result;
  std::vector<Leaf> leaves;
  BuildStats stats;
};

Built Build(HostMemory& mem, Paging p, std::vector<MapRequest> reqs, uint64_t root = kNoRoot,
            bool page1gb = true) {
  BuildOptions o;
  o.paging = p;
  o.page1gb = page1gb;
  PhysWindow w = mem.Window();
  FrameAllocator a = mem.Allocator();
  Built b;
  b.result = BuildTables(o, w, a, root, reqs.data(), reqs.size(), &b.stats);
  if (b.result.ok())
    Decode(mem, b.result.value.root_pa, PagingLevels(p) - 1, 0, IsEpt(p), PagingVaBits(p), &b.leaves);
  std::sort(b.leaves.begin(), b.leaves.end());
  return b;
}

// Every byte of every request translates as asked, and nothing else is mapped.
void ExpectExactly(const std::vector<Leaf>& leaves, const std::vector<MapRequest>& reqs) {
  uint64_t mapped = 0, requested = 0;
  for (const Leaf& l : leaves) {
    const uint64_t size = 1ull << (12 + 9 * l.level);
    mapped += size;
    bool inside = false;
    auto it = std::upper_bound(reqs.begin(), reqs.end(), l.va,
                               [](uint64_t va, const MapRequest& r) { return va < r.va; });
    for (auto r = reqs.begin(); r != it; ++r)  // requests starting at or below the leaf
      if (l.va - r->va <= r->size - size && r->size >= size)
        inside |= (l.pa == r->pa + (l.va - r->va));
    EXPECT_TRUE(inside) << std::hex << "leaf va 0x" << l.va << " pa 0x" << l.pa;
  }
  for (const MapRequest& r : reqs) requested += r.size;
  EXPECT_EQ(mapped, requested);
}

// The progress hook runs once per 2^16 leaves written, with the running count.
TEST(Builder, ProgressHookReportsLeavesWritten) {
  HostMemory mem;
  BuildOptions o;
  PhysWindow w = mem.Window();
  FrameAllocator a = mem.Allocator();
  std::vector<MapRequest> reqs = {Req(0, 0, uint64_t{1} << 30, kLevel4K)};  // 2^18 leaves
  std::vector<uint64_t> seen;
  BuildStats stats;
  stats.progress = {[](void* c, uint64_t n) { static_cast<std::vector<uint64_t>*>(c)->push_back(n); }, &seen};
  ASSERT_TRUE(BuildTables(o, w, a, kNoRoot, reqs.data(), reqs.size(), &stats).ok());
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_GE(seen[i], (i + 1) << kProgressShift);
    EXPECT_LT(seen[i], ((i + 1) << kProgressShift) + 512);  // at most one table's run past it
  }
  EXPECT_EQ(seen.back(), stats.total.leaves[0]);
}

// Leaves are the greedy largest aligned pages: the proven minimum, per format.
TEST(Builder, LeafCountsEqualGreedyMinimum) {
  const std::vector<MapRequest> cases = {
      Req(0, 0, 4 * kGiB),
      Req(0x1000, 0x1000, 3 * kGiB),
      Req(0xffff800000000000ull + 2 * kMiB, 6 * kGiB + 2 * kMiB, 5 * kGiB + 12 * kKiB),
      Req(0x40000000, 0x40201000, 2 * kGiB),  // va 1 GiB aligned, pa only 4 KiB
      Req(0x200000, 0x200000, 3 * kGiB, kLevel2M),
  };
  for (Paging p : kAllPaging) {
    for (MapRequest r : cases) {
      if (IsEpt(p) && r.va >> 47) continue;
      if (p == Paging::kX86Level5 && r.va >> 47) r.va |= 0xff00000000000000ull;
      HostMemory mem;
      Built b = Build(mem, p, {r});
      ASSERT_TRUE(b.result.ok()) << b.result.error.reason;
      uint64_t want[3] = {0, 0, 0}, got[3] = {0, 0, 0};
      GreedyCount(r.va, r.pa, r.size, r.max_level, want);
      for (const Leaf& l : b.leaves) ++got[l.level];
      for (int l = 0; l < 3; ++l) {
        EXPECT_EQ(got[l], want[l]) << "level " << l;
        EXPECT_EQ(b.stats.total.leaves[l], want[l]);
      }
      ExpectExactly(b.leaves, {r});
    }
  }
}

// Without CPU 1 GiB pages no 1 GiB leaf appears.
TEST(Builder, NoGigabyteLeavesWithoutCpuSupport) {
  HostMemory mem;
  Built b = Build(mem, Paging::kX86Level4, {Req(0, 0, 4 * kGiB)}, kNoRoot, /*page1gb=*/false);
  ASSERT_TRUE(b.result.ok());
  for (const Leaf& l : b.leaves) EXPECT_LT(l.level, 2);
  EXPECT_EQ(b.leaves.size(), 2048u);
}

// EPT without 2 MiB pages (IA32_VMX_EPT_VPID_CAP[16] clear) maps with 4 KiB leaves only.
TEST(Builder, OnlySmallLeavesWithoutEpt2MiBPages) {
  HostMemory mem;
  BuildOptions o;
  o.paging = Paging::kEptLevel4;
  o.page1gb = false;
  o.page2m = false;
  PhysWindow w = mem.Window();
  FrameAllocator a = mem.Allocator();
  const MapRequest r = Req(0, 0, 4 * kMiB);
  const Result<BuildOutput> built = BuildTables(o, w, a, kNoRoot, &r, 1);
  ASSERT_TRUE(built.ok());
  std::vector<Leaf> leaves;
  Decode(mem, built.value.root_pa, 3, 0, true, 48, &leaves);
  EXPECT_EQ(leaves.size(), 1024u);
  for (const Leaf& l : leaves) EXPECT_EQ(l.level, 0);
}

// The dry run's frame count is exactly what the build takes, for every format.
TEST(Builder, SizingEqualsUse) {
  std::mt19937_64 rng(7);
  for (Paging p : kAllPaging) {
    for (int trial = 0; trial < 12; ++trial) {
      std::vector<MapRequest> reqs;
      uint64_t va = (rng() % 64) * 4096;
      for (int i = 0; i < 12; ++i) {
        const uint8_t max_level = uint8_t(rng() % 3);
        const uint64_t gib = max_level > 0 && rng() % 3 == 0 ? (rng() % 4) * kGiB : 0;
        const uint64_t size = gib + (1 + rng() % 2048) * 4096;
        reqs.push_back(Req(va, va + ((rng() % 4) << 21), size, max_level));
        va += size + (rng() % 3) * (rng() % 2 ? 4096 : kGiB);
      }
      HostMemory mem;
      BuildOptions o;
      o.paging = p;
      PhysWindow w = mem.Window();
      Result<uint64_t> sized = SizeTables(o, w, kNoRoot, reqs.data(), reqs.size());
      ASSERT_TRUE(sized.ok()) << sized.error.reason;
      Built b = Build(mem, p, reqs);
      ASSERT_TRUE(b.result.ok()) << b.result.error.reason;
      EXPECT_EQ(b.result.value.frames, sized.value);
      EXPECT_EQ(mem.allocated(), sized.value);
      ExpectExactly(b.leaves, reqs);
    }
  }
}

// Mapping the same thing again, into the same tables, is a no-op.
TEST(Builder, SameMappingTwiceIsNoOp) {
  HostMemory mem;
  const std::vector<MapRequest> reqs = {Req(0, 0, 3 * kGiB + 20 * 4096)};
  Built first = Build(mem, Paging::kX86Level4, reqs);
  ASSERT_TRUE(first.result.ok());
  const auto before = mem.Snapshot();
  const uint64_t frames = mem.allocated();
  Built again = Build(mem, Paging::kX86Level4, reqs, first.result.value.root_pa);
  ASSERT_TRUE(again.result.ok());
  EXPECT_EQ(again.result.value.frames, 0u);
  EXPECT_EQ(mem.allocated(), frames);
  EXPECT_EQ(mem.Snapshot(), before);
}

// Overlapping requests that agree map once; the union gets the expected leaves.
TEST(Builder, IdenticalOverlapInOneBuild) {
  HostMemory mem;
  std::vector<MapRequest> reqs = {Req(0, 0, 2 * kGiB), Req(kGiB, kGiB, 2 * kGiB),
                                  Req(kGiB + 4096, kGiB + 4096, 4096)};
  Built b = Build(mem, Paging::kX86Level4, reqs);
  ASSERT_TRUE(b.result.ok()) << b.result.error.reason;
  EXPECT_EQ(b.leaves.size(), 3u);  // three 1 GiB leaves
  ExpectExactly(b.leaves, {Req(0, 0, 3 * kGiB)});
}

// A request that maps an address differently fails, naming both requests.
TEST(Builder, ConflictNamesBothRequests) {
  for (auto change : {0, 1, 2}) {
    HostMemory mem;
    MapRequest b = Req(kGiB + 8192, kGiB + 8192, 4096);
    if (change == 0) b.pa += 4096;
    if (change == 1) b.writable = false;
    if (change == 2) b.type = MemType::kUC;
    std::vector<MapRequest> reqs = {Req(0, 0, 2 * kGiB), b};
    Built r = Build(mem, Paging::kX86Level4, reqs);
    ASSERT_EQ(r.result.error.status, Status::kConflict);
    EXPECT_EQ(r.result.error.request, 1u);
    EXPECT_EQ(r.result.error.other, 0u);
    EXPECT_EQ(mem.allocated(), 0u) << "failure must leave nothing built";
  }
}

// A request conflicting with tables from an earlier build fails and changes nothing.
TEST(Builder, ConflictWithExistingTablesChangesNothing) {
  HostMemory mem;
  Built first = Build(mem, Paging::kX86Level4, {Req(0, 0, 4 * kMiB)});
  ASSERT_TRUE(first.result.ok());
  const auto before = mem.Snapshot();
  // Second build: a new range (would need tables) then a conflicting page.
  MapRequest bad = Req(8192, 0x900000, 4096);
  Built second = Build(mem, Paging::kX86Level4, {bad, Req(kGiB * 7, 0, 4096)},
                       first.result.value.root_pa);
  EXPECT_EQ(second.result.error.status, Status::kConflict);
  EXPECT_EQ(second.result.error.request, 0u);
  EXPECT_EQ(mem.Snapshot(), before);
}

// Too few frames: the build fails before writing anything (prepare, then commit).
TEST(Builder, ShortPoolFailsBeforeWriting) {
  HostMemory mem(0x100000, /*frame_limit=*/3);
  Built b = Build(mem, Paging::kX86Level4, {Req(0, 0, 4 * kMiB + 4096)});  // needs 4
  EXPECT_EQ(b.result.error.status, Status::kOutOfFrames);
  EXPECT_EQ(b.result.error.needed, 4u);
  EXPECT_EQ(mem.allocated(), 0u);
}

// Sizing stops as soon as the count passes max_frames: a 4 KiB identity map of 2^47
// bytes (2^26 page tables) is refused at once, not counted (found by differential_fuzzer).
TEST(Builder, SizingStopsAtFrameLimit) {
  HostMemory mem;
  BuildOptions o;
  o.max_frames = 1000;
  const std::vector<MapRequest> reqs = {Req(0, 0, uint64_t{1} << 47, kLevel4K)};
  const Result<uint64_t> sized = SizeTables(o, mem.Window(), kNoRoot, reqs.data(), reqs.size());
  EXPECT_EQ(sized.error.status, Status::kOutOfFrames);
  EXPECT_EQ(sized.error.needed, 1001u);
  FrameAllocator a = mem.Allocator();
  EXPECT_EQ(BuildTables(o, mem.Window(), a, kNoRoot, reqs.data(), reqs.size()).error.status, Status::kOutOfFrames);
  EXPECT_EQ(mem.allocated(), 0u);
  o.max_frames = 4;  // exactly enough for 4 MiB + 4 KiB: the limit is inclusive
  const std::vector<MapRequest> small = {Req(0, 0, 4 * kMiB + 4096)};
  EXPECT_EQ(SizeTables(o, mem.Window(), kNoRoot, small.data(), small.size()).value, 4u);
}

// Bad requests are rejected with the index and the reason.
TEST(Builder, InvalidRequests) {
  struct Case {
    std::vector<MapRequest> reqs;
    Paging p;
  };
  const Case cases[] = {
      {{Req(0x800, 0, 4096)}, Paging::kX86Level4},                         // misaligned
      {{Req(0, 0, 0)}, Paging::kX86Level4},                                // empty
      {{Req(0x0000800000000000ull, 0, 4096)}, Paging::kX86Level4},         // non-canonical
      {{Req(0x00007ffffffff000ull, 0, 8192)}, Paging::kX86Level4},         // crosses the hole
      {{Req(0x0001000000000000ull, 0, 4096)}, Paging::kEptLevel4},         // beyond 48 bits
      {{Req(0, 1ull << 52, 4096)}, Paging::kX86Level4},                    // beyond MAXPHYADDR
      {{Req(8192, 0, 4096), Req(0, 0, 4096)}, Paging::kX86Level4},         // unsorted
  };
  for (const Case& c : cases) {
    HostMemory mem;
    Built b = Build(mem, c.p, c.reqs);
    EXPECT_EQ(b.result.error.status, Status::kInvalidRequest) << c.reqs[0].va;
    EXPECT_EQ(mem.allocated(), 0u);
  }
}

// Leaf bits follow the SDM: R/W, U/S, XD, G and the PAT index; EPT R/W/X and type.
TEST(Builder, LeafAttributeBits) {
  for (bool w : {false, true})
    for (bool u : {false, true})
      for (bool nx : {false, true}) {
        HostMemory mem;
        MapRequest r = Req(0, 0, 4096);
        r.writable = w;
        r.user = u;
        r.nx = nx;
        r.global = true;
        r.type = MemType::kWC;
        Built b = Build(mem, Paging::kX86Level4, {r});
        ASSERT_EQ(b.leaves.size(), 1u);
        const uint64_t e = b.leaves[0].raw;
        EXPECT_EQ((e >> 1) & 1, uint64_t(w));
        EXPECT_EQ((e >> 2) & 1, uint64_t(u));
        EXPECT_EQ(e >> 63, uint64_t(nx));
        EXPECT_EQ((e >> 8) & 1, 1u);
        // PAT index 1 (WC in kPatMsr): PWT=1, PCD=0, PAT(bit 7)=0.
        EXPECT_EQ(e & 0x98, 0x08u);
        EXPECT_EQ((kPatMsr >> 8) & 7, uint64_t(MemType::kWC));

        HostMemory emem;
        Built eb = Build(emem, Paging::kEptLevel4, {r});
        ASSERT_EQ(eb.leaves.size(), 1u);
        const uint64_t ee = eb.leaves[0].raw;
        EXPECT_EQ(ee & 7, 1u | (w ? 2u : 0u) | (nx ? 0u : 4u));
        EXPECT_EQ((ee >> 3) & 7, uint64_t(MemType::kWC));
      }
}

// The bulk legacy case sizes in O(tables): 1 TiB of 4 KiB pages = 2^28 entries.
TEST(Builder, BulkLegacySizing) {
  HostMemory mem;
  BuildOptions o;
  MapRequest r = Req(0, 0, 1ull << 40, kLevel4K);
  PhysWindow w = mem.Window();
  BuildStats stats;
  Result<uint64_t> s = SizeTables(o, w, kNoRoot, &r, 1, &stats);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(stats.total.leaves[0], 1ull << 28);
  EXPECT_EQ(s.value, 1 + 2 + 1024 + (1ull << 19));  // PML4, 2 PDPTs, PDs, PTs
}

}  // namespace
}  // namespace bootmap::core
