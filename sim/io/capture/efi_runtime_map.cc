// /sys/firmware/efi/runtime-map (drivers/firmware/efi/runtime-map.c): one numbered directory
// per EFI runtime descriptor, files type, phys_addr, num_pages, attribute, virt_addr ("0x%llx").
#include <algorithm>
#include <filesystem>
#include <string>

#include "sim/io/capture/source_file.h"
#include "sim/io/capture/sources.h"
#include "sim/io/import/text_util.h"

namespace bootmap::capture {
namespace {

constexpr size_t kMaxDescriptors = 1 << 16;

bool ReadField(const std::filesystem::path& file, uint64_t* v, std::string* error) {
  SourceText t = ReadTextSource(file.string());
  if (t.status == SourceStatus::kBad) {
    *error = t.why;
    return false;
  }
  if (t.status != SourceStatus::kOk) {
    *error = file.string() + ": cannot read: " + t.why;
    return false;
  }
  const std::string_view value = importer::Trim(t.text);
  if (!importer::ParseNumberAll(value, v)) {
    *error = file.string() + ":1: expected a number (0x hex) of at most 64 bits, got " + importer::Quote(value);
    return false;
  }
  return true;
}

}  // namespace

bool ReadEfiRuntimeMap(const std::string& dir, std::vector<map::EfiDescriptor>* out, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return false;  // missing: not an EFI boot, or no runtime-map
  std::vector<std::pair<uint64_t, fs::path>> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    uint64_t n = 0;
    if (name.empty() || !importer::IsDigit(name.front()) || !importer::ParseNumberAll(name, &n)) continue;
    if (entries.size() >= kMaxDescriptors) {
      *error = dir + ": more than " + std::to_string(kMaxDescriptors) + " descriptors";
      return false;
    }
    entries.emplace_back(n, it->path());
  }
  if (ec) {
    *error = dir + ": cannot read directory: " + ec.message();
    return false;
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& [n, path] : entries) {
    map::EfiDescriptor d;
    uint64_t type = 0;
    if (!ReadField(path / "type", &type, error) || !ReadField(path / "phys_addr", &d.base, error) ||
        !ReadField(path / "num_pages", &d.pages, error) || !ReadField(path / "attribute", &d.attributes, error) ||
        !ReadField(path / "virt_addr", &d.virt, error))
      return false;
    if (type > UINT32_MAX) {
      *error = (path / "type").string() + ":1: type " + importer::Hex(type) + " does not fit 32 bits (UEFI 2.10 7.2)";
      return false;
    }
    d.type = uint32_t(type);
    out->push_back(d);
  }
  return true;
}

}  // namespace bootmap::capture
