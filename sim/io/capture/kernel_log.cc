// The kernel log: /dev/kmsg (Documentation/ABI/testing/dev-kmsg) gives one record per read,
// "PRI,SEQ,TS,FLAGS;MESSAGE\n" plus " KEY=VALUE" continuation lines; read without blocking
// until EAGAIN (EPIPE: records overwritten while reading, skipped). A regular file (a test's
// fake tree, a saved log) is read to its end; lines without the record prefix stay as they are.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "sim/io/capture/source_file.h"
#include "sim/io/capture/sources.h"
#include "sim/io/import/text_util.h"

namespace bootmap::capture {
namespace {

// "6,339,5140900,-;efi: mem00: ..." -> "efi: mem00: ..."; continuation lines -> "".
std::string_view Message(std::string_view line) {
  if (!line.empty() && line.front() == ' ') return {};
  const size_t semi = line.find(';');
  if (semi == std::string_view::npos) return line;
  const std::string_view head = line.substr(0, semi);
  for (char c : head) {
    if (!importer::IsDigit(c) && c != ',' && c != '-' && c != '+' && c != 'c') return line;
  }
  return line.substr(semi + 1);
}

}  // namespace

LogStatus ReadKernelLog(const std::string& path, std::string* text, std::string* why, int* err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    *why = std::strerror(errno);
    return errno == ENOENT ? LogStatus::kMissing : LogStatus::kUnreadable;
  }
  std::string raw;
  char buf[16384];  // larger than any record (PRINTKRB_RECORD_MAX 1024 + prefix)
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EPIPE)) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      *err = errno;
      *why = std::string("read error: ") + std::strerror(errno);
      ::close(fd);
      return LogStatus::kUnreadable;
    }
    if (n == 0) break;
    if (raw.size() + size_t(n) > kMaxSourceBytes) {
      *why = path + ": larger than " + std::to_string(kMaxSourceBytes) + " bytes";
      ::close(fd);
      return LogStatus::kBad;
    }
    raw.append(buf, size_t(n));
  }
  ::close(fd);
  if (std::string bad = CheckText(path, raw); !bad.empty()) {
    *why = bad;
    return LogStatus::kBad;
  }
  importer::LineReader reader(raw);
  std::string_view line;
  text->clear();
  while (reader.Next(&line)) {
    text->append(Message(line));
    text->push_back('\n');
  }
  return LogStatus::kOk;
}

}  // namespace bootmap::capture
