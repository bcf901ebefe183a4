#include "sim/core/host/layout.h"

#include <gtest/gtest.h>

namespace bootmap::core::host {
namespace {

std::string Parse(const std::string& json, HostLayout* out) {
  return ParseLayout(json, "m.json", "/layout", out);
}

// Every named profile loads and is non-empty; an unknown name does not.
TEST(Layout, ProfilesLoad) {
  EXPECT_EQ(ProfileNames().size(), 7u);
  EXPECT_EQ(ProfileNames()[0], kDefaultProfile);
  for (std::string_view name : ProfileNames()) {
    HostLayout l;
    ASSERT_TRUE(LoadProfile(name, &l)) << name;
    EXPECT_FALSE(l.windows.empty());
  }
  HostLayout l;
  EXPECT_FALSE(LoadProfile("linx", &l));
}

// A window written in JSON becomes the core Window it describes.
TEST(Layout, ParsesWindow) {
  HostLayout l;
  ASSERT_EQ(Parse(R"({"windows": [{"name": "mmio", "kinds": ["mmio", "reserved"], "min": "4 GiB",
      "span": "whole", "placement": "offset", "base": "0xffffc00000000000", "nx": true,
      "writable": false, "global": true, "type": "UC", "max_page": "2 MiB", "used": "kernel"}],
      "transition": [{"base": "0x100000", "size": "64 KiB"}]})", &l), "");
  ASSERT_EQ(l.windows.size(), 1u);
  const Window& w = l.windows[0];
  EXPECT_STREQ(w.name, "mmio");
  EXPECT_EQ(w.kinds, KindBit(RegionKind::kMmio) | KindBit(RegionKind::kReserved));
  EXPECT_EQ(w.sources, kSourceRegions | kSourceUsed);
  EXPECT_STREQ(w.used_name, "kernel");
  EXPECT_EQ(w.min_addr, 4ull << 30);
  EXPECT_TRUE(w.whole_span);
  EXPECT_FALSE(w.span_to_max);
  EXPECT_EQ(w.placement, Placement::kOffset);
  EXPECT_EQ(w.base, 0xffffc00000000000ull);
  EXPECT_FALSE(w.writable);
  EXPECT_EQ(w.type_rule, TypeRule::kFixed);
  EXPECT_EQ(w.fixed_type, MemType::kUC);
  EXPECT_EQ(w.max_level, kLevel2M);
  ASSERT_EQ(l.transition.size(), 1u);
  EXPECT_EQ(l.transition[0].size, 65536u);
}

// A profile plus windows: the windows are added to the profile's.
TEST(Layout, ProfilePlusWindows) {
  HostLayout l;
  ASSERT_EQ(Parse(R"({"profile": "bootmap", "windows": [{"name": "mmio", "kinds": ["mmio"]}]})", &l), "");
  EXPECT_EQ(l.windows.size(), 7u);  // bootmap's six and mmio
  EXPECT_EQ(l.profile, "bootmap");
}

// A layout's "paging" names its format, over the profile's own.
TEST(Layout, PagingField) {
  HostLayout l;
  ASSERT_EQ(Parse(R"({"profile": "ept-identity", "paging": "ept5"})", &l), "");
  EXPECT_EQ(l.paging, Paging::kEptLevel5);
  EXPECT_TRUE(l.paging_from_layout);
  HostLayout p;
  ASSERT_EQ(Parse(R"({"profile": "ept-identity"})", &p), "");
  EXPECT_EQ(p.paging, Paging::kEptLevel4);
  EXPECT_FALSE(p.paging_from_layout);
}

// Errors name the file, the JSON pointer and the problem.
TEST(Layout, PreciseErrors) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"windows": [{"name": "a", "kinds": "all"}, {"name": "b", "kinds": "all"},
          {"name": "c", "kinds": "all", "placement": "offset", "base": "12Q"}]})",
       "m.json:/layout/windows/2/base: "},
      {R"({"windows": [{"name": "a", "kinds": ["usable", "usabel"]}]})",
       "m.json:/layout/windows/0/kinds/1: unknown region kind \"usabel\""},
      {R"({"windows": [{"name": "a", "kinds": "all", "basee": 1}]})", "m.json:/layout/windows/0/basee: "},
      {R"({"profile": "linx"})", "m.json:/layout/profile: unknown profile \"linx\""},
      {R"({"windows": [{"name": "a"}]})", "m.json:/layout/windows/0: window selects nothing"},
      {R"({"windows": [{"name": "a", "kinds": "all", "max_page": "4 MiB"}]})",
       "m.json:/layout/windows/0/max_page: expected \"4 KiB\""},
      {R"({"windows": [{"name": "a", "kinds": "all", "placement": "offset"}]})",
       "m.json:/layout/windows/0: placement \"offset\"/\"linear\" needs \"base\""},
      {R"({"windows": [{"name": "a", "kinds": "all", "type": "XX"}]})", "m.json:/layout/windows/0/type: "},
      {R"({"transition": [{"base": 0}]})", "m.json:/layout/transition/0: missing \"size\""},
      {R"({})", "m.json:/layout: a layout needs a profile or windows"},
      {R"([1])", "m.json:/layout: expected an object"},
      {R"({"profile": "bootmap", "paging": 5})", "m.json:/layout/paging: expected \"4\", \"5\", \"ept\" or \"ept5\", got 5"},
  };
  for (const Case& c : cases) {
    HostLayout l;
    const std::string e = Parse(c.json, &l);
    EXPECT_EQ(e.rfind(c.error, 0), 0u) << "got: " << e << "\nwant prefix: " << c.error;
  }
}

}  // namespace
}  // namespace bootmap::core::host
