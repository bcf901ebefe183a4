// /sys/firmware/memmap (drivers/firmware/memmap.c): one numbered directory per entry with
// start, end (inclusive) and type files, in the firmware's order. Accepted as the
// directory itself or as the text of `grep "" /sys/firmware/memmap/*/*`:
//   /sys/firmware/memmap/0/end:0x9fbff
// Entries are ordered by number (10 after 9), whatever order the lines come in.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

constexpr std::string_view kFields[] = {"start", "end", "type"};

struct Record {
  bool has[3] = {false, false, false};
  std::string where[3];  // message location of each field
  uint64_t start = 0, end = 0;
  uint32_t type = 0;
};

class SysfsBuilder {
 public:
  explicit SysfsBuilder(const ImportOptions& options) : options_(options) {}

  // Adds one field value; `where` is "FILE:LINE" or "DIR/N/FIELD".
  bool Add(uint64_t n, int field, std::string_view value, const std::string& where,
           std::string* error) {
    if (records_.size() >= options_.max_entries && records_.find(n) == records_.end()) {
      *error = where + ": more than " + std::to_string(options_.max_entries) + " entries";
      return false;
    }
    Record& r = records_[n];
    if (r.has[field]) {
      *error = where + ": entry " + std::to_string(n) + " has a second " +
               std::string(kFields[field]) + " (first at " + r.where[field] + ")";
      return false;
    }
    r.has[field] = true;
    r.where[field] = where;
    value = Trim(value);
    if (field == 2) {
      if (KernelResourceType(value, &r.type)) return true;
      *error = where + ": expected a type (System RAM, Reserved, ACPI Tables, ACPI Non-volatile "
                       "Storage, Unusable memory, Persistent Memory, Soft Reserved), got " +
               Quote(value);
      return false;
    }
    uint64_t v = 0;
    if (!ParseNumberAll(value, &v)) {
      *error = where + ": expected a number (0x hex), got " + Quote(value);
      return false;
    }
    (field == 0 ? r.start : r.end) = v;
    return true;
  }

  bool Finish(ImportResult* result) {
    for (auto& [n, r] : records_) {
      for (int f = 0; f < 3; ++f) {
        if (!r.has[f]) {
          int known = r.has[0] ? 0 : r.has[1] ? 1 : 2;
          result->error = r.where[known] + ": entry " + std::to_string(n) + " has no " +
                          std::string(kFields[f]);
          return false;
        }
      }
      map::E820Entry e;
      e.base = r.start;
      e.type = r.type;
      if (!InclusiveSize(r.start, r.end, &e.size)) {
        result->error = r.where[1] + ": end " + Hex(r.end) + " is below start " + Hex(r.start);
        return false;
      }
      result->map.e820.push_back(e);
    }
    return true;
  }

 private:
  const ImportOptions& options_;
  std::map<uint64_t, Record> records_;  // numeric order
};

// "…/N/FIELD:VALUE" -> n, field, value. False if the line is not of that shape. Linear
// in the line: each colon is checked by a bounded look backwards.
bool SplitLine(std::string_view line, uint64_t* n, int* field, std::string_view* value) {
  for (size_t colon = line.find(':'); colon != std::string_view::npos;
       colon = line.find(':', colon + 1)) {
    std::string_view path = line.substr(0, colon);
    for (int f = 0; f < 3; ++f) {
      std::string_view name = kFields[f];
      if (path.size() < name.size() + 2 || path.substr(path.size() - name.size()) != name ||
          path[path.size() - name.size() - 1] != '/') {
        continue;
      }
      std::string_view dir = path.substr(0, path.size() - name.size() - 1);
      size_t digits = 0;
      while (digits < dir.size() && digits < 20 && IsDigit(dir[dir.size() - 1 - digits])) ++digits;
      if (digits == 0 || (digits < dir.size() && dir[dir.size() - 1 - digits] != '/')) continue;
      if (!ParseNumberAll(dir.substr(dir.size() - digits), n)) continue;
      *field = f;
      *value = line.substr(colon + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

// firmware_map_add_early(..., e820_type_to_string()) in arch/x86/kernel/e820.c; the same
// names head /proc/iomem's top-level ranges (e820__reserve_resources).
bool KernelResourceType(std::string_view name, uint32_t* type) {
  struct NamedType {
    std::string_view name;  // folded
    uint32_t type;
  };
  static constexpr NamedType kNames[] = {
      {"system ram", map::e820::kUsable},
      {"reserved", map::e820::kReserved},
      {"acpi tables", map::e820::kAcpi},
      {"acpi non-volatile storage", map::e820::kNvs},
      {"unusable memory", map::e820::kUnusable},
      {"persistent memory", map::e820::kPmem},
      {"persistent memory (legacy)", map::e820::kPram},
      {"soft reserved", map::e820::kSoftReserved},
  };
  std::string folded = Fold(name);
  for (const NamedType& t : kNames) {
    if (folded == t.name) {
      *type = t.type;
      return true;
    }
  }
  return false;
}

bool IsSysfsLine(std::string_view line) {
  uint64_t n = 0;
  int field = 0;
  std::string_view value;
  return SplitLine(Trim(line), &n, &field, &value);
}

bool ImportSysfsText(std::string_view text, const ImportOptions& options, ImportResult* result) {
  SysfsBuilder builder(options);
  LineReader reader(text);
  std::string_view line;
  while (reader.Next(&line)) {
    std::string_view t = Trim(line);
    if (t.empty() || t.front() == '#') continue;
    uint64_t n = 0;
    int field = 0;
    std::string_view value;
    std::string where = options.source + ":" + std::to_string(reader.line_no());
    if (!SplitLine(t, &n, &field, &value)) {
      if (options.strict) {
        result->error = where + ": expected \"…/N/start:0xHEX\", \"…/N/end:0xHEX\" or "
                                "\"…/N/type:NAME\" (--strict)";
        return false;
      }
      continue;
    }
    if (!builder.Add(n, field, value, where, &result->error)) return false;
  }
  return builder.Finish(result);
}

bool ReadSysfsDir(const std::string& dir, const ImportOptions& options, ImportResult* out) {
  namespace fs = std::filesystem;
  ImportResult& result = *out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    result.error = dir + ": cannot read directory: " + ec.message();
    return false;
  }
  SysfsBuilder builder(options);
  std::vector<std::pair<uint64_t, fs::path>> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    uint64_t n = 0;
    if (name.empty() || !IsDigit(name.front()) || !ParseNumberAll(name, &n)) continue;
    if (!it->is_directory(ec)) continue;
    entries.emplace_back(n, it->path());
  }
  if (ec) {
    result.error = dir + ": cannot read directory: " + ec.message();
    return false;
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& [n, path] : entries) {
    for (int f = 0; f < 3; ++f) {
      fs::path file = path / std::string(kFields[f]);
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        result.error = file.string() + ": missing (entry " + std::to_string(n) + " has no " +
                       std::string(kFields[f]) + ")";
        return false;
      }
      std::string value(256, '\0');
      in.read(value.data(), static_cast<std::streamsize>(value.size()));
      value.resize(static_cast<size_t>(in.gcount()));
      if (!builder.Add(n, f, value, file.string(), &result.error)) return false;
    }
  }
  return builder.Finish(&result);
}

}  // namespace bootmap::importer
