#include "sim/map/format.h"

#include <cstdio>

namespace bootmap::map {

std::string HumanSize(unsigned __int128 bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"};
  int unit = 0;
  unsigned __int128 scale = 1;
  while (unit < 7 && bytes >= scale * 1024) {
    scale *= 1024;
    ++unit;
  }
  char buf[48];
  if (bytes % scale == 0) {
    std::snprintf(buf, sizeof buf, "%llu %s", (unsigned long long)(bytes / scale), kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", double(bytes) / double(scale), kUnits[unit]);
  }
  return buf;
}

std::string PaddedHex(unsigned __int128 value, int digits) {
  char buf[48];
  if (value >> 64) {
    std::snprintf(buf, sizeof buf, "0x%llx%016llx", (unsigned long long)(value >> 64),
                  (unsigned long long)(uint64_t)value);
  } else {
    std::snprintf(buf, sizeof buf, "0x%0*llx", digits, (unsigned long long)(uint64_t)value);
  }
  return buf;
}

}  // namespace bootmap::map
