// Importers: dumped firmware memory maps (dmesg, efi=debug, UEFI Shell memmap, sysfs,
// Xen, QEMU fw_cfg etc/e820, multiboot2 text, /proc/iomem, GRUB lsmmap) -> map::MemoryMap, entries exactly as the
// firmware reported them (order kept, inclusive ends made half-open, one entry per line).
// See README.md in this folder for every accepted shape.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/map/memory_map.h"

namespace bootmap::importer {

enum class Format : uint8_t {
  kAuto,
  kDmesg,       // BIOS-e820 / Xen / reserve setup_data lines, plus efi: memNN lines if any
  kEfiDebug,    // efi: memNN lines only
  kUefiShell,   // UEFI Shell `memmap`
  kSysfs,       // /sys/firmware/memmap (directory, or `grep "" .../*/*` text)
  kXen,         // (XEN) lines
  kFwCfg,       // QEMU fw_cfg etc/e820 binary
  kMultiboot2,  // base_addr = .., length = .., type = N (or a type name)
  kIomem,       // /proc/iomem
  kGrubLsmmap,  // GRUB lsmmap: base_addr = .., length = .., available RAM
};

std::string_view FormatName(Format f);  // "auto", "dmesg", "efi-debug", ...
std::optional<Format> FormatFromName(std::string_view name);

struct ImportOptions {
  std::string source = "<input>";  // names the input in messages ("FILE:LINE: ...")
  bool strict = false;             // any unrecognised line inside a map block is an error
  bool kernel_view = false;        // dmesg: apply the kernel's "e820: update/remove" lines
  uint64_t max_entries = 4'000'000;          // per table, as io::MapLimits
  uint64_t max_input_bytes = 512ull << 20;   // 512 MiB
};

struct ImportResult {
  bool ok = false;
  std::string error;                  // "FILE:LINE: what was expected" (whole-input: "FILE: ...")
  std::vector<std::string> warnings;  // "FILE:LINE: ..." each
  std::vector<std::string> notes;     // where facts came from, what --kernel-view applied
  std::string origin_suffix;          // appended to the map's origin ("; kernel view: ...")
  Format format = Format::kAuto;      // the format actually parsed
  map::MemoryMap map;                 // name empty; origin describes the source
};

// One entry point for every text or binary format (the fuzzer calls this). Never
// throws, never reads outside `input`; on error `map` is left empty.
ImportResult Import(std::string_view input, Format format, const ImportOptions& options);

// A /sys/firmware/memmap directory (or a copy of one): numbered subdirectories holding
// start, end (inclusive) and type files.
ImportResult ImportSysfsDir(const std::string& dir, const ImportOptions& options);

// What auto-detection picks for `input`; kAuto if no map line was found.
Format DetectFormat(std::string_view input);

}  // namespace bootmap::importer
