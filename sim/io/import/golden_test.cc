// Golden tests: every raw dump in testdata/ imports to exactly maps/real/<name>.json.
// The CPU facts come from the checked-in file (tools/import-real-maps decides them, and
// tools/checks/real-maps-current proves the script reproduces every file byte for byte).
// The map files were made by this importer, so kHandChecked backs them with counts read
// off each raw dump by hand (testdata/README.md says how), independent of the importer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <string>
#include <vector>

#include "sim/io/import/import.h"
#include "sim/io/map_json.h"
#include "sim/map/format.h"

namespace bootmap::importer {
namespace {

namespace fs = std::filesystem;

std::string Root() {
  const char* root = std::getenv("BOOTMAP_ROOT");
  return root ? root : ".";
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Facts about one raw dump, counted from its text by hand and re-counted with awk and
// Python (testdata/README.md); never taken from the importer or the map files.
struct HandChecked {
  const char* name;       // testdata/<name>.txt, maps/real/<name>.json
  bool efi;               // the dump lists EFI descriptors (else E820 entries)
  size_t entries;         // entries (or descriptors) the dump lists
  uint64_t highest_end;   // largest exclusive end of any entry
  uint64_t usable_bytes;  // E820 usable (1) or EfiConventionalMemory (7), summed
};

constexpr HandChecked kHandChecked[] = {
    // mem00..mem87, ")" ends exclusive; top is mem80 (listed before the MMIO tail);
    // 12 Conventional Memory lines, matching their (NMB) figures.
    {"asus-n56vz-laptop-ami-efi", true, 88, 0x42f200000, 0x3c2ac6000},
    // 19 BIOS-e820 lines, inclusive ends (+1); 6 usable; top is the last (reserved) line.
    {"dell-poweredge-c6525-epyc7443p-256g-legacy", false, 19, 0x4080000000, 0x3fe7ae1000},
    // 7 BIOS-e820 lines, inclusive; usable 0x9fc00 + 0xf7ef0000 + 0x87400000.
    {"hyperv-gen1-vm-ubuntu24", false, 7, 0x187400000, 0x17f38fc00},
    // 10 old-style lines, "a - b" end exclusive; 5 usable, map ends at 0xcf700000.
    {"intel-dualcore-4g-2005-no-remap-old", false, 10, 0xcf700000, 0xcf432c00},
    // 85 Shell lines (header and footer not counted), inclusive; Available total equals the
    // footer's 969,334 pages (3,970,392,064 bytes); top is the Available line at 4 GiB.
    {"intel-ivybridge-pc-uefi-shell-memmap", true, 85, 0x11f200000, 0xeca76000},
    // mem00..mem34, ")" exclusive; 12 type=7 lines; top is the type=11 MMIO mem34.
    {"intel-mac-2006-linux-efi-type-attr", true, 35, 0xfffe0000, 0x7a150000},
    // 10 BIOS-e820 lines, inclusive; usable 0x9fc00 + 0x7fede000 + 1098 GiB from 1 TiB.
    {"qemu-7.2-q35-epyc-1100g-seabios-e820", false, 10, 0x21280000000, 0x112fff7dc00},
    // mem00..mem124, "]" ends inclusive; 12 Conventional lines, top mem122 (2 GiB at 4 GiB).
    {"qemu-7.2-q35-epyc-4g-ovmf-efi", true, 125, 0x180000000, 0xf8979000},
    // 10 BIOS-e820 lines, inclusive; usable 0x9fc00 + 0x7fedf000 + 2 GiB; top the AMD hole.
    {"qemu-7.2-q35-epyc-4g-seabios-e820", false, 10, 0x10000000000, 0xfff7ec00},
    // directories 0..7, end inclusive; 3 System RAM: 64 GiB less 0x400+0x60000+0x80000.
    {"qemu-kvm-2node-64g-sysfs-memmap", false, 8, 0x1040000000, 0xffff1fc00},
    // 9 BIOS-e820 lines, inclusive; usable 0x9fc00 + 0xbfedc000 + 13 GiB; top the AMD hole.
    {"tencent-cloud-cvm-kvm-16g-1tb-hole", false, 9, 0x10000000000, 0x3fff7bc00},
    // 7 (XEN) lines, [a, b] inclusive; usable 0x9fc00 + 0x7fee0000; top the AMD hole.
    {"xen-host-e820-qemu-seabios-amd", false, 7, 0x10000000000, 0x7ff7fc00},
};

struct Counts {
  size_t entries = 0;
  uint64_t highest_end = 0;
  uint64_t usable_bytes = 0;
};

Counts CountE820(const std::vector<map::E820Entry>& table) {
  Counts c;
  c.entries = table.size();
  for (const map::E820Entry& e : table) {
    c.highest_end = std::max(c.highest_end, e.base + e.size);
    if (e.type == map::e820::kUsable) c.usable_bytes += e.size;
  }
  return c;
}

Counts CountEfi(const std::vector<map::EfiDescriptor>& table) {
  Counts c;
  c.entries = table.size();
  for (const map::EfiDescriptor& d : table) {
    uint64_t bytes = d.pages * map::kPageSize;
    c.highest_end = std::max(c.highest_end, d.base + bytes);
    if (d.type == static_cast<uint32_t>(map::EfiType::kConventional)) c.usable_bytes += bytes;
  }
  return c;
}

// `m` holds exactly the table `want` describes, with the hand-counted facts.
void ExpectHandChecked(const HandChecked& want, const map::MemoryMap& m) {
  EXPECT_TRUE(want.efi ? m.e820.empty() : m.efi.empty()) << "unexpected second table";
  Counts got = want.efi ? CountEfi(m.efi) : CountE820(m.e820);
  EXPECT_EQ(got.entries, want.entries);
  EXPECT_EQ(got.highest_end, want.highest_end) << "got " << map::Hex(got.highest_end);
  EXPECT_EQ(got.usable_bytes, want.usable_bytes) << "got " << map::Hex(got.usable_bytes);
}

ImportResult ImportFixture(const fs::path& dump) {
  ImportOptions options;
  options.source = dump.string();
  options.strict = true;
  return Import(ReadAll(dump), Format::kAuto, options);
}

// Each fixture imports (strictly, without warnings) to its checked-in map file.
TEST(Golden, EveryFixtureMatchesItsMapFile) {
  fs::path testdata = fs::path(Root()) / "sim/io/import/testdata";
  fs::path real = fs::path(Root()) / "maps/real";
  int checked = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(testdata)) {
    if (e.path().extension() != ".txt") continue;
    std::string name = e.path().stem().string();
    SCOPED_TRACE(name);
    fs::path golden_path = real / (name + ".json");
    ASSERT_TRUE(fs::exists(golden_path)) << "no maps/real/" << name << ".json";
    std::string golden_text = ReadAll(golden_path);
    map::MemoryMap golden;
    io::LoadResult loaded = io::ParseMap(golden_text, golden_path.string(), &golden);
    ASSERT_TRUE(loaded.ok) << loaded.error;

    ImportResult r = ImportFixture(e.path());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.warnings.empty()) << r.warnings[0];
    r.map.name = name;
    r.map.cpu = golden.cpu;
    EXPECT_EQ(r.map, golden);
    EXPECT_EQ(io::SaveMap(r.map), golden_text);
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

// The importer reads each dump to the hand-counted entries, top end and usable RAM.
TEST(Golden, ImportMatchesHandCheckedCounts) {
  for (const HandChecked& want : kHandChecked) {
    SCOPED_TRACE(want.name);
    ImportResult r = ImportFixture(fs::path(Root()) / "sim/io/import/testdata" /
                                   (std::string(want.name) + ".txt"));
    ASSERT_TRUE(r.ok) << r.error;
    ExpectHandChecked(want, r.map);
  }
}

// The checked-in map files agree with the hand-counted facts too.
TEST(Golden, MapFileMatchesHandCheckedCounts) {
  for (const HandChecked& want : kHandChecked) {
    SCOPED_TRACE(want.name);
    fs::path path = fs::path(Root()) / "maps/real" / (std::string(want.name) + ".json");
    map::MemoryMap m;
    io::LoadResult loaded = io::ParseMap(ReadAll(path), path.string(), &m);
    ASSERT_TRUE(loaded.ok) << loaded.error;
    ExpectHandChecked(want, m);
  }
}

// Every dump has hand-checked facts, and every hand-checked name is a dump.
TEST(Golden, EveryFixtureIsHandChecked) {
  std::set<std::string> dumps, checked;
  for (const fs::directory_entry& e :
       fs::directory_iterator(fs::path(Root()) / "sim/io/import/testdata")) {
    if (e.path().extension() == ".txt") dumps.insert(e.path().stem().string());
  }
  for (const HandChecked& h : kHandChecked) EXPECT_TRUE(checked.insert(h.name).second) << h.name;
  EXPECT_EQ(checked, dumps);
}

// Every bundled real map has its raw dump here (none is hand-made).
TEST(Golden, EveryMapFileHasAFixture) {
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(Root()) / "maps/real")) {
    if (e.path().extension() != ".json") continue;
    fs::path dump = fs::path(Root()) / "sim/io/import/testdata" / (e.path().stem().string() + ".txt");
    EXPECT_TRUE(fs::exists(dump)) << e.path() << " has no raw dump " << dump;
  }
}

}  // namespace
}  // namespace bootmap::importer
