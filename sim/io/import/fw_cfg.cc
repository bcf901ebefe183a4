// QEMU fw_cfg file "etc/e820" (hw/i386/e820_memory_layout.h struct e820_entry): packed
// little-endian entries of 20 bytes: u64 address, u64 length, u32 type.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

constexpr size_t kEntryBytes = 20;

uint64_t LoadLe(std::string_view bytes, size_t offset, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[offset + static_cast<size_t>(i)]);
  }
  return v;
}

}  // namespace

bool ImportFwCfg(std::string_view bytes, const ImportOptions& options, ImportResult* result) {
  if (bytes.size() % kEntryBytes != 0) {
    result->error = options.source + ": expected a whole number of 20-byte etc/e820 entries, got " +
                    std::to_string(bytes.size()) + " bytes";
    return false;
  }
  size_t count = bytes.size() / kEntryBytes;
  if (count > options.max_entries) {
    result->error = options.source + ": more than " + std::to_string(options.max_entries) +
                    " entries (the limit)";
    return false;
  }
  result->map.e820.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    size_t at = i * kEntryBytes;
    map::E820Entry e;
    e.base = LoadLe(bytes, at, 8);
    e.size = LoadLe(bytes, at + 8, 8);
    e.type = static_cast<uint32_t>(LoadLe(bytes, at + 16, 4));
    std::string where = options.source + ": entry " + std::to_string(i) + " (byte " +
                        std::to_string(at) + "): ";
    if (e.size != 0 && e.base + (e.size - 1) < e.base) {
      result->error = where + "address " + Hex(e.base) + " + length " + Hex(e.size) +
                      " passes 2^64";
      return false;
    }
    if (e.size == 0) result->warnings.push_back(where + "zero-length entry at " + Hex(e.base));
    result->map.e820.push_back(e);
  }
  return true;
}

}  // namespace bootmap::importer
