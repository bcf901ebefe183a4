// Facts the builder and the verifier both need are written once on each side of the oracle
// (sim/core for the builder, sim/verify + sim/emu for the verifier) and tested against each
// other here, never shared: EFI cacheability and MTRR precedence.
#include <gtest/gtest.h>

#include <random>

#include "sim/core/host/build.h"
#include "sim/core/plan.h"
#include "sim/emu/mem_types.h"
#include "sim/verify/spec.h"

namespace bootmap::verify {
namespace {

/** Every region kind under every combination of the cacheability attributes (UEFI 2.10
 *  7.2.3), with RUNTIME and SP on or off: the planner and the specification type it alike. */
TEST(SidesAgree, RegionTypeByKindAndEfiAttributes) {
  namespace a = map::efi_attr;
  const uint64_t cache_bits[] = {a::kUC, a::kWC, a::kWT, a::kWB, a::kUCE, a::kWP};
  int compared = 0;
  for (int k = 0; k < kRegionKindCount; ++k) {
    for (uint32_t combo = 0; combo < (1u << 6); ++combo) {
      for (uint64_t extra : {uint64_t{0}, a::kRuntime, a::kSP, a::kRuntime | a::kXP}) {
        uint64_t attrs = extra;
        for (int b = 0; b < 6; ++b)
          if (combo & (1u << b)) attrs |= cache_bits[b];
        const RegionKind kind = RegionKind(k);
        EXPECT_EQ(core::TypeByKind(kind, attrs), ImpliedType(kind, attrs))
            << map::RegionKindName(kind) << " attributes 0x" << std::hex << attrs;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, kRegionKindCount * 64 * 4);
}

// Random MTRRs: fixed ranges on their granularity, variable ranges with contiguous masks
// that overlap often, every memory type, 36 physical address bits.
map::MemoryMap RandomMtrrs(std::mt19937_64& rng) {
  constexpr uint8_t kBits = 36;
  const MemType types[] = {MemType::kUC, MemType::kWC, MemType::kWT, MemType::kWP, MemType::kWB};
  auto type = [&] { return types[rng() % 5]; };
  map::MemoryMap m;
  m.cpu.maxphyaddr = kBits;
  map::Mtrrs mtrr;
  mtrr.default_type = type();
  if (rng() % 2) {
    for (uint64_t base = 0; base < 0x80000; base += 0x10000) mtrr.fixed.push_back({base, 0x10000, type()});
    for (uint64_t base = 0x80000; base < 0xc0000; base += 0x4000) mtrr.fixed.push_back({base, 0x4000, type()});
    for (uint64_t base = 0xc0000; base < 0x100000; base += 0x1000) mtrr.fixed.push_back({base, 0x1000, type()});
  }
  const uint64_t phys_mask = (uint64_t{1} << kBits) - 1;
  for (int n = int(rng() % 8); n > 0; --n) {
    const int size_log = 20 + int(rng() % 14);  // 1 MiB .. 8 GiB
    const uint64_t size = uint64_t{1} << size_log;
    const uint64_t base = (rng() % (uint64_t{1} << (kBits - size_log))) << size_log;
    mtrr.variable.push_back({base, phys_mask & ~(size - 1), type()});
  }
  m.mtrr = mtrr;
  return m;
}

/** The builder's effective MTRR ranges and the emulator's per-address type agree at every
 *  range edge, one byte either side, and at random addresses (SDM Vol. 3A 12.11.4.1). */
TEST(SidesAgree, MtrrPrecedence) {
  std::mt19937_64 rng(12);
  uint64_t probes = 0;
  for (int round = 0; round < 300; ++round) {
    const map::MemoryMap m = RandomMtrrs(rng);
    std::vector<core::TypeRange> ranges;
    std::string error;
    ASSERT_TRUE(core::host::MtrrTypeRanges(m, &ranges, &error)) << error;
    ASSERT_FALSE(ranges.empty());
    auto check = [&](uint64_t pa) {
      auto it = std::upper_bound(ranges.begin(), ranges.end(), pa,
                                 [](uint64_t a, const core::TypeRange& r) { return a < r.base; });
      ASSERT_NE(it, ranges.begin());
      --it;
      ASSERT_LT(pa - it->base, it->size) << std::hex << "pa 0x" << pa << " in no range";
      EXPECT_EQ(it->type, emu::MtrrTypeAt(*m.mtrr, pa, m.cpu.maxphyaddr).type)
          << "round " << round << std::hex << " pa 0x" << pa;
      ++probes;
    };
    const uint64_t top = uint64_t{1} << m.cpu.maxphyaddr;
    for (const core::TypeRange& r : ranges) {
      check(r.base);
      if (r.base > 0) check(r.base - 1);
      check(r.base + (r.size - 1));
    }
    for (int i = 0; i < 64; ++i) check(rng() % top);
  }
  EXPECT_GT(probes, 300u * 64);
}

}  // namespace
}  // namespace bootmap::verify
