// Per-format line classifiers and the whole-input importers (internal to bootmap_import).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/io/import/import.h"
#include "sim/io/import/line_driver.h"

namespace bootmap::importer {

// dmesg E820 (dmesg_e820.cc). Tags in preference order: the firmware's map first.
inline constexpr std::string_view kDmesgTags[] = {"BIOS-e820", "Xen", "reserve setup_data"};
void ClassifyDmesgE820(std::string_view line, Line* out);
// "usable", "System RAM", "(ACPI NVS)", "persistent (type 12)", "type 20", ... -> type.
bool E820TypeFromText(std::string_view text, uint32_t* type);
// Shared by the dmesg and Xen forms: "[0xA-0xB] TYPE" or "A - B (TYPE)" after the tag.
inline constexpr std::string_view kE820TypeHelp =
    "usable, reserved, ACPI data, ACPI NVS, unusable, persistent (type N), soft reserved, "
    "type N";

// efi=debug (efi_debug.cc).
inline constexpr std::string_view kEfiTags[] = {"efi memNN"};
void ClassifyEfiDebug(std::string_view line, Line* out);

// UEFI Shell memmap (uefi_shell.cc).
inline constexpr std::string_view kShellTags[] = {"UEFI Shell memmap"};
void ClassifyUefiShell(std::string_view line, Line* out);

// Xen console (xen.cc).
inline constexpr std::string_view kXenTags[] = {"(XEN) e820"};
void ClassifyXen(std::string_view line, Line* out);

// multiboot2 text (multiboot2.cc).
inline constexpr std::string_view kMultibootTags[] = {"multiboot mmap"};
void ClassifyMultiboot2(std::string_view line, Line* out);

// /proc/iomem (iomem.cc): top-level ranges; ScanIomem fails on an unprivileged (all-zero)
// copy and notes the nested Kernel code range.
inline constexpr std::string_view kIomemTags[] = {"/proc/iomem"};
void ClassifyIomem(std::string_view line, Line* out);
// One /proc/iomem line, "  START-END : NAME" (inclusive end); also read by bootmap capture.
struct IomemLine {
  size_t indent = 0;
  uint64_t first = 0, last = 0;
  bool too_big = false;  // a number past 64 bits
  std::string_view name;
};
bool ParseIomemLine(std::string_view line, IomemLine* out);  // false: not that shape
bool ScanIomem(std::string_view text, const ImportOptions& options, ImportResult* result);

// GRUB lsmmap (grub_lsmmap.cc).
inline constexpr std::string_view kGrubTags[] = {"GRUB lsmmap"};
void ClassifyGrubLsmmap(std::string_view line, Line* out);

// A type name at the start of `text` in a bootloader or hobby-kernel printout
// (memory_type_names.cc): "Available", "ACPI NVS", "available RAM", ...; the longest known
// name wins. An unknown name (up to , ; | ( ) [ ]) is reserved, with *warning set. Returns
// the characters used, 0 if `text` starts with no name.
size_t ReadNamedType(std::string_view text, uint32_t* type, std::string* warning);

// sysfs and /proc/iomem resource names (sysfs.cc): "System RAM", "ACPI Tables", ...
bool KernelResourceType(std::string_view name, uint32_t* type);

// A dmesg's CPU facts (dmesg_cpu.cc): vendor, MTRRs, physical address bits, PAT (a note).
void ReadCpuFacts(std::string_view text, const ImportOptions& options, ImportResult* result);

// The kernel's "e820: update/remove" lines (kernel_view.cc): applied to result->map.e820
// in log order when options.kernel_view (those before line `map_line` are not), else
// counted (a warning under --strict). False with result->error on a malformed line.
bool ApplyKernelView(std::string_view text, size_t map_line, const ImportOptions& options,
                     ImportResult* result);

// sysfs text (sysfs.cc): "…/N/start:0x0" and friends.
bool IsSysfsLine(std::string_view line);
// sysfs text (sysfs.cc): fills result->map.e820 or sets result->error.
bool ImportSysfsText(std::string_view text, const ImportOptions& options, ImportResult* result);
bool ReadSysfsDir(const std::string& dir, const ImportOptions& options, ImportResult* result);

// QEMU fw_cfg etc/e820 (fw_cfg.cc).
bool ImportFwCfg(std::string_view bytes, const ImportOptions& options, ImportResult* result);

}  // namespace bootmap::importer
