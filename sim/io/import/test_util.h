// Helpers shared by the importer tests.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "sim/io/import/import.h"
#include "sim/io/import/line_driver.h"

namespace bootmap::importer::test {

inline ImportResult ImportText(std::string_view text, Format format, bool strict = false,
                               bool kernel_view = false) {
  ImportOptions options;
  options.source = "dump.txt";
  options.strict = strict;
  options.kernel_view = kernel_view;
  return Import(text, format, options);
}

inline Line Classify(void (*classify)(std::string_view, Line*), std::string_view text) {
  Line line;
  classify(text, &line);
  return line;
}

inline map::E820Entry E(uint64_t base, uint64_t size, uint32_t type) { return {base, size, type}; }

inline map::EfiDescriptor Efi(uint32_t type, uint64_t base, uint64_t pages, uint64_t attributes) {
  map::EfiDescriptor d;
  d.type = type;
  d.base = base;
  d.pages = pages;
  d.attributes = attributes;
  return d;
}

// `text` classifies as exactly the E820 entry `want`.
inline void ExpectE820(void (*classify)(std::string_view, Line*), std::string_view text,
                       map::E820Entry want) {
  Line l = Classify(classify, text);
  ASSERT_EQ(l.kind, LineKind::kEntry) << text << ": " << l.text;
  EXPECT_EQ(l.e820, want) << text;
}

// A real dump under testdata/formats/ (testdata/README.md names each one's source).
inline std::string ReadFormatFixture(std::string_view name) {
  const char* root = std::getenv("BOOTMAP_ROOT");
  std::ifstream in(std::string(root ? root : ".") + "/sim/io/import/testdata/formats/" +
                       std::string(name),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Entries, the highest exclusive end and the usable bytes of an E820 table.
struct E820Facts {
  size_t entries = 0;
  uint64_t highest_end = 0;
  uint64_t usable_bytes = 0;
  bool operator==(const E820Facts&) const = default;
};
inline E820Facts FactsOf(const map::MemoryMap& m) {
  E820Facts f;
  f.entries = m.e820.size();
  for (const map::E820Entry& e : m.e820) {
    f.highest_end = std::max(f.highest_end, e.base + e.size);
    if (e.type == map::e820::kUsable) f.usable_bytes += e.size;
  }
  return f;
}
inline std::ostream& operator<<(std::ostream& o, const E820Facts& f) {
  return o << f.entries << " entries, top 0x" << std::hex << f.highest_end << ", usable 0x"
           << f.usable_bytes << std::dec;
}

// Imports a testdata/formats/ fixture as the CLI names it.
inline ImportResult ImportFixture(std::string_view name, Format format, bool strict = true,
                                  bool kernel_view = false) {
  ImportOptions options;
  options.source = std::string(name);
  options.strict = strict;
  options.kernel_view = kernel_view;
  return Import(ReadFormatFixture(name), format, options);
}

// Whether any of `lines` contains `text`.
inline bool AnyHas(const std::vector<std::string>& lines, std::string_view text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

// A usable line so a test map passes the "no usable RAM" check.
inline constexpr std::string_view kUsableLine =
    "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n";

}  // namespace bootmap::importer::test
