// bootmap capture end to end: on this machine itself (a real machine nobody wrote; whatever it
// has), and on a hostile fake tree (exit 2, nothing written).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/io/map_json.h"
#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

namespace fs = std::filesystem;
using testing::RunBootmap;
using testing::Slurp;

struct SysfsEntry {
  uint64_t start = 0, end = 0;
  std::string type;
};

// /sys/firmware/memmap read here with the test's own code (numbered directories, in order).
std::vector<SysfsEntry> ReadMemmap() {
  std::vector<std::pair<uint64_t, fs::path>> dirs;
  std::error_code ec;
  for (fs::directory_iterator it("/sys/firmware/memmap", ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    dirs.emplace_back(std::stoull(it->path().filename().string()), it->path());
  std::sort(dirs.begin(), dirs.end());
  std::vector<SysfsEntry> out;
  for (const auto& [n, p] : dirs) {
    SysfsEntry e;
    e.start = std::stoull(Slurp((p / "start").string()), nullptr, 16);
    e.end = std::stoull(Slurp((p / "end").string()), nullptr, 16);
    e.type = Slurp((p / "type").string());
    while (!e.type.empty() && e.type.back() == '\n') e.type.pop_back();
    out.push_back(e);
  }
  return out;
}

// "address sizes : 48 bits physical, 48 bits virtual" of the first processor; 0 if none.
int PhysicalBits() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("address sizes", 0) == 0) return std::atoi(line.substr(line.find(':') + 1).c_str());
  }
  return 0;
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// capture on the machine running the tests: the E820 equals what sysfs holds, the CPU's bits are
// /proc/cpuinfo's, every source this machine lacks is a warning, and the map checks and replays.
TEST(CaptureCli, ThisMachine) {
  const std::string out = std::string(::testing::TempDir()) + "/capture-" + std::to_string(::getpid()) + ".json";
  std::remove(out.c_str());
  const testing::Ran r = RunBootmap("capture -o '" + out + "'");
  const std::vector<SysfsEntry> memmap = ReadMemmap();
  if (r.exit_code == 2) {
    // Only allowed when this machine (a container) shows no map at all.
    EXPECT_TRUE(memmap.empty()) << r.err;
    EXPECT_TRUE(Has(r.err, "/sys/firmware/memmap: no memory map")) << r.err;
    EXPECT_FALSE(fs::exists(out));
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  map::MemoryMap m;
  const io::LoadResult loaded = io::LoadMapFile(out, &m);
  ASSERT_TRUE(loaded.ok) << loaded.error;
  if (!memmap.empty()) {
    ASSERT_EQ(m.e820.size(), memmap.size());
    for (size_t i = 0; i < memmap.size(); ++i) {
      EXPECT_EQ(m.e820[i].base, memmap[i].start) << i;
      EXPECT_EQ(m.e820[i].base + m.e820[i].size - 1, memmap[i].end) << i;
      EXPECT_EQ(m.e820[i].type == map::e820::kUsable, memmap[i].type == "System RAM") << i;
    }
    EXPECT_TRUE(Has(m.origin, "from /sys/firmware/memmap")) << m.origin;
  } else {
    EXPECT_TRUE(Has(r.err, "/sys/firmware/memmap: missing")) << r.err;
    EXPECT_TRUE(Has(m.origin, "from /dev/kmsg")) << m.origin;
  }
  if (const int bits = PhysicalBits(); bits != 0) {
    EXPECT_EQ(m.cpu.maxphyaddr, bits);
    EXPECT_TRUE(Has(m.origin, "CPU facts from /proc/cpuinfo")) << m.origin;
  }
  // Each source this machine lacks is named on stderr.
  if (!fs::exists("/dev/cpu/0/msr")) {
    EXPECT_TRUE(Has(r.err, "/dev/cpu/0/msr: No such file or directory")) << r.err;
  }
  if (!fs::exists("/sys/firmware/efi/runtime-map")) {
    EXPECT_TRUE(Has(r.err, "/sys/firmware/efi/runtime-map: missing")) << r.err;
  }
  if (!fs::exists("/dev/cpu/0/msr") && !fs::exists("/proc/mtrr")) {
    EXPECT_FALSE(m.mtrr);
  }
  if (!fs::exists("/dev/cpu/0/msr") && fs::exists("/proc/mtrr") && ::access("/proc/mtrr", R_OK) == 0) {
    ASSERT_TRUE(m.mtrr);
    EXPECT_FALSE(m.mtrr->default_known);
    EXPECT_TRUE(Has(m.origin, "from /proc/mtrr")) << m.origin;
  }
  const testing::Ran check = RunBootmap("check '" + out + "'");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  const testing::Ran replay = RunBootmap("replay '" + out + "'");
  EXPECT_TRUE(replay.exit_code == 0 || replay.exit_code == 1) << replay.err;
  EXPECT_TRUE(Has(replay.out, !m.mtrr                                               ? "memory types: assumed"
                              : m.mtrr->default_known && m.mtrr->fixed_known ? "memory types: from the map's MTRRs"
                                                                              : "variable MTRRs; its"))
      << replay.out;
  std::remove(out.c_str());
}

// A hostile source under --root: exit 2, the file and line named, nothing on stdout or on disk.
TEST(CaptureCli, HostileTreeWritesNothing) {
  const fs::path root = fs::path(::testing::TempDir()) / ("capture-root-" + std::to_string(::getpid()));
  fs::create_directories(root / "sys/firmware/memmap/0");
  fs::create_directories(root / "proc");
  std::ofstream(root / "sys/firmware/memmap/0/start") << "0x0\n";
  std::ofstream(root / "sys/firmware/memmap/0/end") << "0x7fffffff\n";
  std::ofstream(root / "sys/firmware/memmap/0/type") << "System RAM\n";
  std::ofstream(root / "proc/iomem", std::ios::binary) << "00000000-7fffffff : System RAM\n"
                                                       << std::string("  01000000-01ffffff : Kernel\0code\n", 34);
  const std::string out = (root / "m.json").string();
  testing::Ran r = RunBootmap("capture --root '" + root.string() + "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "bootmap: " + (root / "proc/iomem").string() + ":2: NUL byte at column 29 (binary data in a text file)\n");
  EXPECT_FALSE(fs::exists(out));
  r = RunBootmap("capture --root '" + root.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  // The same tree without the bad file captures, with every missing source listed.
  fs::remove(root / "proc/iomem");
  r = RunBootmap("capture --root '" + root.string() + "' --name t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* missing : {"proc/cpuinfo", "dev/kmsg", "sys/firmware/efi/runtime-map", "dev/cpu/0/msr", "proc/mtrr",
                              "proc/iomem"})
    EXPECT_TRUE(Has(r.err, "bootmap: warning: " + (root / missing).string() + ": ")) << missing << "\n" << r.err;
  EXPECT_TRUE(Has(r.out, "\"name\": \"t\"")) << r.out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace bootmap::cli
