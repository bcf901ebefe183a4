#include "sim/core/builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
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

// Frames come from the allocator poisoned (test_support.h): every entry of every table
// is a leaf or pointer the build wrote, or zero.
TEST(Builder, UnzeroedFramesHoldOnlyWrittenEntries) {
  for (Paging p : kAllPaging) {
    HostMemory mem;
    const std::vector<MapRequest> reqs = {Req(0x5000, 0x5000, 3 * 4096), Req(kGiB - 4096, kGiB - 4096, 8192),
                                          Req(512 * kGiB + 2 * kMiB, 4 * kMiB, 2 * kMiB)};
    Built b = Build(mem, p, reqs);
    ASSERT_TRUE(b.result.ok()) << b.result.error.reason;
    const LeafCounts& t = b.stats.total;
    uint64_t nonzero = 0;
    for (const auto& [frame, entries] : mem.Snapshot())
      for (uint64_t e : entries) nonzero += e != 0;
    EXPECT_EQ(nonzero, t.leaves[0] + t.leaves[1] + t.leaves[2] + t.tables - 1) << int(p);
    ExpectExactly(b.leaves, reqs);
  }
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

// ---- Validated options (SDM Vol. 3A 4.1.4) and PAs kept in the address field.

// MAXPHYADDR above 52 is refused with kInvalidCpu; 52 is fine.
TEST(Builder, MaxPhyAddrAbove52IsRefused) {
  for (uint8_t bits : {52, 53, 63, 64, 255}) {
    HostMemory mem;
    BuildOptions o;
    o.maxphyaddr = bits;
    const std::vector<MapRequest> reqs = {Req(0, 0, 4096)};
    FrameAllocator a = mem.Allocator();
    const Result<BuildOutput> r = BuildTables(o, mem.Window(), a, kNoRoot, reqs.data(), reqs.size());
    const Result<uint64_t> s = SizeTables(o, mem.Window(), kNoRoot, reqs.data(), reqs.size());
    if (bits == 52) {
      EXPECT_TRUE(r.ok());
      EXPECT_TRUE(s.ok());
    } else {
      EXPECT_EQ(r.error.status, Status::kInvalidCpu) << int(bits);
      EXPECT_EQ(s.error.status, Status::kInvalidCpu);
      EXPECT_EQ(r.error.needed, bits);
      EXPECT_EQ(mem.allocated(), 0u);
    }
  }
}

// The highest PA below 2^52 lands in bits 51:12 only; at 2^MAXPHYADDR it is an error.
TEST(Builder, PhysicalAddressStaysInAddressField) {
  for (Paging p : kAllPaging) {
    HostMemory mem;
    const uint64_t top = (uint64_t{1} << 52) - kGiB;
    Built b = Build(mem, p, {Req(0, top, kGiB), Req(kGiB, (uint64_t{1} << 52) - 4096, 4096)});
    ASSERT_TRUE(b.result.ok()) << b.result.error.reason;
    for (const Leaf& l : b.leaves) EXPECT_EQ(l.raw & 0x7ff0'0000'0000'0000ull, 0u) << std::hex << l.raw;
  }
  for (uint8_t bits : {36, 46, 52}) {
    HostMemory mem;
    BuildOptions o;
    o.maxphyaddr = bits;
    const std::vector<MapRequest> reqs = {Req(0, uint64_t{1} << bits, 4096)};
    const Result<uint64_t> s = SizeTables(o, mem.Window(), kNoRoot, reqs.data(), reqs.size());
    EXPECT_EQ(s.error.status, Status::kInvalidRequest) << int(bits);
    // A root at or above 2^MAXPHYADDR, or misaligned, is refused too.
    for (uint64_t root : {uint64_t{1} << bits, uint64_t{0x1800}})
      EXPECT_EQ(SizeTables(o, mem.Window(), root, nullptr, 0).error.status, Status::kInvalidRequest);
  }
}

// ---- Prepare-then-commit: every failure leaves existing tables byte-identical.

// The frames present before, with their contents (frames taken later are not compared).
std::map<uint64_t, std::vector<uint64_t>> Existing(HostMemory& mem, const std::map<uint64_t, std::vector<uint64_t>>& before) {
  std::map<uint64_t, std::vector<uint64_t>> now = mem.Snapshot(), kept;
  for (const auto& [k, v] : before) kept[k] = now[k];
  return kept;
}

// An allocator over HostMemory that promises everything and fails on frame `fail_at`.
struct FailingAllocator {
  HostMemory* mem;
  uint64_t fail_at;
  uint64_t calls = 0;
  FrameAllocator Interface() {
    FrameAllocator a;
    a.ctx = this;
    a.allocate = [](void* c, uint64_t* pa) {
      auto* self = static_cast<FailingAllocator*>(c);
      if (self->calls++ == self->fail_at) return false;
      FrameAllocator inner = self->mem->Allocator();
      return inner.allocate(inner.ctx, pa);
    };
    a.reserve = [](void*, uint64_t) { return true; };  // a lie
    return a;
  }
};

// A first build to extend, and a second batch that needs new tables at every level.
struct Extend {
  std::vector<MapRequest> second = {Req(8 * kMiB, 8 * kMiB, 4096), Req(kGiB * 7 + 4096, 0, 4096),
                                    Req(uint64_t{1} << 40, 0, 2 * kMiB), Req(0xffff800000000000ull, 0, 4096)};
};

// An allocator that fails on the k-th frame, for every k a build needs: the build fails
// (kOutOfFrames), and the tables it extends are byte-identical to before.
TEST(Builder, AllocatorFailingAtEveryFrameChangesNothing) {
  for (Paging p : {Paging::kX86Level4, Paging::kX86Level5}) {
    HostMemory probe;
    Built first = Build(probe, p, {Req(0, 0, 4 * kMiB)});
    ASSERT_TRUE(first.result.ok());
    const std::vector<MapRequest> second = Extend().second;
    const Result<uint64_t> need = SizeTables(BuildOptions{p}, probe.Window(), first.result.value.root_pa,
                                             second.data(), second.size());
    ASSERT_TRUE(need.ok());
    ASSERT_GE(need.value, 4u);
    for (uint64_t k = 0; k < need.value; ++k) {
      HostMemory mem;
      Built base = Build(mem, p, {Req(0, 0, 4 * kMiB)});
      const auto before = mem.Snapshot();
      FailingAllocator failing{&mem, k};
      FrameAllocator a = failing.Interface();
      BuildOptions o;
      o.paging = p;
      const Result<BuildOutput> r =
          BuildTables(o, mem.Window(), a, base.result.value.root_pa, second.data(), second.size());
      EXPECT_EQ(r.error.status, Status::kOutOfFrames) << "k=" << k;
      EXPECT_EQ(Existing(mem, before), before) << "k=" << k;
    }
    // And with one frame more than needed the same build succeeds.
    HostMemory mem;
    Built base = Build(mem, p, {Req(0, 0, 4 * kMiB)});
    FailingAllocator failing{&mem, need.value};
    FrameAllocator a = failing.Interface();
    BuildOptions o;
    o.paging = p;
    EXPECT_TRUE(BuildTables(o, mem.Window(), a, base.result.value.root_pa, second.data(), second.size()).ok());
  }
}

// HostMemory's window, except that frame `hole` cannot be reached (returns null).
struct HoleyWindow {
  HostMemory* mem;
  uint64_t hole;
  PhysWindow Window() {
    return PhysWindow{this, [](void* c, uint64_t pa) -> uint64_t* {
                        auto* self = static_cast<HoleyWindow*>(c);
                        return pa == self->hole ? nullptr : self->mem->Table(pa);
                      }};
  }
};

// A window that cannot reach one of the frames the allocator hands out, for each frame
// the build takes: kUnreachable naming it, existing tables byte-identical.
TEST(Builder, UnreachableAllocatedFrameChangesNothing) {
  const std::vector<MapRequest> second = Extend().second;
  for (uint64_t k = 0;; ++k) {
    ASSERT_LT(k, 16u) << "the build never succeeds";
    HostMemory mem;
    Built base = Build(mem, Paging::kX86Level4, {Req(0, 0, 4 * kMiB)});
    const auto before = mem.Snapshot();
    const uint64_t hole = 0x100000 + (mem.allocated() + k) * 4096;  // HostMemory hands out frames in order
    HoleyWindow holey{&mem, hole};
    FrameAllocator a = mem.Allocator();
    const Result<BuildOutput> r =
        BuildTables(BuildOptions{}, holey.Window(), a, base.result.value.root_pa, second.data(), second.size());
    if (r.ok()) {
      EXPECT_GE(k, 4u);  // past the last frame the build needs
      break;
    }
    EXPECT_EQ(r.error.status, Status::kUnreachable) << k;
    EXPECT_EQ(r.error.physical, hole);
    EXPECT_EQ(Existing(mem, before), before) << k;
  }
}

// A 4-level build whose page at 4 MiB sits below four tables: their addresses, root first.
std::vector<uint64_t> FourTablePath(HostMemory& mem) {
  Built base = Build(mem, Paging::kX86Level4, {Req(0, 0, 4 * kMiB + 4096)});
  EXPECT_TRUE(base.result.ok());
  std::vector<uint64_t> path = {base.result.value.root_pa};
  for (int slot : {0, 0, 2}) path.push_back(mem.Table(path.back())[slot] & 0x000f'ffff'ffff'f000ull);
  return path;
}

// Existing tables the window cannot reach (the root, or a table an entry points to) are
// found by the dry run: kUnreachable, nothing allocated, nothing written, never a null write.
TEST(Builder, UnreachableExistingTableIsAnError) {
  HostMemory mem;
  const std::vector<uint64_t> path = FourTablePath(mem);
  const uint64_t root = path[0];
  const auto before = mem.Snapshot();
  for (uint64_t hole : path) {
    HoleyWindow holey{&mem, hole};
    const std::vector<MapRequest> reqs = {Req(4 * kMiB + 8192, 0x900000, 4096)};
    FrameAllocator a = mem.Allocator();
    const uint64_t frames = mem.allocated();
    const Result<BuildOutput> r = BuildTables(BuildOptions{}, holey.Window(), a, root, reqs.data(), reqs.size());
    EXPECT_EQ(r.error.status, Status::kUnreachable) << std::hex << hole;
    EXPECT_EQ(r.error.physical, hole);
    EXPECT_EQ(mem.allocated(), frames);
    EXPECT_EQ(mem.Snapshot(), before);
  }
}

// A window that breaks its contract (reaches an existing table in the dry run, not in
// the commit) gets kUnreachable, never a write through null.
TEST(Builder, WindowChangingItsAnswerIsAnErrorNotACrash) {
  HostMemory mem;
  const std::vector<uint64_t> path = FourTablePath(mem);
  const uint64_t root = path[0], pdpt = path[1];
  struct Fickle {
    HostMemory* mem;
    uint64_t pa;
    int calls = 0;
  } fickle{&mem, pdpt};
  PhysWindow w{&fickle, [](void* c, uint64_t pa) -> uint64_t* {
                 auto* f = static_cast<Fickle*>(c);
                 if (pa == f->pa && f->calls++ > 0) return nullptr;
                 return f->mem->Table(pa);
               }};
  const std::vector<MapRequest> reqs = {Req(4 * kMiB + 8192, 0x900000, 4096)};
  FrameAllocator a = mem.Allocator();
  const Result<BuildOutput> r = BuildTables(BuildOptions{}, w, a, root, reqs.data(), reqs.size());
  EXPECT_EQ(r.error.status, Status::kUnreachable);
  EXPECT_EQ(r.error.physical, pdpt);
  EXPECT_EQ(fickle.calls, 2);
}

// ---- Extending existing tables: A/D, upper-level permissions, preset A/D.

// New leaves carry A and D by default (Linux's PAGE_KERNEL), none with the option off;
// EPT uses bits 8 and 9 (SDM Vol. 3A 4.8, Vol. 3C 29.3.5).
TEST(Builder, PresetAccessedDirty) {
  for (Paging p : kAllPaging) {
    for (bool preset : {false, true}) {
      HostMemory mem;
      BuildOptions o;
      o.paging = p;
      o.preset_accessed_dirty = preset;
      const std::vector<MapRequest> reqs = {Req(0, 0, kGiB + 2 * kMiB + 4096)};
      FrameAllocator a = mem.Allocator();
      const Result<BuildOutput> r = BuildTables(o, mem.Window(), a, kNoRoot, reqs.data(), reqs.size());
      ASSERT_TRUE(r.ok());
      std::vector<Leaf> leaves;
      Decode(mem, r.value.root_pa, PagingLevels(p) - 1, 0, IsEpt(p), PagingVaBits(p), &leaves);
      ASSERT_EQ(leaves.size(), 3u);
      const uint64_t ad = IsEpt(p) ? 0x300 : 0x60;
      for (const Leaf& l : leaves) EXPECT_EQ(l.raw & ad, preset ? ad : 0) << std::hex << l.raw;
    }
  }
}

// Accessed and Dirty set by a CPU (on leaves and tables) do not make the same mapping a
// conflict, in either direction of the preset option.
TEST(Builder, AccessedDirtyIgnoredWhenExtending) {
  for (Paging p : kAllPaging) {
    for (bool preset : {false, true}) {
      HostMemory mem;
      const std::vector<MapRequest> reqs = {Req(0, 0, kGiB + 2 * kMiB + 4096)};
      Built first = Build(mem, p, reqs);
      ASSERT_TRUE(first.result.ok());
      // Flip the A/D bits of every present entry, as a CPU (or no preset) would leave them.
      const uint64_t ad = IsEpt(p) ? 0x300 : 0x60;
      for (auto& [frame, entries] : mem.Snapshot())
        for (int i = 0; i < 512; ++i)
          if (entries[i] != 0) mem.Table(frame << 12)[i] ^= ad;
      const auto before = mem.Snapshot();
      BuildOptions o;
      o.paging = p;
      o.preset_accessed_dirty = preset;
      FrameAllocator a = mem.Allocator();
      const Result<BuildOutput> r = BuildTables(o, mem.Window(), a, first.result.value.root_pa, reqs.data(), reqs.size());
      ASSERT_TRUE(r.ok()) << r.error.reason;
      EXPECT_EQ(r.value.frames, 0u);
      // A 4 KiB page inside the existing 1 GiB leaf is covered by it: no-op too.
      const std::vector<MapRequest> inside = {Req(8192, 8192, 4096, kLevel4K)};
      const Result<BuildOutput> covered =
          BuildTables(o, mem.Window(), a, first.result.value.root_pa, inside.data(), inside.size());
      ASSERT_TRUE(covered.ok()) << covered.error.reason;
      EXPECT_EQ(mem.Snapshot(), before);
    }
  }
}

// An existing upper-level entry stricter than a new leaf (R/W clear for a writable leaf,
// U/S clear for a user leaf, XD set for an executable leaf; EPT W or X clear) is
// reported as kRestrictedPath, never widened; a leaf it allows goes in.
TEST(Builder, StricterUpperEntryIsReported) {
  struct Case {
    Paging p;
    uint64_t clear, set;  // applied to the existing root entry (PML4 or PML5)
    bool writable, user, nx;
  };
  const Case cases[] = {
      {Paging::kX86Level4, 0x2, 0, true, false, true},            // R/W
      {Paging::kX86Level4, 0x4, 0, false, true, true},            // U/S
      {Paging::kX86Level4, 0, uint64_t{1} << 63, false, false, false},  // XD
      {Paging::kEptLevel4, 0x2, 0, true, false, true},            // EPT write
      {Paging::kEptLevel4, 0x4, 0, false, false, false},          // EPT execute
  };
  for (Case c : cases) {
    for (bool five : {false, true}) {
      if (five) c.p = IsEpt(c.p) ? Paging::kEptLevel5 : Paging::kX86Level5;
      HostMemory mem;
      MapRequest ro = Req(0, 0, 4096);
      ro.writable = false;
      Built first = Build(mem, c.p, {ro});
      ASSERT_TRUE(first.result.ok());
      uint64_t* root = mem.Table(first.result.value.root_pa);
      root[0] = (root[0] & ~c.clear) | c.set;
      const auto before = mem.Snapshot();
      MapRequest want = Req(8192, 8192, 4096);
      want.writable = c.writable;
      want.user = c.user;
      want.nx = c.nx;
      Built second = Build(mem, c.p, {want}, first.result.value.root_pa);
      EXPECT_EQ(second.result.error.status, Status::kRestrictedPath) << c.clear << " " << c.set;
      EXPECT_EQ(second.result.error.address, 8192u);
      EXPECT_EQ(mem.Snapshot(), before);
      // What the entry allows still goes in.
      MapRequest allowed = Req(8192, 8192, 4096);
      allowed.writable = false;
      allowed.nx = true;
      Built third = Build(mem, c.p, {allowed}, first.result.value.root_pa);
      EXPECT_TRUE(third.result.ok()) << third.result.error.reason;
    }
  }
  // The same where a new 2 MiB leaf would go but an existing page table sits below a
  // read-only PD entry: reported before filling in below it.
  HostMemory mem;
  const std::vector<uint64_t> path = FourTablePath(mem);
  mem.Table(path[2])[2] &= ~uint64_t{2};  // PD entry over [4 MiB, 6 MiB): R/W clear
  const auto before = mem.Snapshot();
  Built below = Build(mem, Paging::kX86Level4, {Req(4 * kMiB, 4 * kMiB, 2 * kMiB, kLevel2M)}, path[0]);
  EXPECT_EQ(below.result.error.status, Status::kRestrictedPath);
  EXPECT_EQ(mem.Snapshot(), before);
}

}  // namespace
}  // namespace bootmap::core
