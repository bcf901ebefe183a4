// The probe's own map normaliser and MTRR rules against their host counterparts
// (sim/map/normalize.h, sim/core/host/build.h MtrrTypeRanges), written apart and tested
// against each other on every bundled map: the QEMU boots (tools/qemu-probe) only see a few.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/core/host/build.h"
#include "sim/io/map_json.h"
#include "sim/map/normalize.h"
#include "tools/probe/firmware_map.h"
#include "tools/probe/mtrr.h"

namespace {

using bootmap::core::RegionInfo;
using bootmap::core::TypeRange;

std::vector<std::string> BundledMaps() {
  const char* root = std::getenv("BOOTMAP_ROOT");
  std::vector<std::string> out;
  for (const char* dir : {"maps/real", "maps/synthetic"})
    for (const auto& e : std::filesystem::directory_iterator(std::string(root ? root : ".") + "/" + dir))
      if (e.path().extension() == ".json") out.push_back(e.path().string());
  return out;
}

std::vector<RegionInfo> ProbeRegions(const bootmap::map::MemoryMap& m) {
  std::vector<probe::RawRegion> raw;
  if (!m.efi.empty()) {
    for (const auto& d : m.efi)
      raw.push_back({d.base, d.pages * 4096, probe::KindOfEfi(d.type, d.attributes), d.attributes});
  } else {
    for (const auto& e : m.e820) raw.push_back({e.base, e.size, probe::KindOfE820(e.type), 0});
  }
  std::vector<RegionInfo> out(2 * raw.size() + 1);
  const int n = probe::Normalize(raw.data(), raw.size(), out.data(), out.size());
  out.resize(n < 0 ? 0 : size_t(n));
  return out;
}

probe::MtrrState ProbeMtrrs(const bootmap::map::Mtrrs& m) {
  probe::MtrrState s;
  s.present = s.enabled = true;
  s.fixed_enabled = !m.fixed.empty();
  s.default_type = uint8_t(m.default_type);
  for (int i = 0; i < 88; ++i) {  // each fixed unit: the map's range that holds it
    const uint64_t base = i < 8 ? uint64_t(i) << 16 : i < 24 ? 0x80000 + (uint64_t(i - 8) << 14)
                                                             : 0xc0000 + (uint64_t(i - 24) << 12);
    s.fixed[i] = uint8_t(m.default_type);
    for (const auto& f : m.fixed)
      if (base >= f.base && base - f.base < f.size) s.fixed[i] = uint8_t(f.type);
  }
  for (const auto& v : m.variable) s.var[s.var_count++] = {v.base, v.mask, uint8_t(v.type)};
  return s;
}

/** Every bundled map normalises to the same regions (kind, attributes) in the probe and on the host. */
TEST(ProbeHost, NormaliserAgreesOnEveryBundledMap) {
  for (const std::string& path : BundledMaps()) {
    bootmap::map::MemoryMap m;
    ASSERT_TRUE(bootmap::io::LoadMapFile(path, &m).ok) << path;
    const auto host = bootmap::map::Normalize(m);
    const std::vector<RegionInfo> ours = ProbeRegions(m);
    ASSERT_EQ(ours.size(), host.regions.size()) << path;
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(ours[i].base, host.regions[i].base) << path << " region " << i;
      EXPECT_EQ(ours[i].size, host.regions[i].size) << path << " region " << i;
      EXPECT_EQ(ours[i].kind, host.regions[i].kind) << path << " region " << i;
      EXPECT_EQ(ours[i].efi_attributes, host.regions[i].efi_attributes) << path << " region " << i;
    }
  }
}

/** Every bundled map with MTRRs gives the same effective-type ranges in the probe and on the host. */
TEST(ProbeHost, MtrrTypesAgreeOnEveryBundledMap) {
  int compared = 0;
  for (const std::string& path : BundledMaps()) {
    bootmap::map::MemoryMap m;
    ASSERT_TRUE(bootmap::io::LoadMapFile(path, &m).ok) << path;
    if (!m.mtrr) continue;
    std::vector<TypeRange> host;
    std::string error;
    ASSERT_TRUE(bootmap::core::host::MtrrTypeRanges(m, &host, &error)) << path << ": " << error;
    std::vector<TypeRange> ours(512);
    const int n = probe::EffectiveTypes(ProbeMtrrs(*m.mtrr), uint8_t(std::min<unsigned>(m.cpu.maxphyaddr, 52)),
                                        ours.data(), ours.size());
    ASSERT_EQ(size_t(n), host.size()) << path;
    for (size_t i = 0; i < host.size(); ++i) {
      EXPECT_EQ(ours[i].base, host[i].base) << path << " range " << i;
      EXPECT_EQ(ours[i].size, host[i].size) << path << " range " << i;
      EXPECT_EQ(ours[i].type, host[i].type) << path << " range " << i;
    }
    ++compared;
  }
  EXPECT_GT(compared, 0);
}

}  // namespace
