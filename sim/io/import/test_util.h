// Helpers shared by the importer tests.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sim/io/import/import.h"
#include "sim/io/import/line_driver.h"

namespace bootmap::importer::test {

inline ImportResult ImportText(std::string_view text, Format format, bool strict = false) {
  ImportOptions options;
  options.source = "dump.txt";
  options.strict = strict;
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

// A usable line so a test map passes the "no usable RAM" check.
inline constexpr std::string_view kUsableLine =
    "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n";

}  // namespace bootmap::importer::test
