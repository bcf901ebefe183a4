// Small string_view scanners shared by the importers (no std::regex: it is slow and its
// backtracking recursion can exhaust the stack on hostile input).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/map/format.h"

namespace bootmap::importer {

// Splits text into lines at '\n' and drops a trailing '\r'. Line numbers start at 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  bool Next(std::string_view* line);
  size_t line_no() const { return line_no_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
};

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c);
char ToLower(char c);

std::string_view Trim(std::string_view s);
void SkipSpaces(std::string_view* s);
bool ConsumePrefix(std::string_view* s, std::string_view prefix);
bool ConsumeChar(std::string_view* s, char c);
bool EqualsNoCase(std::string_view a, std::string_view b);
bool StartsWithNoCase(std::string_view s, std::string_view prefix);
// Lower case with runs of blanks collapsed to one space, trimmed.
std::string Fold(std::string_view s);

// Unsigned numbers. Each consumes what it parsed and returns false (s untouched) if there
// is no digit or the value exceeds 64 bits. ConsumeNumber takes "0x.." as hex, else decimal.
bool ConsumeHex(std::string_view* s, uint64_t* v);
bool ConsumeDec(std::string_view* s, uint64_t* v);
bool ConsumeHex0x(std::string_view* s, uint64_t* v);  // requires the 0x / 0X prefix
bool ConsumeNumber(std::string_view* s, uint64_t* v);
// Whole-string forms.
bool ParseHexAll(std::string_view s, uint64_t* v);    // optional 0x
bool ParseNumberAll(std::string_view s, uint64_t* v);  // 0x.. hex or decimal

// "\"text\"" for messages: at most 60 characters, control bytes as \xNN.
std::string Quote(std::string_view s);
using map::Hex;  // "0x9fc00"

// Inclusive [first, last] -> size; false if last < first or the range is all 2^64 bytes.
bool InclusiveSize(uint64_t first, uint64_t last, uint64_t* size);

}  // namespace bootmap::importer
