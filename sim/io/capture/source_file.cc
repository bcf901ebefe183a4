#include "sim/io/capture/source_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bootmap::capture {

std::string UnderRoot(const std::string& root, const std::string& path) {
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r == "/" ? "/" + path : r + "/" + path;
}

std::string CheckText(const std::string& source, const std::string& text) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      continue;
    }
    if (i - line_start >= kMaxLineBytes)
      return source + ":" + std::to_string(line) + ": line longer than " + std::to_string(kMaxLineBytes) + " bytes";
    if (c == 0)
      return source + ":" + std::to_string(line) + ": NUL byte at column " + std::to_string(i - line_start + 1) +
             " (binary data in a text file)";
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      return source + ":" + std::to_string(line) + ": control byte " + hex + " at column " +
             std::to_string(i - line_start + 1) + " (binary data in a text file)";
    }
  }
  return "";
}

SourceText ReadTextSource(const std::string& path) {
  SourceText out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    out.err = errno;
    out.status = errno == ENOENT || errno == ENOTDIR ? SourceStatus::kMissing : SourceStatus::kUnreadable;
    out.why = std::strerror(errno);
    return out;
  }
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.err = errno;
      out.status = SourceStatus::kUnreadable;
      out.why = std::string("read error: ") + std::strerror(errno);
      ::close(fd);
      return out;
    }
    if (n == 0) break;
    if (out.text.size() + size_t(n) > kMaxSourceBytes) {
      out.status = SourceStatus::kBad;
      out.why = path + ": larger than " + std::to_string(kMaxSourceBytes) + " bytes";
      ::close(fd);
      return out;
    }
    out.text.append(buf, size_t(n));
  }
  ::close(fd);
  out.why = CheckText(path, out.text);
  out.status = out.why.empty() ? SourceStatus::kOk : SourceStatus::kBad;
  if (out.status == SourceStatus::kBad) out.text.clear();
  return out;
}

}  // namespace bootmap::capture
