#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::E;
using test::ImportText;

std::string Lines(int n, std::string_view start, std::string_view end, std::string_view type) {
  std::string p = "/sys/firmware/memmap/" + std::to_string(n) + "/";
  return p + "end:" + std::string(end) + "\n" + p + "start:" + std::string(start) + "\n" + p +
         "type:" + std::string(type) + "\n";
}

// grep output lists 10 before 2; entries follow the directory numbers, ends are inclusive.
TEST(Sysfs, NumericOrderInclusiveEnd) {
  std::string text = Lines(0, "0x0", "0x9fbff", "System RAM") +
                     Lines(10, "0x100000000", "0x17fffffff", "System RAM") +
                     Lines(2, "0xf0000", "0xfffff", "Reserved");
  for (int i = 3; i < 10; ++i) {
    text += Lines(i, "0x" + std::to_string(i) + "00000", "0x" + std::to_string(i) + "00fff",
                  "Reserved");
  }
  ImportResult r = ImportText(text, Format::kAuto, /*strict=*/true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kSysfs);
  ASSERT_EQ(r.map.e820.size(), 10u);
  EXPECT_EQ(r.map.e820[0], E(0, 0x9fc00, 1));
  EXPECT_EQ(r.map.e820[1], E(0xf0000, 0x10000, 2));
  EXPECT_EQ(r.map.e820[9], E(0x100000000, 0x80000000, 1));
}

// Every type string the kernel writes.
TEST(Sysfs, TypeStrings) {
  struct Case {
    std::string_view name;
    uint32_t type;
  } cases[] = {{"System RAM", 1},         {"Reserved", 2},
               {"ACPI Tables", 3},        {"ACPI Non-volatile Storage", 4},
               {"Unusable memory", 5},    {"Persistent Memory", 7},
               {"Persistent Memory (legacy)", 12}, {"Soft Reserved", 0xefffffff}};
  for (const Case& c : cases) {
    ImportResult r = ImportText(Lines(0, "0x0", "0xfff", "System RAM") +
                             Lines(1, "0x1000", "0x1fff", c.name),
                         Format::kSysfs);
    ASSERT_TRUE(r.ok) << c.name << ": " << r.error;
    EXPECT_EQ(r.map.e820[1].type, c.type) << c.name;
  }
}

// Missing, doubled or malformed fields are errors naming the line.
TEST(Sysfs, Errors) {
  ImportResult r = ImportText("memmap/0/start:0x0\nmemmap/0/type:System RAM\n", Format::kSysfs);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "dump.txt:1: entry 0 has no end");
  r = ImportText(Lines(0, "0x0", "0xfff", "System RAM") + "memmap/0/end:0x1fff\n", Format::kSysfs);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("dump.txt:4: entry 0 has a second end (first at dump.txt:1)", 0), 0u)
      << r.error;
  r = ImportText(Lines(0, "0x0", "0xfff", "System RAMM"), Format::kSysfs);
  EXPECT_EQ(r.error.rfind("dump.txt:3: expected a type", 0), 0u) << r.error;
  r = ImportText(Lines(0, "0x0", "0xfffq", "System RAM"), Format::kSysfs);
  EXPECT_EQ(r.error.rfind("dump.txt:1: expected a number", 0), 0u) << r.error;
  r = ImportText(Lines(0, "0x2000", "0xfff", "System RAM"), Format::kSysfs);
  EXPECT_EQ(r.error.rfind("dump.txt:1: end 0xfff is below start 0x2000", 0), 0u) << r.error;
  // --strict: a line that is not a sysfs field is an error.
  r = ImportText(Lines(0, "0x0", "0xfff", "System RAM") + "total 0\n", Format::kSysfs, true);
  EXPECT_EQ(r.error.rfind("dump.txt:4: expected", 0), 0u) << r.error;
}

// A copied /sys/firmware/memmap directory reads the same, numbered numerically.
TEST(Sysfs, Directory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("bootmap-sysfs-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto put = [&](int n, const char* start, const char* end, const char* type) {
    fs::create_directories(dir / std::to_string(n));
    std::ofstream(dir / std::to_string(n) / "start") << start << "\n";
    std::ofstream(dir / std::to_string(n) / "end") << end << "\n";
    std::ofstream(dir / std::to_string(n) / "type") << type << "\n";
  };
  put(0, "0x0", "0x9fbff", "System RAM");
  put(10, "0x100000000", "0x17fffffff", "System RAM");
  put(9, "0xf0000", "0xfffff", "Reserved");
  ImportOptions options;
  ImportResult r = ImportSysfsDir(dir.string(), options);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820, (std::vector<map::E820Entry>{E(0, 0x9fc00, 1), E(0xf0000, 0x10000, 2),
                                                     E(0x100000000, 0x80000000, 1)}));
  fs::remove(dir / "9" / "type");
  r = ImportSysfsDir(dir.string(), options);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("9/type: missing"), std::string::npos) << r.error;
  fs::remove_all(dir);
  r = ImportSysfsDir(dir.string(), options);
  EXPECT_NE(r.error.find("cannot read directory"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace bootmap::importer
