#include "sim/io/import/text_util.h"

namespace bootmap::importer {

bool LineReader::Next(std::string_view* line) {
  if (pos_ >= text_.size()) return false;
  size_t nl = text_.find('\n', pos_);
  size_t end = nl == std::string_view::npos ? text_.size() : nl;
  std::string_view l = text_.substr(pos_, end - pos_);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  ++line_no_;
  *line = l;
  return true;
}

bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

void SkipSpaces(std::string_view* s) {
  while (!s->empty() && IsSpace(s->front())) s->remove_prefix(1);
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeChar(std::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

std::string Fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool blank = false;
  for (char c : Trim(s)) {
    if (IsSpace(c)) {
      blank = true;
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(ToLower(c));
  }
  return out;
}

namespace {

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  char l = ToLower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

}  // namespace

bool ConsumeHex(std::string_view* s, uint64_t* v) {
  uint64_t value = 0;
  size_t i = 0;
  for (; i < s->size(); ++i) {
    int d = HexValue((*s)[i]);
    if (d < 0) break;
    if (value >> 60) return false;  // a fifth nibble past 64 bits
    value = (value << 4) | static_cast<uint64_t>(d);
  }
  if (i == 0) return false;
  s->remove_prefix(i);
  *v = value;
  return true;
}

bool ConsumeDec(std::string_view* s, uint64_t* v) {
  uint64_t value = 0;
  size_t i = 0;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    uint64_t d = static_cast<uint64_t>((*s)[i] - '0');
    if (value > (UINT64_MAX - d) / 10) return false;
    value = value * 10 + d;
  }
  if (i == 0) return false;
  s->remove_prefix(i);
  *v = value;
  return true;
}

bool ConsumeHex0x(std::string_view* s, uint64_t* v) {
  if (s->size() < 3 || (*s)[0] != '0' || ((*s)[1] != 'x' && (*s)[1] != 'X')) return false;
  std::string_view rest = s->substr(2);
  if (!ConsumeHex(&rest, v)) return false;
  *s = rest;
  return true;
}

bool ConsumeNumber(std::string_view* s, uint64_t* v) {
  if (ConsumeHex0x(s, v)) return true;
  if (s->size() >= 2 && (*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X')) return false;
  return ConsumeDec(s, v);
}

bool ParseHexAll(std::string_view s, uint64_t* v) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  return ConsumeHex(&s, v) && s.empty();
}

bool ParseNumberAll(std::string_view s, uint64_t* v) { return ConsumeNumber(&s, v) && s.empty(); }

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (n++ == kMax) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 0xf]);
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  out += "\"";
  return out;
}

bool InclusiveSize(uint64_t first, uint64_t last, uint64_t* size) {
  if (last < first) return false;
  if (first == 0 && last == UINT64_MAX) return false;
  *size = last - first + 1;
  return true;
}

}  // namespace bootmap::importer
