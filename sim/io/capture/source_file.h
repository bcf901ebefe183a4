// Reading one live-system source file (procfs, sysfs, a device) whole, with the checks every
// text source gets: a size limit, no NUL or other control bytes, no line past kMaxLineBytes.
#pragma once
#include <cstddef>
#include <string>

namespace bootmap::capture {

inline constexpr size_t kMaxLineBytes = 64 * 1024;
inline constexpr size_t kMaxSourceBytes = 64ull << 20;

enum class SourceStatus { kOk, kMissing, kUnreadable, kBad };

struct SourceText {
  SourceStatus status = SourceStatus::kMissing;
  std::string text;
  std::string why;  // kMissing/kUnreadable: the system's reason; kBad: "FILE:LINE: problem"
  int err = 0;      // errno of a failed open or read
};

// "/" + "proc/cpuinfo" -> "/proc/cpuinfo"; "/tmp/t" + "proc/cpuinfo" -> "/tmp/t/proc/cpuinfo".
std::string UnderRoot(const std::string& root, const std::string& path);

// Reads `path` to its end in one pass (a /proc file is a snapshot of one read sequence).
SourceText ReadTextSource(const std::string& path);

// The text checks alone (also used on the kernel log): empty string if `text` is clean, else
// "SOURCE:LINE: problem".
std::string CheckText(const std::string& source, const std::string& text);

}  // namespace bootmap::capture
