// UEFI Shell `memmap` (edk2 ShellPkg MemMap.c; EFI 1.x shell for the lower-case names):
//   Type       Start            End              # Pages          Attributes
//   Available  0000000000008000-000000000005DFFF 0000000000000056 000000000000000F
//   ...
//     Reserved  :         18,689 Pages (76,550,144 Bytes)          (summary footer, skipped)
// End is inclusive; #Pages must match the range.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

using map::EfiType;

struct ShellName {
  std::string_view name;  // compared case-insensitively
  EfiType type;
};
constexpr ShellName kShellNames[] = {
    {"Reserved", EfiType::kReserved},
    {"LoaderCode", EfiType::kLoaderCode},
    {"LoaderData", EfiType::kLoaderData},
    {"BS_Code", EfiType::kBootServicesCode},
    {"BS_Data", EfiType::kBootServicesData},
    {"RT_Code", EfiType::kRuntimeServicesCode},
    {"RT_Data", EfiType::kRuntimeServicesData},
    {"Available", EfiType::kConventional},
    {"Unusable", EfiType::kUnusable},
    {"ACPI_Recl", EfiType::kAcpiReclaim},
    {"ACPI_NVS", EfiType::kAcpiNvs},
    {"MMIO", EfiType::kMmio},
    {"MMIO_Port", EfiType::kMmioPortSpace},
    {"PalCode", EfiType::kPalCode},
    {"Persistent", EfiType::kPersistent},
    {"Unaccepted", EfiType::kUnaccepted},
    // -sfo long names and EFI 1.x names.
    {"BootServiceCode", EfiType::kBootServicesCode},
    {"BootServiceData", EfiType::kBootServicesData},
    {"RuntimeCode", EfiType::kRuntimeServicesCode},
    {"RuntimeData", EfiType::kRuntimeServicesData},
    {"UnusableMemory", EfiType::kUnusable},
    {"ACPIReclaimMemory", EfiType::kAcpiReclaim},
    {"ACPIMemoryNVS", EfiType::kAcpiNvs},
    {"MemoryMappedIO", EfiType::kMmio},
    {"MemoryMappedIOPortSpace", EfiType::kMmioPortSpace},
    {"MemMapIO", EfiType::kMmio},
    {"MemPortIO", EfiType::kMmioPortSpace},
    {"PAL_code", EfiType::kPalCode},
};

std::string_view NextToken(std::string_view* s) {
  SkipSpaces(s);
  size_t n = 0;
  while (n < s->size() && !IsSpace((*s)[n])) ++n;
  std::string_view t = s->substr(0, n);
  s->remove_prefix(n);
  return t;
}

// "START-END" with hex digits on both sides.
bool LooksLikeRange(std::string_view t) {
  size_t dash = t.find('-');
  return dash != std::string_view::npos && dash > 0 && IsHexDigit(t[0]) && dash + 1 < t.size() &&
         IsHexDigit(t[dash + 1]);
}

}  // namespace

void ClassifyUefiShell(std::string_view line, Line* out) {
  out->table = Table::kEfi;
  std::string_view s = Trim(line);
  if (StartsWithNoCase(s, "Type") && s.find("Start") != std::string_view::npos &&
      s.find("Pages") != std::string_view::npos) {
    out->kind = LineKind::kHeader;
    return;
  }
  // Footer: "Reserved  :  18,689 Pages (76,550,144 Bytes)", "------", "Total Memory: ...".
  if (s.find("Pages (") != std::string_view::npos || StartsWithNoCase(s, "Total Memory") ||
      (!s.empty() && s.find_first_not_of('-') == std::string_view::npos)) {
    out->kind = LineKind::kNeutral;
    return;
  }
  std::string_view rest = s;
  std::string_view name = NextToken(&rest);
  std::string_view range = NextToken(&rest);
  bool known = false;
  uint64_t type = 0;
  for (const ShellName& n : kShellNames) {
    if (EqualsNoCase(name, n.name)) {
      type = static_cast<uint64_t>(n.type);
      known = true;
      break;
    }
  }
  // A memmap line has a range second; a known name followed by hex is a broken one.
  bool hexish = !range.empty() && IsHexDigit(range.front());
  if (!LooksLikeRange(range) && !(known && hexish)) return;
  if (!known) {
    // OEM/OS types print as a number in some shells.
    if (!ParseHexAll(name, &type) || type > UINT32_MAX) {
      return out->Error("expected a memory type (Available, LoaderCode, BS_Code, RT_Data, ACPI_Recl, "
                        "ACPI_NVS, MMIO, Reserved, ...), got " + Quote(name));
    }
  }
  uint64_t first = 0, last = 0, pages = 0, attributes = 0;
  std::string_view r = range;
  if (!ConsumeHex(&r, &first) || !ConsumeChar(&r, '-') || !ConsumeHex(&r, &last) || !r.empty()) {
    return out->Error("expected \"START-END\" in hex after " + Quote(name) + ", got " + Quote(range));
  }
  std::string_view pages_text = NextToken(&rest);
  std::string_view attr_text = NextToken(&rest);
  if (!ParseHexAll(pages_text, &pages) || !ParseHexAll(attr_text, &attributes) ||
      !Trim(rest).empty()) {
    return out->Error("expected \"#PAGES ATTRIBUTES\" in hex after the range, got " +
                      Quote(Trim(s.substr(static_cast<size_t>(range.data() - s.data()) +
                                          range.size()))));
  }
  uint64_t size = 0;
  if (!InclusiveSize(first, last, &size)) {
    return out->Error("end " + Hex(last) + " is below start " + Hex(first));
  }
  // UEFI 2.10 7.2: whole 4 KiB pages; the shell prints End = Start + Pages * 4 KiB - 1.
  if (first % map::kPageSize != 0 || size % map::kPageSize != 0) {
    return out->Error("range " + Hex(first) + "-" + Hex(last) + " is not whole 4 KiB pages");
  }
  if (pages != size / map::kPageSize) {
    return out->Error("#Pages " + Hex(pages) + " does not match the range " + Hex(first) + "-" +
                      Hex(last) + " (" + Hex(size / map::kPageSize) + " pages)");
  }
  out->efi = map::EfiDescriptor{};
  out->efi.type = static_cast<uint32_t>(type);
  out->efi.base = first;
  out->efi.pages = pages;
  out->efi.attributes = attributes;
  out->kind = LineKind::kEntry;
}

}  // namespace bootmap::importer
