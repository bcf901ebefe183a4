#include <expat.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/io/map_json.h"
#include "sim/map/normalize.h"
#include "sim/verify/codes.h"
#include "tools/bootmap/render_svg.h"
#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using testing::RunBootmap;

// Every element's attributes, from a real XML parser (expat); ok=false if not well formed.
struct Parsed {
  bool ok = false;
  std::string error;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> elements;
  std::string text;  // all character data
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
  XML_SetCharacterDataHandler(parser, [](void* data, const XML_Char* s, int len) {
    static_cast<Parsed*>(data)->text.append(s, size_t(len));
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

constexpr const char* kQemu = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";

std::string TempSvg(const std::string& tag) {
  return std::string(::testing::TempDir()) + "/render_" + tag + std::to_string(::getpid()) + ".svg";
}

// Renders `args` into a temporary file and parses it; the file is removed.
Parsed RenderParsed(const std::string& args, int expected_exit) {
  const std::string out = TempSvg("parsed");
  auto r = RunBootmap("render " + args + " -o '" + out + "'");
  EXPECT_EQ(r.exit_code, expected_exit) << args << ": " << r.err;
  Parsed p = ParseXml(testing::Slurp(out));
  EXPECT_TRUE(p.ok) << args << ": " << p.error;
  std::remove(out.c_str());
  return p;
}

// Attribute `key` of every element of class `cls`.
std::multiset<std::string> Attrs(const Parsed& p, const std::string& cls, const std::string& key) {
  std::multiset<std::string> out;
  for (const auto& [name, a] : p.elements)
    if (a.count("class") && a.at("class") == cls && a.count(key)) out.insert(a.at(key));
  return out;
}

// A profile with violations: the legend lists exactly the codes and counts replay reports, and
// every listed violation with an address is drawn as a mark with its code.
TEST(Render, ViolationsMarkedWithLegend) {
  for (const char* profile : {"linux", "limine"}) {
    auto replay = RunBootmap(std::string("replay ") + kQemu + " --profile " + profile + " --json");
    ASSERT_EQ(replay.exit_code, 1) << replay.err;
    const auto expected = nlohmann::json::parse(replay.out)["violations_by_code"];
    ASSERT_FALSE(expected.empty());
    const Parsed svg = RenderParsed(std::string(kQemu) + " --profile " + profile, 1);
    std::map<std::string, uint64_t> legend;
    for (const auto& [name, a] : svg.elements)
      if (a.count("class") && a.at("class") == "legend-code") legend[a.at("data-code")] = std::stoull(a.at("data-count"));
    std::map<std::string, uint64_t> want;
    for (const auto& [code, n] : expected.items()) want[code] = n.get<uint64_t>();
    EXPECT_EQ(legend, want) << profile;
    const std::multiset<std::string> marks = Attrs(svg, "violation", "data-code");
    EXPECT_FALSE(marks.empty()) << profile;
    for (const std::string& code : marks) EXPECT_TRUE(want.count(code)) << profile << " " << code;
    for (const auto& [code, n] : want) EXPECT_GE(marks.count(code), 1u) << profile << " " << code;
    EXPECT_NE(svg.text.find("NOT VERIFIED: "), std::string::npos);
    EXPECT_EQ(svg.text.find("verified: every"), std::string::npos);
  }
}

// A verified build says so in the title and legend, draws no marks, and draws its table frames.
TEST(Render, VerifiedDrawsNoMarks) {
  const Parsed svg = RenderParsed(kQemu, 0);
  EXPECT_TRUE(Attrs(svg, "violation", "data-code").empty());
  EXPECT_TRUE(Attrs(svg, "legend-code", "data-code").empty());
  EXPECT_EQ(Attrs(svg, "violation-legend", "data-verified"), std::multiset<std::string>{"true"});
  EXPECT_NE(svg.text.find("profile bootmap, IA-32e 4-level — verified"), std::string::npos) << svg.text.substr(0, 200);
  EXPECT_NE(svg.text.find("verified: every expected byte"), std::string::npos);
  EXPECT_FALSE(Attrs(svg, "table-frames", "data-base").empty());
}

// --vs draws two panels side by side, each with its own title and verdict.
TEST(Render, SideBySide) {
  const Parsed svg = RenderParsed(std::string(kQemu) + " --profile linux --vs bootmap", 1);
  std::vector<std::string> panels;
  for (const auto& [name, a] : svg.elements)
    if (a.count("class") && a.at("class") == "panel") panels.push_back(a.at("data-profile") + ":" + a.at("data-verified"));
  EXPECT_EQ(panels, (std::vector<std::string>{"linux:false", "bootmap:true"}));
  EXPECT_NE(svg.text.find("profile linux,"), std::string::npos);
  EXPECT_NE(svg.text.find("profile bootmap,"), std::string::npos);
  EXPECT_EQ(svg.elements[0].second.at("width"), "2400.00");
}

// The same input renders the same bytes.
TEST(Render, Deterministic) {
  const std::string a = TempSvg("a"), b = TempSvg("b");
  ASSERT_EQ(RunBootmap(std::string("render ") + kQemu + " --profile limine -o '" + a + "'").exit_code, 1);
  ASSERT_EQ(RunBootmap(std::string("render ") + kQemu + " --profile limine -o '" + b + "'").exit_code, 1);
  EXPECT_EQ(testing::Slurp(a), testing::Slurp(b));
  EXPECT_FALSE(testing::Slurp(a).empty());
  std::remove(a.c_str());
  std::remove(b.c_str());
}

// The 2^28-leaf legacy build stays a picture of bounded size.
TEST(Render, LegacyBuildBounded) {
  const std::string out = TempSvg("legacy");
  auto r = RunBootmap(std::string("render ") + kQemu + " --profile bootloader-0.10 -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string svg = testing::Slurp(out);
  EXPECT_LT(svg.size(), 2u << 20);
  EXPECT_TRUE(ParseXml(svg).ok);
  std::remove(out.c_str());
}

// Bad input: exit 2, one line on stderr naming the problem, no file written.
TEST(Render, BadInputWritesNothing) {
  const std::string out = TempSvg("bad");
  std::remove(out.c_str());
  struct Case {
    std::string args, names;
  };
  const std::string q = kQemu;
  for (const Case& c : {Case{"render /nonexistent.json -o '" + out + "'", "/nonexistent.json"},
                        Case{"render " + q + " --profile no-such-profile -o '" + out + "'", "no-such-profile"},
                        Case{"render " + q + " --vs no-such-profile -o '" + out + "'", "no-such-profile"},
                        Case{"render " + q + " -o /nonexistent-dir/x.svg", "/nonexistent-dir/x.svg"},
                        Case{"render " + q + " -o '" + std::string(::testing::TempDir()) + "'", "directory"}}) {
    auto r = RunBootmap(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args;
    EXPECT_TRUE(testing::Slurp(out).empty()) << c.args;
  }
  EXPECT_EQ(RunBootmap(std::string("render ") + kQemu).exit_code, 2);  // no -o
}

// The drawing alone, on a report made by hand: a 16 MiB map with a used range at 2 MiB.
struct Drawn {
  map::MemoryMap memory;
  ReplayResult result;
  Drawn() {
    memory.name = "hand <made> & \"quoted\"\x01";
    memory.e820 = {{0, 16 << 20, map::e820::kUsable}};
    memory.used = {{"kernel <image>", 2 << 20, 1 << 20, RangeRole::kCode}};
    result.built = result.complete = true;
    result.build.profile = "hand";
  }
  Parsed Render() const { return ParseXml(render::Svg("hand.json", memory, {&result})); }
};

void AddViolation(verify::Report* r, verify::Code c, uint64_t pa, uint64_t size, uint64_t counted) {
  r->violations.push_back({c, 0, pa, "at " + HexOf(pa) + " <&>", size});
  r->by_code[int(c)] += counted;
  r->violation_count += counted;
}

// Table frames are drawn as runs over the used range; the two the verifier says overlap it carry
// a table-overlaps-used mark at their address, and the legend counts them.
TEST(RenderSvg, FramesOnUsedRangeMarked) {
  Drawn d;
  d.result.report.table_frames = {0x200000, 0x201000, 0x800000};
  AddViolation(&d.result.report, verify::Code::kTableOverlapsUsed, 0x200000, 0x2000, 2);
  const Parsed svg = d.Render();
  ASSERT_TRUE(svg.ok) << svg.error;
  EXPECT_EQ(Attrs(svg, "table-frames", "data-base"), (std::multiset<std::string>{"0x200000", "0x800000"}));
  EXPECT_EQ(Attrs(svg, "used", "data-base"), std::multiset<std::string>{"0x200000"});
  EXPECT_EQ(Attrs(svg, "violation", "data-pa"), std::multiset<std::string>{"0x200000"});
  EXPECT_EQ(Attrs(svg, "violation", "data-code"), std::multiset<std::string>{"table-overlaps-used"});
  EXPECT_EQ(Attrs(svg, "legend-code", "data-count"), std::multiset<std::string>{"2"});
  EXPECT_NE(svg.text.find("hand <made> & \"quoted\"?"), std::string::npos);  // escaped, control char replaced
  EXPECT_EQ(svg.text.find("more not drawn"), std::string::npos);
}

// Past render::kMaxMarks listed violations, the rest are counted in the legend, not drawn.
TEST(RenderSvg, MarksCapped) {
  Drawn d;
  for (uint64_t i = 0; i < render::kMaxMarks; ++i)
    AddViolation(&d.result.report, verify::Code::kCacheableNonRam, 0x1000 * i, 0x1000, 1);
  d.result.report.by_code[int(verify::Code::kCacheableNonRam)] += 5000;  // counted, not listed
  d.result.report.violation_count += 5000;
  const Parsed svg = d.Render();
  ASSERT_TRUE(svg.ok) << svg.error;
  EXPECT_EQ(Attrs(svg, "violation", "data-code").size(), render::kMaxMarks);
  EXPECT_NE(svg.text.find("5000 more not drawn"), std::string::npos);
  EXPECT_EQ(Attrs(svg, "legend-code", "data-count"), std::multiset<std::string>{std::to_string(render::kMaxMarks + 5000)});
}

}  // namespace
}  // namespace bootmap::cli
