// Mutation tests on tables the production core built (QEMU 7.2 OVMF map, default profile):
// each planted fault is reported with exactly its code. Entries are found by walking the
// tables with the emulator, never through the builder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "sim/core/host/build.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {
namespace {

namespace x = emu::ia32e;

struct CoreBuild {
  map::MemoryMap map;
  std::unique_ptr<emu::PhysMem> mem;
  core::host::BuildResult build;
  Input in;
  std::vector<Expected> spec;

  explicit CoreBuild(const std::string& file = "maps/real/qemu-7.2-q35-epyc-4g-ovmf-efi.json") {
    const char* root = std::getenv("BOOTMAP_ROOT");
    EXPECT_TRUE(io::LoadMapFile(std::string(root ? root : ".") + "/" + file, &map).ok);
    Build();
  }
  explicit CoreBuild(map::MemoryMap m) : map(std::move(m)) { Build(); }
  void Build() {
    mem = std::make_unique<emu::PhysMem>(map.cpu.maxphyaddr);
    build = core::host::BuildTables(map, {}, mem.get());
    EXPECT_TRUE(build.ok) << build.error;
    in = FromBuild(map, build, mem.get());
    spec = Verify(in).spec;  // the specification, before any mutation
  }
  // The first expected va of window `name`.
  const Expected& First(const std::string& name) const {
    for (const Expected& e : spec)
      if (in.windows[e.window] == name) return e;
    ADD_FAILURE() << "no window " << name;
    return spec.front();
  }
  // Where the leaf (or the entry at `level`, counted from the leaf up) for va lives.
  uint64_t EntryPa(uint64_t va, int up = 0) const {
    const emu::Translation t = emu::TranslateNoUpdate(*mem, in.cpu, va, {});
    EXPECT_TRUE(t.ok) << std::hex << va;
    return t.steps[t.step_count - 1 - up].entry_pa;
  }
  uint64_t LeafSize(uint64_t va) const { return emu::TranslateNoUpdate(*mem, in.cpu, va, {}).page_size; }
  void Xor(uint64_t entry_pa, uint64_t bits) { mem->Write64(entry_pa, mem->Read64(entry_pa) ^ bits); }
  std::map<std::string_view, uint64_t> Codes() const {
    const Report r = Verify(in);
    std::map<std::string_view, uint64_t> m;
    for (int c = 0; c < kCodeCount; ++c)
      if (r.by_code[c]) m[CodeName(Code(c))] = r.by_code[c];
    return m;
  }
};

using Codes = std::map<std::string_view, uint64_t>;

// The unmodified build verifies.
TEST(CoreMutation, BuildVerifies) {
  CoreBuild b;
  EXPECT_EQ(b.Codes(), Codes{});
}

// Found by build_verify_fuzzer: EFI RAM whose attributes name no cacheability (UCE, WP,
// RP, ...) is UC (maps/SCHEMA.md); the verifier took it as WB and reported the core's UC
// 2 MiB page over it and UC persistent memory as spanning types.
TEST(CoreMutation, EfiRamWithoutCacheBitsIsUncached) {
  map::MemoryMap m;
  m.cpu.maxphyaddr = 46;
  m.cpu.nx = true;
  m.efi = {{uint32_t(map::EfiType::kBootServicesCode), 0, 769, 0, map::efi_attr::kUCE | map::efi_attr::kXP},
           {uint32_t(map::EfiType::kPersistent), 0x301000, 806, 0, map::efi_attr::kUC}};
  CoreBuild b(m);
  EXPECT_EQ(b.Codes(), Codes{});
  EXPECT_EQ(b.LeafSize(b.First("direct-map").va + 0x200000), uint64_t{2} << 20);
}

// Found by build_verify_fuzzer: runtime data with no attribute at all allows only UC
// (UEFI 2.10 7.2.3); the core mapped it WB, as E820 RAM (efi-runtime-memtype).
TEST(CoreMutation, RuntimeRegionWithoutAttributesIsUncached) {
  map::MemoryMap m;
  m.cpu.maxphyaddr = 46;
  m.cpu.nx = true;
  m.efi = {{uint32_t(map::EfiType::kConventional), 0, 8192, 0, map::efi_attr::kWB},
           {uint32_t(map::EfiType::kRuntimeServicesData), 0x2000000, 2, 0, 0}};
  CoreBuild b(m);
  EXPECT_EQ(b.Codes(), Codes{});
  const emu::Translation t = emu::TranslateNoUpdate(*b.mem, b.in.cpu, b.First("efi-runtime-data").va, {});
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.pat_type, MemType::kUC);
}

// Clear P in a direct-map leaf: unmapped.
TEST(CoreMutation, ClearPresent) {
  CoreBuild b;
  b.Xor(b.EntryPa(b.First("direct-map").va + 0x5000), x::kP);
  EXPECT_EQ(b.Codes(), (Codes{{"unmapped", 1}}));
}

// Flip a PA bit of a 4 KiB direct-map leaf (stays in low usable RAM): wrong-pa.
TEST(CoreMutation, FlipPa) {
  CoreBuild b;
  const uint64_t va = b.First("direct-map").va + 0x5000;
  ASSERT_EQ(b.LeafSize(va), 0x1000u);
  b.Xor(b.EntryPa(va), uint64_t{1} << 12);
  EXPECT_EQ(b.Codes(), (Codes{{"wrong-pa", 1}}));
}

// Set R/W on the read-only, executable EFI runtime code: wrong-writable and write-exec.
TEST(CoreMutation, WritableRuntimeCode) {
  CoreBuild b;
  b.Xor(b.EntryPa(b.First("efi-runtime-code").va), x::kRW);
  EXPECT_EQ(b.Codes(), (Codes{{"wrong-writable", 1}, {"write-exec", 1}}));
}

// Set XD on runtime code: wrong-exec.
TEST(CoreMutation, NoExecRuntimeCode) {
  CoreBuild b;
  b.Xor(b.EntryPa(b.First("efi-runtime-code").va), x::kXD);
  EXPECT_EQ(b.Codes(), (Codes{{"wrong-exec", 1}}));
}

// PCD on a write-back leaf (PAT index 2: UC-): wrong-memtype.
TEST(CoreMutation, PatBits) {
  CoreBuild b;
  b.Xor(b.EntryPa(b.First("direct-map").va + 0x5000), x::kPCD);
  EXPECT_EQ(b.Codes(), (Codes{{"wrong-memtype", 1}}));
}

// U/S set in a supervisor leaf (the tables above grant U/S; the leaf decides): wrong-user.
TEST(CoreMutation, UserBit) {
  CoreBuild b;
  const uint64_t va = b.First("direct-map").va + 0x5000;
  b.Xor(b.EntryPa(va), x::kUS);
  EXPECT_EQ(b.Codes(), (Codes{{"wrong-user", 1}}));
}

// A table frame dropped from the output memory map: table-unreported.
TEST(CoreMutation, DropFrameFromOutputMap) {
  CoreBuild b;
  const uint64_t frame = b.build.table_frames.back();
  std::vector<OutputRegion> out;
  for (const OutputRegion& r : *b.in.output_map) {
    if (!r.page_tables || frame < r.base || frame >= r.base + r.size) {
      out.push_back(r);
      continue;
    }
    if (frame > r.base) out.push_back({r.base, frame - r.base, true});
    if (frame + 0x1000 < r.base + r.size) out.push_back({frame + 0x1000, r.base + r.size - frame - 0x1000, true});
  }
  b.in.output_map = out;
  EXPECT_EQ(b.Codes(), (Codes{{"table-unreported", 1}}));
}

// A page table copied into reserved memory (and reported there): table-outside-ram.
TEST(CoreMutation, TableInReservedMemory) {
  CoreBuild b;
  const uint64_t pde = b.EntryPa(b.First("direct-map").va + 0x5000, 1);
  const uint64_t old = b.mem->Read64(pde) & x::kAddr;
  uint64_t reserved = 0;
  for (const map::Region& r : b.in.regions)
    if (r.kind == RegionKind::kReserved && r.size >= 0x1000) reserved = r.base;
  ASSERT_NE(reserved, 0u);
  for (int i = 0; i < 512; ++i) b.mem->Write64(reserved + 8 * i, b.mem->Read64(old + 8 * i));
  b.mem->Write64(pde, (b.mem->Read64(pde) & ~x::kAddr) | reserved);
  b.in.output_map->push_back({reserved, 0x1000, true});
  EXPECT_EQ(b.Codes(), (Codes{{"table-outside-ram", 1}}));
}

}  // namespace
}  // namespace bootmap::verify
