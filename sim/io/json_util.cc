#include "sim/io/json_util.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

namespace bootmap::io {
namespace {

bool ParseDigits(std::string_view s, unsigned base, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
    else if (c == '_') continue;
    else return false;
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

bool TooBig(std::string_view s, unsigned base) {
  // Digits only, but the value overflowed.
  for (char c : s)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '_') || (base == 10 && !std::isdigit(static_cast<unsigned char>(c))))
      return false;
  return !s.empty();
}

}  // namespace

bool ReadU64(const Json& value, bool allow_units, uint64_t* out, std::string* why) {
  if (value.is_number_unsigned()) {
    *out = value.get<uint64_t>();
    return true;
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    *out = uint64_t(value.get<int64_t>());
    return true;
  }
  if (value.is_number_integer()) {
    *why = "expected a non-negative number, got " + Describe(value);
    return false;
  }
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    std::string inner;
    if (ParseU64Text(s, allow_units, out, &inner)) return true;
    *why = inner + ", got " + Describe(value);
    return false;
  }
  if (value.is_number_float()) {
    *why = "expected an integer (floating-point numbers lose precision), got " + Describe(value);
    return false;
  }
  *why = std::string(allow_units ? "expected a hex string, integer or size like \"4 GiB\""
                                 : "expected a hex string or integer") +
         ", got " + Describe(value);
  return false;
}

bool ParseU64Text(std::string_view text, bool allow_units, uint64_t* out, std::string* why) {
  const std::string_view kind =
      allow_units ? "expected a hex string, integer or size like \"4 GiB\"" : "expected a hex string or integer";
  std::string_view s = text;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    if (ParseDigits(s, 16, out)) return true;
    *why = TooBig(s, 16) ? "number does not fit in 64 bits" : std::string(kind);
    return false;
  }
  if (ParseDigits(s, 10, out)) return true;
  if (TooBig(s, 10)) {
    *why = "number does not fit in 64 bits";
    return false;
  }
  if (allow_units) {
    size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    std::string_view unit = s.substr(digits);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    constexpr std::array<std::pair<std::string_view, unsigned>, 7> kUnits = {{
        {"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"PiB", 50}, {"EiB", 60}}};
    uint64_t n;
    if (digits > 0 && ParseDigits(s.substr(0, digits), 10, &n)) {
      for (const auto& [name, shift] : kUnits) {
        if (unit != name) continue;
        if (shift > 0 && n > (UINT64_MAX >> shift)) {
          *why = "size does not fit in 64 bits";
          return false;
        }
        *out = n << shift;
        return true;
      }
      if (unit.size() >= 2 && unit.back() == 'B') {  // "4 GB": a unit, but not a binary one
        *why = "unknown size unit \"" + std::string(unit) + "\" (use B, KiB, MiB, GiB, TiB, PiB or EiB)";
        return false;
      }
    }
  }
  *why = std::string(kind);
  return false;
}

std::string_view DidYouMean(std::string_view word, std::initializer_list<std::string_view> candidates) {
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view c : candidates) {
    // Levenshtein distance, small strings only.
    if (word.size() > 64 || c.size() > 64) continue;
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t above = row[j];
        size_t cost = std::tolower(static_cast<unsigned char>(word[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(c[j - 1]))
                          ? 0
                          : 1;
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
        diagonal = above;
      }
    }
    if (row[c.size()] < best_distance) {
      best_distance = row[c.size()];
      best = c;
    }
  }
  return best_distance <= std::max<size_t>(2, word.size() / 3) ? best : std::string_view{};
}

std::string FindUnknownKey(const Json& object, std::initializer_list<std::string_view> known,
                           std::string* why) {
  for (const auto& [key, value] : object.items()) {
    (void)value;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    *why = "unknown field \"" + key + "\"";
    std::string_view hint = DidYouMean(key, known);
    if (!hint.empty()) *why += " (did you mean \"" + std::string(hint) + "\"?)";
    return key;
  }
  return "";
}

std::string Child(const std::string& pointer, std::string_view key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') escaped += "~0";
    else if (c == '/') escaped += "~1";
    else escaped += c;
  }
  return pointer + "/" + escaped;
}

std::string Child(const std::string& pointer, size_t index) {
  return pointer + "/" + std::to_string(index);
}

std::string Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::null: return "null";
    case Json::value_t::discarded: return "nothing";
    default: break;
  }
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

}  // namespace bootmap::io
