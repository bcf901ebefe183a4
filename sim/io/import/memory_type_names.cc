// Memory-type names in bootloader and hobby-kernel printouts of the E820 / Multiboot map
// (Multiboot2 spec 3.6.8: 1 available, 2 reserved, 3 ACPI reclaimable, 4 NVS, 5 bad RAM;
// GRUB's lsmmap names, grub-core/commands/lsmmap.c, and include/grub/memory.h numbers).
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

struct NamedType {
  std::string_view name;  // lower case, single blanks
  uint32_t type;
};
constexpr NamedType kNames[] = {
    // GRUB >= 2.00 lsmmap.
    {"available ram", map::e820::kUsable},
    {"reserved ram", map::e820::kReserved},
    {"acpi reclaimable ram", map::e820::kAcpi},
    {"acpi non-volatile storage ram", map::e820::kNvs},
    {"faulty ram (badram)", map::e820::kUnusable},
    {"persistent ram (legacy)", map::e820::kPram},
    {"persistent ram", map::e820::kPmem},
    {"ram holding coreboot tables", 16},  // GRUB_MEMORY_COREBOOT_TABLES
    {"ram holding firmware code", 20},    // GRUB_MEMORY_CODE
    // GRUB 1.9x lsmmap (its own spelling of "reclaimable").
    {"acpi reclamaible", map::e820::kAcpi},
    {"badram", map::e820::kUnusable},
    {"firmware code", 20},
    // Hobby kernels and the Multiboot spec's words.
    {"available", map::e820::kUsable},
    {"usable", map::e820::kUsable},
    {"reserved", map::e820::kReserved},
    {"acpi reclaimable", map::e820::kAcpi},
    {"acpi reclaim", map::e820::kAcpi},
    {"acpi non-volatile storage", map::e820::kNvs},
    {"acpi nvs", map::e820::kNvs},
    {"nvs", map::e820::kNvs},
    {"bad ram", map::e820::kUnusable},
    {"bad memory", map::e820::kUnusable},
    {"defective", map::e820::kUnusable},
    {"unusable", map::e820::kUnusable},
};

bool IsWordChar(char c) { return IsHexDigit(c) || (ToLower(c) >= 'a' && ToLower(c) <= 'z') || c == '_'; }

// Characters of `text` that spell `name` (case and runs of blanks ignored), 0 if not a prefix
// ending at a word boundary.
size_t MatchName(std::string_view text, std::string_view name) {
  size_t i = 0;
  for (char c : name) {
    if (c == ' ') {
      if (i >= text.size() || !IsSpace(text[i])) return 0;
      while (i < text.size() && IsSpace(text[i])) ++i;
      continue;
    }
    if (i >= text.size() || ToLower(text[i]) != c) return 0;
    ++i;
  }
  if (i < text.size() && IsWordChar(text[i]) && IsWordChar(name.back())) return 0;
  return i;
}

}  // namespace

size_t ReadNamedType(std::string_view text, uint32_t* type, std::string* warning) {
  size_t best = 0;
  for (const NamedType& n : kNames) {
    size_t used = MatchName(text, n.name);
    if (used > best) {
      best = used;
      *type = n.type;
    }
  }
  if (best != 0) return best;
  // An unknown name: up to the next column separator.
  size_t end = text.find_first_of(",;|()[]");
  std::string_view name = Trim(text.substr(0, end));
  if (name.empty() || !(ToLower(name.front()) >= 'a' && ToLower(name.front()) <= 'z')) return 0;
  *type = map::e820::kReserved;
  *warning = "unknown memory type " + Quote(name) + " kept as reserved";
  return end == std::string_view::npos ? text.size() : end;
}

}  // namespace bootmap::importer
