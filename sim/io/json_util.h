// Helpers for reading bootmap JSON documents with precise, pointer-addressed errors.
// Used by the map loader and the layout loader; no exception leaves these functions.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim/map/format.h"

namespace bootmap::io {

using Json = nlohmann::json;

// Text of a number: "0x..." hex, decimal, or (allow_units) a size with a binary unit
// ("4 GiB", "2MiB", "512 KiB"). False with *why set on failure.
bool ParseU64Text(std::string_view text, bool allow_units, uint64_t* out, std::string* why);

using map::Hex;  // "0x9fc00"

// A JSON integer, or a string: "0x..." hex, decimal, or (allow_units) "4 GiB" style.
bool ReadU64(const Json& value, bool allow_units, uint64_t* out, std::string* why);

// First member of `object` whose name is not in `known`; "" if none. `why` gets
// "unknown field \"basee\" (did you mean \"base\"?)".
std::string FindUnknownKey(const Json& object, std::initializer_list<std::string_view> known,
                           std::string* why);

// Closest of `candidates` to `word` by edit distance, "" if none is close.
std::string_view DidYouMean(std::string_view word,
                            std::initializer_list<std::string_view> candidates);

// JSON pointer with one more token ("/e820" + 3 -> "/e820/3").
std::string Child(const std::string& pointer, std::string_view key);
std::string Child(const std::string& pointer, size_t index);

// Short rendering of a value for error messages ("\"12Q\"", "true", "[...]").
std::string Describe(const Json& value);

}  // namespace bootmap::io
