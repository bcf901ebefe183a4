#include "sim/io/map_json.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "sim/io/json_util.h"

namespace bootmap::io {
namespace {

std::string Root() {
  const char* root = std::getenv("BOOTMAP_ROOT");
  return root ? root : ".";
}

std::string LoadError(const std::string& text, const MapLimits& limits = {}) {
  map::MemoryMap m;
  LoadResult r = ParseMap(text, "x.json", &m, limits);
  EXPECT_FALSE(r.ok) << text;
  return r.error;
}

map::MemoryMap LoadOk(const std::string& text) {
  map::MemoryMap m;
  LoadResult r = ParseMap(text, "x.json", &m);
  EXPECT_TRUE(r.ok) << r.error;
  return m;
}

std::string WithE820(const std::string& entry, const std::string& extra = "") {
  return R"({"format": "bootmap-map/1", "name": "t", "e820": [)" + entry + "]" + extra + "}";
}

// MTRR parts nobody read are "unknown" (maps/SCHEMA.md): kept apart from real types, saved back.
TEST(MapJson, UnknownMtrrParts) {
  map::MemoryMap m = LoadOk(WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})",
                                     R"(, "mtrr": {"default": "unknown", "fixed": "unknown", "variable": [{"base": "0x0", "mask": "0x3fff80000000", "type": "WB"}]})"));
  ASSERT_TRUE(m.mtrr);
  EXPECT_FALSE(m.mtrr->default_known);
  EXPECT_FALSE(m.mtrr->fixed_known);
  EXPECT_EQ(m.mtrr->default_type, MemType::kWB);
  EXPECT_TRUE(m.mtrr->fixed.empty());
  const std::string saved = SaveMap(m);
  EXPECT_NE(saved.find(R"("mtrr": {"default": "unknown", "fixed": "unknown",)"), std::string::npos) << saved;
  EXPECT_EQ(LoadOk(saved), m);
  m = LoadOk(WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "WB"})"));
  EXPECT_TRUE(m.mtrr->default_known && m.mtrr->fixed_known);
  EXPECT_EQ(LoadError(WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "unknow"})")),
            "x.json:/mtrr/default: expected a memory type UC, WC, WT, WP or WB, got \"unknow\"");
  EXPECT_EQ(LoadError(WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "UC", "fixed": "none"})")),
            "x.json:/mtrr/fixed: expected an array, got \"none\"");
}

// A full map with every section loads into the model.
TEST(MapJson, LoadsEverySection) {
  map::MemoryMap m = LoadOk(R"({
    "format": "bootmap-map/1", "name": "full", "origin": "test",
    "cpu": {"vendor": "amd", "maxphyaddr": 40, "page1gb": false, "la57": false, "nx": true},
    "e820": [{"base": "0x0", "size": "0x9fc00", "type": "usable"}, {"base": 1048576, "size": "1 GiB", "type": 20},
             {"base": "0x40000000", "size": "0x1000", "type": "soft-reserved"}],
    "efi": [{"type": "EfiRuntimeServicesData", "base": "0x7f000000", "pages": 16, "virt": "0xfffffffe00000000",
             "attributes": ["UC", "WB", "RUNTIME", "0x100000000000"]}, {"type": 2147483649, "base": "0x0", "pages": 1}],
    "mtrr": {"default": "UC", "fixed": [{"base": "0x0", "size": "0x80000", "type": "WB"}],
             "variable": [{"base": "0x0", "mask": "0xff80000000", "type": "WB"}]},
    "framebuffer": {"base": "0x80000000", "size": "0x300000"},
    "used": [{"name": "kernel", "base": "0x1000000", "size": "0x200000"}],
    "stage": "before-exit-boot-services",
    "layout": {"profile": "linux"}})");
  EXPECT_EQ(m.cpu.vendor, map::CpuVendor::kAmd);
  EXPECT_EQ(m.cpu.maxphyaddr, 40);
  EXPECT_FALSE(m.cpu.page1gb);
  ASSERT_EQ(m.e820.size(), 3u);
  EXPECT_EQ(m.e820[1], (map::E820Entry{0x100000, 1ull << 30, 20}));
  EXPECT_EQ(m.e820[2].type, map::e820::kSoftReserved);
  ASSERT_EQ(m.efi.size(), 2u);
  EXPECT_EQ(m.efi[0].attributes, map::efi_attr::kUC | map::efi_attr::kWB | map::efi_attr::kRuntime | (1ull << 44));
  EXPECT_EQ(m.efi[0].virt, 0xfffffffe00000000u);
  EXPECT_EQ(m.efi[1].type, 0x80000001u);
  ASSERT_TRUE(m.mtrr);
  EXPECT_EQ(m.mtrr->variable[0].mask, 0xff80000000u);
  EXPECT_EQ(m.framebuffer->size, 0x300000u);
  EXPECT_EQ(m.used[0].name, "kernel");
  EXPECT_EQ(m.layout_json, R"({"profile":"linux"})");
  EXPECT_EQ(m.stage, map::Stage::kBeforeExitBootServices);
  // Saving and loading again gives the same model.
  EXPECT_EQ(LoadOk(SaveMap(m)), m);
}

// Defaults: MAXPHYADDR 46, 1 GiB pages and NX on, no LA57.
TEST(MapJson, CpuDefaults) {
  map::MemoryMap m = LoadOk(WithE820(R"({"base": "0x0", "size": "0x1000", "type": "usable"})"));
  EXPECT_EQ(m.cpu, map::CpuFacts{});
  EXPECT_EQ(m.cpu.maxphyaddr, 46);
}

// EPT capabilities (IA32_VMX_EPT_VPID_CAP bits 16, 17, 7): absent, all are assumed;
// given, each field on its own, and they survive a save.
TEST(MapJson, EptCapabilities) {
  const std::string e820 = R"({"base": "0x0", "size": "0x1000", "type": "usable"})";
  EXPECT_EQ(LoadOk(WithE820(e820)).cpu.ept, map::EptCaps{});
  const std::pair<std::string, map::EptCaps> cases[] = {
      {R"({"page1gb": false})", {true, false, true}},
      {R"({"five_level": false})", {true, true, false}},
      {R"({"page2m": false, "page1gb": false})", {false, false, true}},
      {R"({"page2m": true, "page1gb": true, "five_level": true})", {true, true, true}},
  };
  for (const auto& [ept, caps] : cases) {
    const map::MemoryMap m =
        LoadOk(R"({"format": "bootmap-map/1", "name": "t", "cpu": {"ept": )" + ept + R"(}, "e820": [)" + e820 + "]}");
    EXPECT_EQ(m.cpu.ept, caps) << ept;
    EXPECT_EQ(LoadOk(SaveMap(m)), m) << SaveMap(m);
  }
  // The defaults are not written: old maps keep their canonical form.
  EXPECT_EQ(SaveMap(LoadOk(WithE820(e820))).find("\"ept\""), std::string::npos);
}

// Every bundled map loads, and load(save(m)) == m for each.
TEST(MapJson, BundledMapsRoundTrip) {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(Root() + "/maps")) {
    if (entry.path().extension() != ".json") continue;
    map::MemoryMap m;
    LoadResult r = LoadMapFile(entry.path().string(), &m);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(m.origin.empty()) << entry.path() << " must name its origin";
    map::MemoryMap again;
    ASSERT_TRUE(ParseMap(SaveMap(m), "saved", &again).ok);
    EXPECT_EQ(again, m) << entry.path();
    EXPECT_EQ(SaveMap(again), SaveMap(m));
    ++count;
  }
  EXPECT_GE(count, 6);
}

// Each class of bad input has its own message, naming the file and the JSON pointer.
TEST(MapJson, ErrorMessages) {
  const std::pair<std::string, std::string> cases[] = {
      {WithE820(R"({"base": "0x0", "size": "12Q", "type": "usable"})"),
       R"(x.json:/e820/0/size: expected a hex string, integer or size like "4 GiB", got "12Q")"},
      {WithE820(R"({"base": "0x0", "sise": "1", "type": "usable"})"),
       R"(x.json:/e820/0/sise: unknown field "sise" (did you mean "size"?))"},
      {WithE820(R"({"base": "0x0", "type": "usable"})"), R"(x.json:/e820/0: missing field "size")"},
      {WithE820(R"({"base": "0x0", "size": "1", "type": "ram"})"),
       "x.json:/e820/0/type: expected an E820 type (usable, reserved, acpi, nvs, unusable, persistent, "
       "legacy-persistent, soft-reserved or a number), got \"ram\""},
      {WithE820(R"({"base": "0x1ffffffffffffffff", "size": "1", "type": 1})"),
       R"(x.json:/e820/0/base: number does not fit in 64 bits, got "0x1ffffffffffffffff")"},
      {R"({"format": "bootmap-map/1", "name": "t", "cpu": {"maxphyaddr": 52}, "e820": [{"base": "0xfffffffffffff000", "size": "0x2000", "type": 2}]})",
       "x.json:/e820/0/size: base + size passes 2^64 (base 0xfffffffffffff000)"},
      {WithE820(R"({"base": "0x400000000000", "size": "0x1000", "type": 2})"),
       "x.json:/e820/0: range ends past MAXPHYADDR (2^46 = 0x400000000000); raise cpu.maxphyaddr if the CPU has more"},
      {R"({"format": "bootmap-map/2", "name": "t"})", R"(x.json:/format: expected "bootmap-map/1", got "bootmap-map/2")"},
      {R"({"format": "bootmap-map/1", "name": "t"})", R"(x.json: no memory map: give a non-empty "e820" or "efi" array)"},
      {R"({"name": "t"})", R"(x.json: missing field "format")"},
      {"[1]", "x.json: expected an object, got an array"},
      {"", "x.json: empty file, expected a JSON object"},
      {"{\"format\": ", "x.json: invalid JSON at line 1, column 12: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"},
      {R"({"format": "bootmap-map/1", "name": "t", "cpu": {"maxphyaddr": 60}, "e820": []})",
       "x.json:/cpu/maxphyaddr: MAXPHYADDR must be 32..52 (SDM Vol. 3A 4.1.4), got 60"},
      {R"({"format": "bootmap-map/1", "name": "t", "efi": [{"type": "EfiConventionalMemory", "base": "0x800", "pages": 1}]})",
       "x.json:/efi/0/base: PhysicalStart 0x800 is not 4 KiB aligned (UEFI 2.10 7.2)"},
      {R"({"format": "bootmap-map/1", "name": "t", "efi": [{"type": "EfiConventional", "base": "0x0", "pages": 1}]})",
       "x.json:/efi/0/type: expected a UEFI memory type (EfiConventionalMemory, ... or a number), got \"EfiConventional\""},
      {R"({"format": "bootmap-map/1", "name": "t", "efi": [{"type": 7, "base": "0x0", "pages": 1, "attributes": ["WBX"]}]})",
       "x.json:/efi/0/attributes/0: expected an attribute (UC WC WT WB UCE WP RP XP NV MORE_RELIABLE RO SP CPU_CRYPTO ISA_VALID RUNTIME or a hex value), got \"WBX\""},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "UC", "variable": [{"base": "0x0", "mask": "0x3fff7fff0000", "type": "WB"}]})"),
       "x.json:/mtrr/variable/0/mask: mask 0x3fff7fff0000 is not contiguous"},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "UC", "variable": [{"base": "0x40000000", "mask": "0x3fff80000000", "type": "WB"}]})"),
       "x.json:/mtrr/variable/0/base: base 0x40000000 is not aligned to the range size 0x80000000"},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "UC-"})"),
       "x.json:/mtrr/default: expected a memory type UC, WC, WT, WP or WB, got \"UC-\""},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "mtrr": {"default": "UC", "fixed": [{"base": "0x90000", "size": "0x1000", "type": "WB"}]})"),
       "x.json:/mtrr/fixed/0: fixed-range MTRR bounds must fall on the fixed-range granularity (64 KiB below 0x80000, 16 KiB below 0xC0000, 4 KiB below 0x100000)"},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "used": [{"base": "0x0", "size": "0x1000"}])"),
       R"(x.json:/used/0: missing field "name")"},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "stage": "boot")"),
       R"(x.json:/stage: expected "after-exit-boot-services" or "before-exit-boot-services", got "boot")"},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "layout": [])"),
       "x.json:/layout: expected an object, got an array"},
      {WithE820(R"({"base": "0x0", "size": "0x1000", "type": 1})", R"(, "framebufer": {})"),
       R"(x.json:/framebufer: unknown field "framebufer" (did you mean "framebuffer"?))"},
      {R"({"format": "bootmap-map/1", "name": "t", "cpu": {"ept": {"page1gb": "yes"}}, "e820": []})",
       R"(x.json:/cpu/ept/page1gb: expected true or false, got "yes")"},
      {R"({"format": "bootmap-map/1", "name": "t", "cpu": {"ept": {"page1g": false}}, "e820": []})",
       R"(x.json:/cpu/ept/page1g: unknown field "page1g" (did you mean "page1gb"?))"},
      {R"({"format": "bootmap-map/1", "name": "t", "cpu": {"ept": true}, "e820": []})",
       "x.json:/cpu/ept: expected an object, got true"},
      {R"({"format": "bootmap-map/1", "name": "t", "cpu": {"ept": {"page2m": false}}, "e820": []})",
       "x.json:/cpu/ept: page1gb without page2m is not modelled (a processor with 1 GiB EPT pages has 2 MiB "
       "ones); set page1gb to false too"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(LoadError(text), message);
}

// Limits: file size, nesting depth and entry count each have their own error.
TEST(MapJson, Limits) {
  MapLimits small{.max_file_bytes = 64, .max_depth = 4, .max_entries = 2};
  EXPECT_EQ(LoadError(std::string(100, ' '), small), "x.json: file is 100 bytes, more than the limit of 64");
  EXPECT_EQ(LoadError("[[[[[[1]]]]]]", small), "x.json: JSON nested deeper than 4 levels at line 1, column 5");
  EXPECT_EQ(LoadError(R"({"format":"bootmap-map/1","name":"t","e820":[1,2,3]})", small),
            "x.json:/e820: 3 entries, more than the limit of 2");
  // A deeply nested hostile document is rejected before it is parsed.
  EXPECT_NE(LoadError(std::string(1 << 20, '[')).find("nested deeper"), std::string::npos);
}

// A map of 1,000,000 entries loads (the documented minimum for the entry limit).
TEST(MapJson, MillionEntries) {
  std::string text = R"({"format": "bootmap-map/1", "name": "big", "e820": [)";
  text.reserve(64 << 20);
  for (uint64_t i = 0; i < 1000000; ++i) {
    if (i) text += ",";
    text += "{\"base\":" + std::to_string(i * 0x2000) + ",\"size\":4096,\"type\":1}";
  }
  text += "]}";
  map::MemoryMap m = LoadOk(text);
  EXPECT_EQ(m.e820.size(), 1000000u);
}

// A missing file gets a clear error naming it.
TEST(MapJson, MissingFile) {
  map::MemoryMap m;
  LoadResult r = LoadMapFile("/nonexistent/map.json", &m);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/nonexistent/map.json: cannot open file");
}

}  // namespace
}  // namespace bootmap::io
