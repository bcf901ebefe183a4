// Mutation tests: correct tables broken in exactly one way report exactly one code.
// A verifier that misses a planted fault is the worst bug this project can have.
#include <gtest/gtest.h>

#include <map>

#include "sim/verify/test_world.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {
namespace {

using testing::kDirect;
using testing::kFirstFrame;
using testing::kGiB;
using testing::kKernel;
using testing::kMiB;
using testing::World;
namespace x = emu::ia32e;

std::map<std::string_view, uint64_t> Codes(const Report& r) {
  std::map<std::string_view, uint64_t> m;
  for (int c = 0; c < kCodeCount; ++c)
    if (r.by_code[c]) m[CodeName(Code(c))] = r.by_code[c];
  return m;
}
std::string Dump(const Report& r) {
  std::string s = r.error + "\n";
  for (const Violation& v : r.violations) s += std::string(CodeName(v.code)) + ": " + v.message + "\n";
  return s;
}
// Exactly `code`, `count` times (the first listed has va/pa as given when nonzero).
void ExpectOnly(const Report& r, Code code, uint64_t count = 1) {
  EXPECT_EQ(Codes(r), (std::map<std::string_view, uint64_t>{{CodeName(code), count}})) << Dump(r);
  EXPECT_FALSE(r.verified);
  ASSERT_FALSE(r.violations.empty());
  EXPECT_EQ(r.violations[0].code, code);
  EXPECT_FALSE(r.violations[0].message.empty());
}

World Built(Format f = Format::kIa32e4) {
  World w(f);
  w.Build();
  return w;
}

// Moves the table holding the entry for va at `level` to `frame` (contents copied, parent repointed).
void MoveTable(World& w, uint64_t va, int level, uint64_t frame) {
  const uint64_t parent = w.EntryPa(va, level + 1);
  const uint64_t old = w.mem().Read64(parent) & x::kAddr;
  for (int i = 0; i < 512; ++i) w.mem().Write64(frame + 8 * i, w.mem().Read64(old + 8 * i));
  w.mem().Write64(parent, (w.mem().Read64(parent) & ~x::kAddr) | frame);
}

constexpr uint64_t kLowPte = kDirect + 0x150000;  // a 4 KiB leaf of the direct map (pa 0x150000)
constexpr uint64_t kRodata = kKernel + 4 * kMiB;   // read-only, no-execute 4 KiB leaves

// Clearing a present bit: the byte range is unmapped.
TEST(Mutation, ClearPresentIsUnmapped) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) & ~x::kP);
  Report r = w.Check();
  ExpectOnly(r, Code::kUnmapped);
  EXPECT_EQ(r.violations[0].va, kLowPte);
  EXPECT_EQ(r.violations[0].pa, 0x150000u);
}

// Flipping a physical-address bit: wrong-pa (the frame stays in usable RAM).
TEST(Mutation, FlipPaBitIsWrongPa) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) ^ (uint64_t{1} << 12));
  Report r = w.Check();
  ExpectOnly(r, Code::kWrongPa);
  EXPECT_EQ(r.violations[0].pa, 0x151000u);
  EXPECT_NE(r.violations[0].message.find("maps pa 0x151000 instead of 0x150000"), std::string::npos);
}

// A leaf where no window asked for one: unexpected-mapping (extra leaves are not also a gap).
TEST(Mutation, ExtraLeafIsUnexpected) {
  World w = Built();
  w.Set(kDirect + 0xa0000, 1, x::kP | x::kRW | x::kXD | 0x300000);
  ExpectOnly(w.Check(), Code::kUnexpected);
}

// Setting R/W on a read-only leaf: wrong-writable.
TEST(Mutation, SetWritable) {
  World w = Built();
  w.Set(kRodata, 1, w.Get(kRodata, 1) | x::kRW);
  ExpectOnly(w.Check(), Code::kWrongWritable);
}

// Setting U/S on a supervisor leaf: wrong-user.
TEST(Mutation, SetUser) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) | x::kUS);
  ExpectOnly(w.Check(), Code::kWrongUser);
}

// Removing NX from a read-only leaf: wrong-exec.
TEST(Mutation, RemoveNx) {
  World w = Built();
  w.Set(kRodata, 1, w.Get(kRodata, 1) & ~x::kXD);
  ExpectOnly(w.Check(), Code::kWrongExec);
}

// Removing NX from a writable leaf: wrong-exec and write-exec (two faults at once).
TEST(Mutation, RemoveNxFromWritableIsAlsoWx) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) & ~x::kXD);
  auto codes = Codes(w.Check());
  EXPECT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes["wrong-exec"], 1u);
  EXPECT_EQ(codes["write-exec"], 1u);
}

// Without NX (EFER.NXE clear) every page is executable: writable pages are not write-exec,
// since no layout could avoid it (found by build_verify_fuzzer on a CPU without NX).
TEST(Mutation, NoWriteExecWithoutNx) {
  World w;
  for (Expected& e : w.in.expected) e.nx = false;
  w.in.map.cpu.nx = false;
  w.Build();
  w.in.cpu.efer_nxe = false;
  Report r = w.Check();
  EXPECT_EQ(r.by_code[static_cast<int>(Code::kWriteExec)], 0u) << Dump(r);
}

// A window that asks for writable+executable gets exactly write-exec, even when obeyed.
TEST(Mutation, RequestedWxIsReported) {
  World w;
  w.in.expected.push_back(testing::Map(kKernel + 8 * kMiB, 10 * kMiB, 0x1000, true, false, MemType::kWB, kGiB, 3));
  w.Build();
  ExpectOnly(w.Check(), Code::kWriteExec);
}

// Changing PAT bits (PCD: WB -> UC): wrong-memtype.
TEST(Mutation, ChangePatBits) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) | x::kPCD | x::kPWT);
  Report r = w.Check();
  ExpectOnly(r, Code::kWrongMemType);
  EXPECT_NE(r.violations[0].message.find("effective type UC, expected WB"), std::string::npos) << Dump(r);
}

// The effective type is what counts: PAT WB under the WT MTRR range is WT, and WT asked is WT.
TEST(Mutation, EffectiveTypeCombinesMtrr) {
  World w = Built();
  const uint64_t va = kDirect + kGiB + kMiB;  // MTRR WT
  // PAT WT (index 7: PAT|PCD|PWT) instead of WB: effective WT either way (SDM Vol. 3A Table 12-7).
  w.Set(va, 1, w.Get(va, 1) | x::kPat4k | x::kPCD | x::kPWT);
  EXPECT_TRUE(w.Check().verified) << Dump(w.Check());
  // UC- under WT is UC: a real change.
  w.Set(va, 1, (w.Get(va, 1) & ~x::kPat4k) | x::kPCD);
  ExpectOnly(w.Check(), Code::kWrongMemType);
}

// One 2 MiB page over the WB/WT MTRR boundary: large-page-spans-types.
TEST(Mutation, LargePageOverMtrrBoundary) {
  World w = Built();
  const uint64_t va = kDirect + kGiB;
  w.Set(va, 2, x::kP | x::kRW | x::kXD | x::kPS | kGiB);
  Report r = w.Check();
  ExpectOnly(r, Code::kLargePageSpansTypes);
  EXPECT_NE(r.violations[0].message.find("MTRR types WB and WT at pa 0x40100000"), std::string::npos) << Dump(r);
}

// A large page over RAM and the framebuffer (WB vs WC) also spans types.
TEST(Mutation, LargePageOverRegionBoundary) {
  World w;
  w.in.map.framebuffer = map::Framebuffer{512 * kMiB + kMiB, kMiB};
  w.Build();
  ExpectOnly(w.Check(), Code::kLargePageSpansTypes);
}

// Pages split at the edges of a framebuffer inside RAM are the minimum: the proven
// minimum obeys the same type boundaries (found by build_verify_fuzzer).
TEST(Mutation, SplitAtFramebufferInsideRamIsMinimal) {
  World w;
  w.in.map.framebuffer = map::Framebuffer{512 * kMiB + kMiB, kMiB};
  w.cuts.push_back(512 * kMiB + kMiB);
  w.cuts.push_back(512 * kMiB + 2 * kMiB);
  w.Build();
  Report r = w.Check();
  EXPECT_TRUE(r.verified) << Dump(r);
}

// A window mapping reserved memory write-back: cacheable-non-ram.
TEST(Mutation, ReservedMappedWriteBack) {
  World w;
  w.in.expected.push_back(testing::Map(0xf0000, 0xf0000, 0x10000, false, true, MemType::kWB, kGiB, 2));
  w.Build();
  Report r = w.Check();
  ExpectOnly(r, Code::kCacheableNonRam);
  EXPECT_NE(r.violations[0].message.find("(reserved) is mapped WB"), std::string::npos) << Dump(r);
}

// A reserved bit (above MAXPHYADDR) in a leaf: reserved-bits, not also unmapped.
TEST(Mutation, ReservedBitInLeaf) {
  World w = Built();
  w.Set(kLowPte, 1, w.Get(kLowPte, 1) | (uint64_t{1} << 50));
  ExpectOnly(w.Check(), Code::kReservedBits);
}

// A table frame moved into reserved memory (and reported): table-outside-ram.
TEST(Mutation, TableInReservedMemory) {
  World w = Built();
  MoveTable(w, kLowPte, 1, 0xf0000);
  w.in.output_map->push_back({0xf0000, 0x1000, true});
  Report r = w.Check();
  ExpectOnly(r, Code::kTableOutsideRam);
  EXPECT_NE(r.violations[0].message.find("pa 0xf0000 lies in reserved"), std::string::npos) << Dump(r);
}

// A table frame inside the kernel's used range: table-overlaps-used.
TEST(Mutation, TableInUsedRange) {
  World w = Built();
  MoveTable(w, kLowPte, 1, 3 * kMiB);
  w.in.output_map->push_back({3 * kMiB, 0x1000, true});
  ExpectOnly(w.Check(), Code::kTableOverlapsUsed);
}

// Tables in boot-services memory: fine after ExitBootServices; before it, firmware still uses
// that memory: table-on-firmware-memory, once per frame (UEFI 2.10 7.4).
TEST(Mutation, TablesOnBootServicesBeforeExitBootServices) {
  World w = Built();
  // [16 MiB, 32 MiB) becomes boot-services data: every table frame (from kFirstFrame) lies in it.
  std::vector<map::Region> regions;
  for (const map::Region& r : w.in.regions) {
    if (r.base != kMiB) {
      regions.push_back(r);
      continue;
    }
    map::Region low = r, bs = r, high = r;
    low.size = kFirstFrame - kMiB;
    bs.base = kFirstFrame;
    bs.size = 16 * kMiB;
    bs.kind = RegionKind::kBootServices;
    high.base = kFirstFrame + 16 * kMiB;
    high.size = r.end() - high.base;
    regions.insert(regions.end(), {low, bs, high});
  }
  w.in.regions = regions;
  const Report after = w.Check();
  EXPECT_TRUE(after.verified) << Dump(after);
  ASSERT_GT(after.table_pages, 1u);
  w.in.map.stage = map::Stage::kBeforeExitBootServices;
  ExpectOnly(w.Check(), Code::kTableOnFirmwareMemory, after.table_pages);
}

// A table frame inside the framebuffer: table-overlaps-framebuffer.
TEST(Mutation, TableInFramebuffer) {
  World w = Built();
  MoveTable(w, kLowPte, 1, 512 * kMiB);
  w.in.output_map->push_back({512 * kMiB, 0x1000, true});
  ExpectOnly(w.Check(), Code::kTableOverlapsFramebuffer);
}

// A table frame missing from the output memory map: table-unreported.
TEST(Mutation, TableDroppedFromOutputMap) {
  World w = Built();
  w.in.output_map = std::vector<OutputRegion>{{kFirstFrame + 0x1000, w.tables().next_frame() - kFirstFrame - 0x1000, true}};
  Report r = w.Check();
  ExpectOnly(r, Code::kTableUnreported);
  EXPECT_EQ(r.violations[0].pa, kFirstFrame);
}

// Without an output map, the builder's frame list is what reachable tables must be in.
TEST(Mutation, TableMissingFromDeclaredFrames) {
  World w = Built();
  w.in.output_map.reset();
  std::vector<uint64_t> frames;
  for (uint64_t f = kFirstFrame + 0x1000; f < w.tables().next_frame(); f += 0x1000) frames.push_back(f);
  w.in.table_frames = frames;
  ExpectOnly(w.Check(), Code::kTableUnreported);
}

// A second parent for a page table: its leaves appear at the second address too, an alias
// the layout did not ask for (unexpected); the shared table is no finding of its own.
TEST(Mutation, SharedPageTableAlias) {
  World w = Built();
  w.Set(kKernel + 8 * kMiB, 2, w.Get(kRodata, 2));
  Report r = w.Check();
  ExpectOnly(r, Code::kUnexpected);
  ASSERT_FALSE(r.violations.empty());
  EXPECT_EQ(r.violations[0].va, kKernel + 8 * kMiB);
}

// The same shared table where the expectation asks for that alias: verified.
TEST(Mutation, SharedPageTableAskedFor) {
  World w = Built();
  const uint64_t alias = 0xffff'c000'0000'0000ull;  // a slot of its own (no slot collision)
  w.Set(alias, 2, w.Get(kRodata, 2));
  w.SyncOutputMap();  // the new PDPT and PD
  std::vector<Expected> aliases;
  for (const Expected& e : w.in.expected) {
    if (e.va < (kRodata & ~(k2M - 1)) || e.va >= (kRodata & ~(k2M - 1)) + k2M) continue;
    Expected a = e;
    a.va = alias + (e.va - (kRodata & ~(k2M - 1)));
    aliases.push_back(a);
  }
  ASSERT_FALSE(aliases.empty());
  w.in.expected.insert(w.in.expected.end(), aliases.begin(), aliases.end());
  Report r = w.Check();
  EXPECT_TRUE(r.verified) << (r.violations.empty() ? r.error : r.violations[0].message);
}

// A recursive slot (an entry referencing its own table): table-shared, and the tables it
// maps as pages are unexpected.
TEST(Mutation, SelfReference) {
  World w = Built();
  const uint64_t root = w.in.cpu.cr3 & ~uint64_t{0xfff};
  w.mem().Write64(root + 8 * 300, root | 0x3);
  auto codes = Codes(w.Check());
  EXPECT_EQ(codes.count("table-shared"), 1u);
  EXPECT_EQ(codes.count("unexpected-mapping"), 1u);
}

// Two windows with different offsets in one PML4 slot: slot-collision.
TEST(Mutation, SlotCollision) {
  World w;
  w.in.windows.push_back("stray");
  w.in.expected.push_back(testing::Map(kDirect + 100 * kGiB, 8 * kMiB, 0x1000, false, true, MemType::kWB, kGiB, 4));
  w.Build();
  Report r = w.Check();
  ExpectOnly(r, Code::kSlotCollision);
  EXPECT_NE(r.violations[0].message.find("PML4 slot 273 holds window 'direct-map'"), std::string::npos) << Dump(r);
}

// A window in the non-canonical hole: non-canonical.
TEST(Mutation, NonCanonicalWindow) {
  World w = Built();
  w.in.expected.push_back(testing::Map(uint64_t{1} << 47, 8 * kMiB, 0x1000, false, true, MemType::kWB, kGiB, 3));
  ExpectOnly(w.Check(), Code::kNonCanonical);
}

// A transition range the new tables do not map to itself: transition-broken.
TEST(Mutation, TransitionNotIdentity) {
  World w = Built();
  w.in.transition = {{2 * kMiB + 0x10, 0x100}};
  Report r = w.Check();
  ExpectOnly(r, Code::kTransitionBroken);
  EXPECT_EQ(r.violations[0].va, 2 * kMiB);
}

// Identity-mapped transition ranges pass; with old tables given, both must agree.
TEST(Mutation, TransitionIdentityPasses) {
  World w;
  w.in.windows.push_back("transition");
  w.in.expected.push_back(testing::Map(2 * kMiB, 2 * kMiB, 0x1000, false, false, MemType::kWB, kGiB, 4));
  w.in.transition = {{2 * kMiB, 0x1000, RangeRole::kCode}};
  w.Build();
  EXPECT_TRUE(w.Check().verified) << Dump(w.Check());
  // Old tables that map the range elsewhere: broken.
  emu::TableBuilder old(w.mem(), 4, 64 * kMiB);
  old.Set(2 * kMiB, 1, x::kP | 5 * kMiB);
  emu::CpuState old_cpu = w.in.cpu;
  old_cpu.cr3 = old.root();
  w.in.old_tables = old_cpu;
  ExpectOnly(w.Check(), Code::kTransitionBroken);
}

// Identity-mapping 2 GiB for a 4 KiB transition: blanket-identity.
TEST(Mutation, BlanketIdentity) {
  World w;
  w.in.windows.push_back("identity");
  w.in.expected.push_back(testing::Map(kMiB, kMiB, 2 * kGiB - kMiB, true, true, MemType::kWB, kGiB, 4));
  w.Build();
  ExpectOnly(w.Check(), Code::kBlanketIdentity);
}

// A 2 MiB leaf split into 512 4 KiB leaves: leaves-not-minimal (its new table is needed by them).
TEST(Mutation, SplitLargePage) {
  World w = Built();
  const uint64_t va = kDirect + 8 * kMiB;
  const uint64_t e = w.Get(va, 2);
  ASSERT_TRUE(e & x::kPS);
  const uint64_t pt = w.tables().NewTable();
  for (int i = 0; i < 512; ++i) w.mem().Write64(pt + 8 * i, x::kP | x::kRW | x::kXD | (8 * kMiB + 0x1000 * i));
  w.Set(va, 2, x::kP | x::kRW | x::kUS | pt);
  w.SyncOutputMap();
  Report r = w.Check();
  ExpectOnly(r, Code::kLeavesNotMinimal);
  EXPECT_NE(r.violations[0].message.find("gap 511"), std::string::npos) << Dump(r);
}

// An empty page table hung under a free entry: tables-not-minimal.
TEST(Mutation, EmptyTable) {
  World w = Built();
  const uint64_t pt = w.tables().NewTable();
  w.Set(kKernel + 10 * kMiB, 2, x::kP | x::kRW | pt);
  w.SyncOutputMap();
  ExpectOnly(w.Check(), Code::kTablesNotMinimal);
}

// An enumeration over budget is reported, and no translation verdict is drawn from it.
TEST(Mutation, EnumerationBudget) {
  World w = Built();
  Options o;
  o.budgets.max_leaves = 100;
  ExpectOnly(w.Check(o), Code::kEnumerationFailed);
}

// EPT: clearing W on a RAM leaf is wrong-writable; a PA flip is wrong-pa; RWX RAM is no W+X.
TEST(Mutation, Ept) {
  {
    World w = Built(Format::kEpt4);
    w.Set(0x150000, 1, w.Get(0x150000, 1) & ~emu::ept::kW);
    ExpectOnly(w.Check(), Code::kWrongWritable);
  }
  {
    World w = Built(Format::kEpt4);
    w.Set(0x150000, 1, w.Get(0x150000, 1) ^ 0x1000);
    ExpectOnly(w.Check(), Code::kWrongPa);
  }
  {
    World w = Built(Format::kEpt4);
    w.Set(0xfec00000, 1, w.Get(0xfec00000, 1) | (uint64_t(MemType::kWB) << 3));
    auto codes = Codes(w.Check());
    EXPECT_EQ(codes["wrong-memtype"], 1u);
    EXPECT_EQ(codes["cacheable-non-ram"], 1u);
  }
}

// 5-level: a flipped PA is found as in 4-level.
TEST(Mutation, FiveLevel) {
  World w = Built(Format::kIa32e5);
  const uint64_t va = testing::kDirect5 + 0x150000;
  w.Set(va, 1, w.Get(va, 1) ^ (uint64_t{1} << 13));
  ExpectOnly(w.Check(), Code::kWrongPa);
}

}  // namespace
}  // namespace bootmap::verify
