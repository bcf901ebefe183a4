// /proc/cpuinfo (arch/x86/kernel/cpu/proc.c show_cpuinfo): the first processor's block.
//   vendor_id       : AuthenticAMD
//   flags           : fpu ... nx pdpe1gb ... la57
//   vmx flags       : vnmi ... ept ept_x_only ept_ad ept_1gb ept_5level ...
//   address sizes   : 46 bits physical, 48 bits virtual
#include <string>

#include "sim/io/capture/sources.h"
#include "sim/io/import/text_util.h"

namespace bootmap::capture {
namespace {

using importer::Trim;

bool HasWord(std::string_view words, std::string_view w) {
  while (!words.empty()) {
    importer::SkipSpaces(&words);
    size_t end = 0;
    while (end < words.size() && !importer::IsSpace(words[end])) ++end;
    if (words.substr(0, end) == w) return true;
    words.remove_prefix(end);
  }
  return false;
}

// "46 bits physical, 48 bits virtual" -> 46 (SDM Vol. 3A 4.1.4: 52 at most).
bool AddressBits(std::string_view v, const std::string& where, uint8_t* bits, std::string* error) {
  uint64_t n = 0;
  std::string_view rest = v;
  if (!importer::ConsumeDec(&rest, &n) || !importer::ConsumePrefix(&rest, " bits physical")) {
    *error = where + ": expected \"N bits physical, M bits virtual\", got " + importer::Quote(v);
    return false;
  }
  if (n < 32 || n > 52) {
    *error = where + ": " + std::to_string(n) + " bits physical is outside 32..52 (SDM Vol. 3A 4.1.4)";
    return false;
  }
  *bits = static_cast<uint8_t>(n);
  return true;
}

}  // namespace

bool ParseCpuinfo(std::string_view text, const std::string& file, map::CpuFacts* cpu,
                  std::vector<std::string>* notes, std::string* error) {
  importer::LineReader reader(text);
  std::string_view line;
  bool vendor = false, bits = false, flags = false, vmx = false, started = false;
  while (reader.Next(&line)) {
    if (Trim(line).empty()) {
      if (started) break;  // the first processor's block ends
      continue;
    }
    started = true;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = Trim(line.substr(0, colon)), value = Trim(line.substr(colon + 1));
    const std::string where = file + ":" + std::to_string(reader.line_no());
    if (key == "vendor_id") {
      vendor = true;
      cpu->vendor = value == "GenuineIntel"   ? map::CpuVendor::kIntel
                    : value == "AuthenticAMD" ? map::CpuVendor::kAmd
                                              : map::CpuVendor::kUnknown;
      if (cpu->vendor == map::CpuVendor::kUnknown)
        notes->push_back(where + ": vendor " + importer::Quote(value) + " is neither Intel nor AMD: vendor unknown");
    } else if (key == "address sizes") {
      if (!AddressBits(value, where, &cpu->maxphyaddr, error)) return false;
      bits = true;
    } else if (key == "flags") {
      flags = true;
      cpu->page1gb = HasWord(value, "pdpe1gb");  // CPUID.80000001H:EDX[26]
      cpu->la57 = HasWord(value, "la57");        // CPUID.(EAX=07H,ECX=0):ECX[16]
      cpu->nx = HasWord(value, "nx");            // CPUID.80000001H:EDX[20]
    } else if (key == "vmx flags") {
      // IA32_VMX_EPT_VPID_CAP bits 17 (ept_1gb) and 7 (ept_5level), SDM Vol. 3D A.10;
      // Linux prints no flag for bit 16 (2 MiB EPT pages): that default stays assumed.
      vmx = true;
      cpu->ept.page1gb = HasWord(value, "ept") && HasWord(value, "ept_1gb");
      cpu->ept.five_level = HasWord(value, "ept") && HasWord(value, "ept_5level");
    }
  }
  if (!started) {
    *error = file + ": no processor block";
    return false;
  }
  if (!vendor) notes->push_back(file + ": no vendor_id: vendor unknown");
  if (!bits) notes->push_back(file + ": no \"address sizes\": maxphyaddr 46 assumed (the map default)");
  if (!flags) notes->push_back(file + ": no flags line: page1gb, la57, nx kept at the map defaults (assumed)");
  if (vmx) notes->push_back(file + ": vmx flags name no 2 MiB EPT page bit: ept.page2m true assumed");
  return true;
}

}  // namespace bootmap::capture
