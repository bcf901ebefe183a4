// Seeded property test: a random bit flipped in a random paging-structure entry that changes
// what some address translates to is always reported; flipping bits the hardware ignores
// for translation (A, D, software-available) never is. BOOTMAP_PROPERTY_SEED=N for other seeds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "sim/core/host/build.h"
#include "sim/emu/mem_types.h"
#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"
#include "sim/verify/test_world.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {
namespace {

using testing::World;

uint64_t Seed(uint64_t fallback) {
  const char* seed = std::getenv("BOOTMAP_PROPERTY_SEED");
  return seed ? std::strtoull(seed, nullptr, 0) : fallback;
}

// Addresses inside the expectations, in every window.
std::vector<uint64_t> Samples(const Input& in, std::mt19937_64& rng, int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) {
    const Expected& e = in.expected[rng() % in.expected.size()];
    out.push_back(e.va + (rng() % (e.size / 0x1000)) * 0x1000);
  }
  return out;
}

// A walk's answer with the effective memory type (PAT x MTRR, SDM Vol. 3A Table 12-7): UC- under
// a WB MTRR range is UC, so flipping PWT on a UC leaf changes nothing the hardware does.
Probe Effective(const Input& in, Probe p) {
  if (!p.mapped) return p;
  if (IsEpt(in.format) || !in.map.mtrr) p.type = p.type == MemType::kUCMinus ? MemType::kUC : p.type;
  else p.type = emu::EffectiveMemType(p.type, emu::MtrrTypeAt(*in.map.mtrr, p.pa, in.map.cpu.maxphyaddr).type);
  return p;
}

// Flips one random bit of one entry on the walk of each sampled address; where the walk's
// answer changes, the verifier must not say "verified". Returns how many flips changed it.
int FlipAndCheck(const Input& in, emu::PhysMem& mem, uint64_t seed, int flips) {
  std::mt19937_64 rng(seed);
  Options o;
  o.samples = 64;
  int changed = 0;
  for (uint64_t va : Samples(in, rng, flips)) {
    const bool ept = IsEpt(in.format);
    const emu::Translation t = emu::TranslateNoUpdate(mem, in.cpu, va, {});
    const emu::EptTranslation et = emu::EptTranslate(mem, in.ept, va, {});
    const uint8_t steps = ept ? et.step_count : t.step_count;
    if (steps == 0) continue;
    const uint64_t entry_pa = (ept ? et.steps : t.steps)[rng() % steps].entry_pa;
    const uint64_t bit = uint64_t{1} << (rng() % 64);
    const Probe before = Effective(in, Walk(in, va));
    mem.Write64(entry_pa, mem.Read64(entry_pa) ^ bit);
    if (!(before == Effective(in, Walk(in, va)))) {
      ++changed;
      EXPECT_FALSE(Verify(in, o).verified) << FormatName(in.format) << " va 0x" << std::hex << va << " entry 0x"
                                           << entry_pa << " bit 0x" << bit;
    }
    mem.Write64(entry_pa, mem.Read64(entry_pa) ^ bit);
  }
  return changed;
}

// Hand-built IA-32e and EPT tables: every flip that changes a translation is reported.
TEST(VerifyProperty, RandomFlipsThatChangeTranslationsAreReported) {
  for (Format f : {Format::kIa32e4, Format::kIa32e5, Format::kEpt4}) {
    World w(f);
    w.Build();
    ASSERT_TRUE(w.Check().verified);
    EXPECT_GT(FlipAndCheck(w.in, w.mem(), Seed(42), 200), 50) << FormatName(f);  // the property was exercised
  }
}

// The same on the production core's build of a real map.
TEST(VerifyProperty, RandomFlipsInACoreBuild) {
  const char* root = std::getenv("BOOTMAP_ROOT");
  map::MemoryMap m;
  ASSERT_TRUE(io::LoadMapFile(std::string(root ? root : ".") + "/maps/real/qemu-7.2-q35-epyc-4g-ovmf-efi.json", &m).ok);
  emu::PhysMem mem(m.cpu.maxphyaddr);
  const core::host::BuildResult b = core::host::BuildTables(m, {}, &mem);
  ASSERT_TRUE(b.ok) << b.error;
  Input in = FromBuild(m, b, &mem);
  in.expected = Verify(in).spec;  // the samples come from the specification (the layout still decides)
  ASSERT_TRUE(Verify(in).verified);
  EXPECT_GT(FlipAndCheck(in, mem, Seed(9), 150), 40);
}

// Accessed, dirty and software-available bits do not change translations: still verified.
TEST(VerifyProperty, IgnoredBitsAreNotReported) {
  World w;
  w.Build();
  std::mt19937_64 rng(Seed(7));
  const int ignored[] = {5, 6, 9, 10, 11, 52, 53, 54, 55, 56, 57, 58};
  for (uint64_t va : Samples(w.in, rng, 40)) {
    const emu::Translation t = emu::TranslateNoUpdate(w.mem(), w.in.cpu, va, {});
    const uint64_t entry_pa = t.steps[rng() % t.step_count].entry_pa;
    const uint64_t bit = uint64_t{1} << ignored[rng() % std::size(ignored)];
    w.mem().Write64(entry_pa, w.mem().Read64(entry_pa) ^ bit);
    const Report r = w.Check();
    EXPECT_TRUE(r.verified) << std::hex << va << " bit 0x" << bit << (r.violations.empty() ? "" : r.violations[0].message);
    w.mem().Write64(entry_pa, w.mem().Read64(entry_pa) ^ bit);
  }
}

}  // namespace
}  // namespace bootmap::verify
