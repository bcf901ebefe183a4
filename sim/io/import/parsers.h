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

// sysfs text (sysfs.cc): "…/N/start:0x0" and friends.
bool IsSysfsLine(std::string_view line);
// sysfs text (sysfs.cc): fills result->map.e820 or sets result->error.
bool ImportSysfsText(std::string_view text, const ImportOptions& options, ImportResult* result);
bool ReadSysfsDir(const std::string& dir, const ImportOptions& options, ImportResult* result);

// QEMU fw_cfg etc/e820 (fw_cfg.cc).
bool ImportFwCfg(std::string_view bytes, const ImportOptions& options, ImportResult* result);

}  // namespace bootmap::importer
