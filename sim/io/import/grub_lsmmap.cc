// GRUB's `lsmmap` command (grub-core/commands/lsmmap.c), one line per firmware entry:
//   base_addr = 0x0, length = 0x9fc00, available RAM          (GRUB >= 2.00)
//   base_addr = 0x0, length = 0x9fc00, available              (GRUB 1.9x)
//   base_addr = 0xfd00000000, length = 0x300000000, type = 0x14   (no name for the type)
// Names are GRUB's (memory_type_names.cc; include/grub/memory.h numbers them as E820);
// a translated or unknown name is kept as reserved with a warning. Anything before
// "base_addr" (a prompt, a console timestamp) is ignored.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {

void ClassifyGrubLsmmap(std::string_view line, Line* out) {
  out->table = Table::kE820;
  size_t at = line.find("base_addr = ");
  if (at == std::string_view::npos) return;
  std::string_view r = line.substr(at + 12);
  uint64_t base = 0, length = 0, type = 0;
  std::string warning;
  bool ok = ConsumeHex0x(&r, &base) && ConsumePrefix(&r, ", length = ") &&
            ConsumeHex0x(&r, &length) && ConsumePrefix(&r, ", ");
  std::string_view rest = Trim(r);
  if (ok && ConsumePrefix(&rest, "type = ")) {
    ok = ConsumeHex0x(&rest, &type) && rest.empty() && type <= UINT32_MAX;
  } else if (ok) {
    uint32_t named = 0;
    size_t used = ReadNamedType(rest, &named, &warning);
    ok = used != 0;
    if (ok && (used != rest.size() || !warning.empty())) {  // the whole rest is the name
      named = map::e820::kReserved;
      warning = "unknown memory type " + Quote(rest) + " kept as reserved";
    }
    type = named;
  }
  if (!ok) {
    return out->Error(
        "expected \"base_addr = 0xN, length = 0xN, NAME\" or \"..., type = 0xN\" (GRUB lsmmap), "
        "got " + Quote(Trim(line)));
  }
  if (length != 0 && base + (length - 1) < base) {
    return out->Error("base_addr " + Hex(base) + " + length " + Hex(length) + " passes 2^64");
  }
  out->text = length == 0 ? "zero-length entry at " + Hex(base) : std::move(warning);
  out->e820 = {base, length, static_cast<uint32_t>(type)};
  out->kind = LineKind::kEntry;
}

}  // namespace bootmap::importer
