// `bootmap import` end to end: exit codes, messages, and never a partial output file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/io/map_json.h"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ImportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bootmap-import-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `bootmap ARGS` from the repo root, stdin from `input` (a file) if given.
  Outcome Bootmap(const std::string& args, const std::string& stdin_text = "") {
    fs::path in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
    std::ofstream(in, std::ios::binary) << stdin_text;
    const char* root = std::getenv("BOOTMAP_ROOT");
    std::string cmd = "cd '" + std::string(root ? root : ".") + "' && '" BOOTMAP_EXE "' " + args +
                      " <'" + in.string() + "' >'" + out.string() + "' 2>'" + err.string() + "'";
    int status = std::system(cmd.c_str());
    Outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = ReadAll(out);
    o.err = ReadAll(err);
    return o;
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }

  fs::path dir_;
};

const std::string kFixture = "sim/io/import/testdata/qemu-7.2-q35-epyc-4g-seabios-e820.txt";

// A fixture imports to stdout as a loadable map named after the file.
TEST_F(ImportCli, ImportsToStdout) {
  Outcome o = Bootmap("import " + kFixture);
  ASSERT_EQ(o.code, 0) << o.err;
  bootmap::map::MemoryMap m;
  bootmap::io::LoadResult r = bootmap::io::ParseMap(o.out, "<stdout>", &m);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(m.name, "qemu-7.2-q35-epyc-4g-seabios-e820");
  EXPECT_EQ(m.e820.size(), 10u);
}

// -o writes the file; --name, --cpu and stdin work.
TEST_F(ImportCli, OutputNameCpuStdin) {
  std::string out = (dir_ / "m.json").string();
  Outcome o = Bootmap("import --format dmesg --name box --cpu vendor=amd,maxphyaddr=40 -o '" + out + "' -",
                      ReadAll(fs::path(std::getenv("BOOTMAP_ROOT")) / kFixture));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.out.empty());
  bootmap::map::MemoryMap m;
  ASSERT_TRUE(bootmap::io::LoadMapFile(out, &m).ok);
  EXPECT_EQ(m.name, "box");
  EXPECT_EQ(m.cpu.vendor, bootmap::map::CpuVendor::kAmd);
  EXPECT_EQ(m.cpu.maxphyaddr, 40);
}

// --kernel-view applies the log's e820 edits and says so on stderr; the log's CPU facts are
// taken and named, and --cpu still overrides them.
TEST_F(ImportCli, KernelViewNotesAndCpuOverride) {
  const std::string asus = "sim/io/import/testdata/formats/asus-k52jt-dmesg-mtrr-e820-update.txt";
  Outcome o = Bootmap("import --kernel-view " + asus);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("bootmap: note: " + asus + ":49: --kernel-view: applied e820 update "
                       "[0x0-0xfff] usable => reserved (4096 bytes changed)"),
            std::string::npos)
      << o.err;
  bootmap::map::MemoryMap m;
  ASSERT_TRUE(bootmap::io::ParseMap(o.out, "<stdout>", &m).ok);
  EXPECT_EQ(m.e820.size(), 34u);
  EXPECT_EQ(m.cpu.vendor, bootmap::map::CpuVendor::kIntel);
  ASSERT_TRUE(m.mtrr.has_value());
  o = Bootmap("import --cpu vendor=amd " + asus);
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_TRUE(bootmap::io::ParseMap(o.out, "<stdout>", &m).ok);
  EXPECT_EQ(m.e820.size(), 33u);
  EXPECT_EQ(m.cpu.vendor, bootmap::map::CpuVendor::kAmd);
  EXPECT_EQ(m.cpu.maxphyaddr, 36);
  o = Bootmap("import --kernel-view sim/io/import/testdata/formats/qemu-128m-grub-lsmmap.txt");
  EXPECT_EQ(o.code, 2);
  EXPECT_TRUE(o.out.empty());
}

// A broken map line is exit 2 with FILE:LINE, and no output file appears.
TEST_F(ImportCli, BadLineNoPartialOutput) {
  std::string in = Write("bad.txt",
                         "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
                         "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reservd\n");
  std::string out = (dir_ / "never.json").string();
  Outcome o = Bootmap("import -o '" + out + "' '" + in + "'");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find(in + ":2: expected an E820 type"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}

// Empty input, no map, no usable RAM: distinct messages, exit 2, nothing on stdout.
TEST_F(ImportCli, DistinctFailures) {
  Outcome o = Bootmap("import -", "");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("<stdin>: empty input"), std::string::npos) << o.err;
  o = Bootmap("import -", "hello\n");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("no memory map found"), std::string::npos) << o.err;
  o = Bootmap("import -", "BIOS-e820: [mem 0x0-0xfff] reserved\n");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("no usable RAM"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty());
}

// Usage errors and a --cpu that cannot hold the map are exit 2.
TEST_F(ImportCli, UsageErrors) {
  EXPECT_EQ(Bootmap("import --format e820 " + kFixture).code, 2);
  EXPECT_EQ(Bootmap("import /nonexistent/dump.txt").code, 2);
  EXPECT_EQ(Bootmap("import --cpu vendor=via " + kFixture).code, 2);
  Outcome o = Bootmap("import --cpu maxphyaddr=36 " + kFixture);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("MAXPHYADDR"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty());
  o = Bootmap("import --strict -", std::string("BIOS-e820: [mem 0x0-0xfffff] usable\nnoise\n") +
                                       "BIOS-e820: [mem 0x100000-0x1fffff] usable\n");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("<stdin>:2: unrecognised line"), std::string::npos) << o.err;
}

// A directory is read as /sys/firmware/memmap.
TEST_F(ImportCli, SysfsDirectory) {
  fs::path memmap = dir_ / "memmap";
  for (int n : {0, 1}) fs::create_directories(memmap / std::to_string(n));
  std::ofstream(memmap / "0" / "start") << "0x0\n";
  std::ofstream(memmap / "0" / "end") << "0x9fbff\n";
  std::ofstream(memmap / "0" / "type") << "System RAM\n";
  std::ofstream(memmap / "1" / "start") << "0x9fc00\n";
  std::ofstream(memmap / "1" / "end") << "0x9ffff\n";
  std::ofstream(memmap / "1" / "type") << "Reserved\n";
  Outcome o = Bootmap("import '" + memmap.string() + "'");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("\"name\": \"memmap\""), std::string::npos) << o.out;
  EXPECT_EQ(Bootmap("import --format dmesg '" + memmap.string() + "'").code, 2);
}

// The summary table's row for `input`, its columns after the input joined by one space.
std::string Row(const std::string& table, const std::string& input) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first, w, rest;
    words >> first;
    if (first != input) continue;
    while (words >> w) rest += (rest.empty() ? "" : " ") + w;
    return rest;
  }
  return "(no row for " + input + ")";
}

// A directory of dumps and -o OUTDIR/: one map per input, the summary table, each failure listed
// (the folder's README.md is not a dump), exit 1. Rows checked against the golden test's counts.
TEST_F(ImportCli, BatchDirectory) {
  const std::string out = (dir_ / "maps").string() + "/";
  Outcome o = Bootmap("import sim/io/import/testdata -o '" + out + "'");
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.out.find("13 inputs: 12 converted, 1 failed; "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("failed: sim/io/import/testdata/README.md:"), std::string::npos) << o.out;
  EXPECT_EQ(Row(o.out, "sim/io/import/testdata/qemu-7.2-q35-epyc-4g-seabios-e820.txt"),
            "10 0x10000000000 4.0 GiB 0 " + out + "qemu-7.2-q35-epyc-4g-seabios-e820.json");
  EXPECT_EQ(Row(o.out, "sim/io/import/testdata/qemu-7.2-q35-epyc-4g-ovmf-efi.txt"),
            "125 0x180000000 4.0 GiB 0 " + out + "qemu-7.2-q35-epyc-4g-ovmf-efi.json");
  EXPECT_EQ(Row(o.out, "sim/io/import/testdata/README.md"), "- - - - FAILED");
  bootmap::map::MemoryMap m;
  ASSERT_TRUE(bootmap::io::LoadMapFile(out + "qemu-7.2-q35-epyc-4g-seabios-e820.json", &m).ok);
  EXPECT_EQ(m.e820.size(), 10u);
  EXPECT_EQ(m.name, "qemu-7.2-q35-epyc-4g-seabios-e820");
  EXPECT_FALSE(fs::exists(out + "README.json"));
  size_t written = 0;
  for (const auto& e : fs::directory_iterator(out)) written += e.path().extension() == ".json";
  EXPECT_EQ(written, 12u);
}

// Named files into a new directory: all good is exit 0; equal stems do not overwrite each other;
// a broken one is listed with its FILE:LINE; --name cannot name many maps.
TEST_F(ImportCli, BatchFiles) {
  const std::string good = Write("a.txt", "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n");
  fs::create_directories(dir_ / "sub");
  const std::string same = (dir_ / "sub" / "a.txt").string();
  std::ofstream(same) << "BIOS-e820: [mem 0x0000000000000000-0x00000000ffffffff] usable\n";
  const std::string out = (dir_ / "new").string();
  Outcome o = Bootmap("import '" + good + "' '" + same + "' -o '" + out + "'");
  ASSERT_EQ(o.code, 0) << o.err << o.out;
  EXPECT_NE(o.out.find("2 inputs: 2 converted, 0 failed"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::exists(out + "/a.json"));
  EXPECT_TRUE(fs::exists(out + "/a-2.json"));
  EXPECT_EQ(Row(o.out, good), "1 0x80000000 2 GiB 0 " + out + "/a.json");
  EXPECT_EQ(Row(o.out, same), "1 0x100000000 4 GiB 0 " + out + "/a-2.json");
  const std::string bad = Write("bad.txt", "BIOS-e820: [mem 0x0-0xfff] usable\nBIOS-e820: [mem 0x1000-0x1fff] reservd\n");
  o = Bootmap("import '" + good + "' '" + bad + "' -o '" + out + "2/'");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("failed: " + bad + ":2: expected an E820 type"), std::string::npos) << o.out;
  EXPECT_FALSE(fs::exists(out + "2/bad.json"));
  EXPECT_EQ(Bootmap("import --name x '" + good + "' '" + bad + "' -o '" + out + "3'").code, 2);
  o = Bootmap("import '" + good + "' '" + bad + "'");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "bootmap: several inputs need -o OUTDIR (one map file each)\n");
  EXPECT_TRUE(o.out.empty());
}

}  // namespace
