#include <expat.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim/io/map_json.h"
#include "sim/map/normalize.h"
#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using testing::RunBootmap;

// Every element's attributes, from a real XML parser (expat); ok=false if not well formed.
struct Parsed {
  bool ok = false;
  std::string error;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> elements;
};

Parsed ParseXml(const std::string& text) {
  Parsed p;
  XML_Parser parser = XML_ParserCreate("UTF-8");
  XML_SetUserData(parser, &p);
  XML_SetStartElementHandler(parser, [](void* data, const XML_Char* name, const XML_Char** attrs) {
    auto* out = static_cast<Parsed*>(data);
    std::map<std::string, std::string> a;
    for (int i = 0; attrs[i]; i += 2) a[attrs[i]] = attrs[i + 1];
    out->elements.push_back({name, a});
  });
  p.ok = XML_Parse(parser, text.data(), int(text.size()), 1) == XML_STATUS_OK;
  if (!p.ok) p.error = XML_ErrorString(XML_GetErrorCode(parser));
  XML_ParserFree(parser);
  return p;
}

std::string HexOf(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
  return b;
}

// The SVG is well-formed XML and has a rectangle for every normalised region (its kind and
// base), 512 top-level slots, and page-size bands for the sizes the tables use.
TEST(Render, SvgHasEveryRegion) {
  for (const char* m : {"maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json", "maps/synthetic/uefi-fragmented-300.json"}) {
    const std::string out = std::string(::testing::TempDir()) + "/render" + std::to_string(::getpid()) + ".svg";
    auto r = RunBootmap(std::string("render ") + m + " -o '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Parsed svg = ParseXml(testing::Slurp(out));
    ASSERT_TRUE(svg.ok) << svg.error;
    ASSERT_FALSE(svg.elements.empty());
    EXPECT_EQ(svg.elements[0].first, "svg");
    std::set<std::pair<std::string, std::string>> regions;  // (base, kind)
    std::set<std::string> pages;
    int slots = 0, used_slots = 0;
    for (const auto& [name, a] : svg.elements) {
      if (name != "rect" || !a.count("class")) continue;
      const std::string& c = a.at("class");
      if (c == "region") regions.insert({a.at("data-base"), a.at("data-kind")});
      if (c == "leaves") pages.insert(a.at("data-page"));
      if (c == "slot") {
        ++slots;
        used_slots += !a.at("data-window").empty();
      }
    }
    map::MemoryMap mm;
    ASSERT_TRUE(io::LoadMapFile(testing::Root() + "/" + m, &mm).ok);
    const map::NormalizedMap n = map::Normalize(mm);
    EXPECT_EQ(regions.size(), n.regions.size()) << m;
    for (const map::Region& region : n.regions)
      EXPECT_TRUE(regions.count({HexOf(region.base), std::string(map::RegionKindName(region.kind))}))
          << m << " " << HexOf(region.base);
    EXPECT_EQ(slots, 512);
    EXPECT_GE(used_slots, 1);
    EXPECT_TRUE(pages.count("2m")) << m;
    EXPECT_TRUE(pages.count("4k")) << m;
    std::remove(out.c_str());
  }
}

// The parser in this test rejects a broken document (so the test above can fail).
TEST(Render, ParserRejectsBrokenXml) {
  EXPECT_FALSE(ParseXml("<svg><rect></svg>").ok);
  EXPECT_TRUE(ParseXml("<svg><rect/></svg>").ok);
}

// Bad input: exit 2 and no file.
TEST(Render, BadInputWritesNothing) {
  const std::string out = std::string(::testing::TempDir()) + "/render_bad" + std::to_string(::getpid()) + ".svg";
  std::remove(out.c_str());
  auto r = RunBootmap("render /nonexistent.json -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(testing::Slurp(out).empty());
  EXPECT_EQ(RunBootmap("render maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json").exit_code, 2);  // no -o
}

}  // namespace
}  // namespace bootmap::cli
