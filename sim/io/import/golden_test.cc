// Golden tests: every raw dump in testdata/ imports to exactly maps/real/<name>.json.
// The CPU facts come from the checked-in file (tools/import-real-maps decides them, and
// tools/checks/real-maps-current proves the script reproduces every file byte for byte).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/io/import/import.h"
#include "sim/io/map_json.h"

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

    ImportOptions options;
    options.source = e.path().string();
    options.strict = true;
    ImportResult r = Import(ReadAll(e.path()), Format::kAuto, options);
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
