#include "sim/io/json_util.h"

#include <gtest/gtest.h>

namespace bootmap::io {
namespace {

uint64_t Ok(const Json& v, bool units = true) {
  uint64_t out = 0;
  std::string why;
  EXPECT_TRUE(ReadU64(v, units, &out, &why)) << v.dump() << ": " << why;
  return out;
}

std::string Error(const Json& v, bool units = true) {
  uint64_t out = 0;
  std::string why;
  EXPECT_FALSE(ReadU64(v, units, &out, &why)) << v.dump();
  return why;
}

// Numbers come as JSON integers, hex strings, decimal strings and unit sizes.
TEST(ReadU64, AcceptedForms) {
  EXPECT_EQ(Ok(Json(4096)), 4096u);
  EXPECT_EQ(Ok(Json("0x9fc00")), 0x9fc00u);
  EXPECT_EQ(Ok(Json("0XFFFFFFFFFFFFFFFF")), UINT64_MAX);
  EXPECT_EQ(Ok(Json("123")), 123u);
  EXPECT_EQ(Ok(Json("4 GiB")), 4ull << 30);
  EXPECT_EQ(Ok(Json("2MiB")), 2ull << 20);
  EXPECT_EQ(Ok(Json("512 KiB")), 512ull << 10);
  EXPECT_EQ(Ok(Json("15 EiB")), 15ull << 60);
  EXPECT_EQ(Ok(Json(UINT64_MAX)), UINT64_MAX);
}

// Each malformed number gets its own message.
TEST(ReadU64, Rejections) {
  EXPECT_EQ(Error(Json("12Q"), false), "expected a hex string or integer, got \"12Q\"");
  EXPECT_EQ(Error(Json("0x1ffffffffffffffff")), "number does not fit in 64 bits, got \"0x1ffffffffffffffff\"");
  EXPECT_EQ(Error(Json("18446744073709551616")), "number does not fit in 64 bits, got \"18446744073709551616\"");
  EXPECT_EQ(Error(Json("16 EiB")), "size does not fit in 64 bits, got \"16 EiB\"");
  EXPECT_NE(Error(Json("4 GB")).find("unknown size unit \"GB\""), std::string::npos);
  EXPECT_NE(Error(Json(-1)).find("non-negative"), std::string::npos);
  EXPECT_NE(Error(Json(1.5)).find("floating-point"), std::string::npos);
  EXPECT_NE(Error(Json(true)).find("got true"), std::string::npos);
  EXPECT_NE(Error(Json("4 GiB"), false).find("expected a hex string or integer"), std::string::npos);
  EXPECT_NE(Error(Json("0x")), "");
}

// Unknown keys are found, with a did-you-mean hint when one is close.
TEST(FindUnknownKey, HintsNearMisses) {
  std::string why;
  EXPECT_EQ(FindUnknownKey(Json::parse(R"({"base":1,"sise":2})"), {"base", "size", "type"}, &why), "sise");
  EXPECT_EQ(why, "unknown field \"sise\" (did you mean \"size\"?)");
  EXPECT_EQ(FindUnknownKey(Json::parse(R"({"zzzzzzzz":1})"), {"base", "size"}, &why), "zzzzzzzz");
  EXPECT_EQ(why, "unknown field \"zzzzzzzz\"");
  EXPECT_EQ(FindUnknownKey(Json::parse(R"({"base":1})"), {"base"}, &why), "");
}

// JSON pointers escape "~" and "/" (RFC 6901).
TEST(Child, EscapesPointerTokens) {
  EXPECT_EQ(Child("/e820", 3), "/e820/3");
  EXPECT_EQ(Child("", "a/b~c"), "/a~1b~0c");
}

}  // namespace
}  // namespace bootmap::io
