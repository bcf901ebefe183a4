// CPU facts a Linux boot log states, read beside its memory map:
//   smpboot: CPU0: AMD EPYC 7443P 24-Core Processor (family: 0x19, ...)   vendor
//   MTRR default type: uncachable                                     } print_mtrr_state(),
//   MTRR fixed ranges enabled:  /  00000-9FFFF write-back              } arch/x86/kernel/cpu/
//   MTRR variable ranges enabled:  /  0 base 0080000000 mask FF80000000 uncachable  } mtrr/
//   x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- UC       (a note: no map field)
//   ... 40 bits physical, 48 bits virtual                              physical address bits
// The variable MTRR masks carry every address bit the CPU has (SDM Vol. 3A 12.11.2.3), so
// they give MAXPHYADDR when nothing else does. Every fact says where it came from.
#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

// SDM Vol. 3A 12.11.1: IA32_MTRRCAP.VCNT (8 bits) variable ranges at most; 11 fixed-range
// registers of 8 ranges each, printed merged into runs.
constexpr size_t kMaxVariable = 255;
constexpr size_t kMaxFixed = 88;

// mtrr_attrib_to_str() in arch/x86/kernel/cpu/mtrr/mtrr.c.
bool MtrrType(std::string_view s, MemType* t) {
  struct Name {
    std::string_view text;
    MemType type;
  };
  static constexpr Name kNames[] = {
      {"uncachable", MemType::kUC},     {"write-combining", MemType::kWC},
      {"write-through", MemType::kWT},  {"write-protect", MemType::kWP},
      {"write-back", MemType::kWB},
  };
  for (const Name& n : kNames) {
    if (s == n.text) {
      *t = n.type;
      return true;
    }
  }
  return false;
}

// The last blank-separated word of `s` (after trimming), and what precedes it.
std::string_view LastWord(std::string_view s, std::string_view* before) {
  s = Trim(s);
  size_t at = s.find_last_of(" \t]");
  *before = at == std::string_view::npos ? std::string_view() : s.substr(0, at + 1);
  return at == std::string_view::npos ? s : s.substr(at + 1);
}

// "  00000-9FFFF write-back" (print_fixed_last: inclusive, fixed-range granular).
bool FixedLine(std::string_view line, map::MtrrRange* r) {
  std::string_view before;
  MemType type{};
  if (!MtrrType(LastWord(line, &before), &type)) return false;
  std::string_view range = LastWord(before, &before);
  uint64_t first = 0, last = 0;
  if (!ConsumeHex(&range, &first) || !ConsumeChar(&range, '-') || !ConsumeHex(&range, &last) ||
      !range.empty() || last < first || last >= 0x100000) {
    return false;
  }
  // SDM Vol. 3A 12.11.2.2: 64 KiB units below 0x80000, 16 KiB to 0xC0000, 4 KiB to 1 MiB.
  uint64_t end = last + 1;
  uint64_t unit = first < 0x80000 ? 0x10000 : first < 0xC0000 ? 0x4000 : 0x1000;
  uint64_t end_unit = end <= 0x80000 ? 0x10000 : end <= 0xC0000 ? 0x4000 : 0x1000;
  if (first % unit != 0 || end % end_unit != 0) return false;
  *r = {first, end - first, type};
  return true;
}

// "  0 base 0080000000 mask FF80000000 uncachable" or "  1 disabled". false: not such a line.
bool VariableLine(std::string_view line, bool* enabled, map::MtrrVariable* v) {
  std::string_view before;
  std::string_view last = LastWord(line, &before);
  uint64_t index = 0;
  if (last == "disabled") {
    std::string_view n = LastWord(before, &before);
    *enabled = false;
    return ParseNumberAll(n, &index);
  }
  size_t at = line.find(" base ");
  if (at == std::string_view::npos || !MtrrType(last, &v->type)) return false;
  std::string_view r = line.substr(at + 6);
  *enabled = true;
  return ConsumeHex(&r, &v->base) && ConsumePrefix(&r, " mask ") && ConsumeHex(&r, &v->mask) &&
         Trim(r) == last;
}

int BitLength(uint64_t v) {
  int bits = 0;
  while (v != 0) {
    ++bits;
    v >>= 1;
  }
  return bits;
}

class CpuFactReader {
 public:
  CpuFactReader(const ImportOptions& options, ImportResult* result)
      : options_(options), result_(result) {}

  void Line(std::string_view raw, size_t n);
  void Finish();
  void FinishMtrr();  // also the stated physical address bits

 private:
  enum class Block : uint8_t { kNone, kFixed, kVariable };
  // A fact taken from line n: a note, and its name in the map's origin.
  void Fact(size_t n, std::string_view field, const std::string& what) {
    result_->notes.push_back(At(options_, n, what));
    facts_ += (facts_.empty() ? "" : ", ") + std::string(field) + " (line " + std::to_string(n) + ")";
  }
  void Note(size_t n, const std::string& what) { result_->notes.push_back(At(options_, n, what)); }
  void Vendor(std::string_view raw, size_t n);
  bool MtrrLine(std::string_view raw, size_t n);
  void Pat(std::string_view raw, size_t n);

  const ImportOptions& options_;
  ImportResult* result_;
  bool have_vendor_ = false;
  int phys_bits_ = 0;
  size_t phys_line_ = 0;
  bool second_ = false;
  bool have_default_ = false, variable_enabled_ = true, fixed_enabled_ = false, bad_ = false;
  std::string bad_why_;
  map::Mtrrs mtrr_;
  Block block_ = Block::kNone;
  size_t mtrr_first_ = 0, mtrr_last_ = 0;
  std::string facts_;  // "cpu.vendor (line 412), mtrr (line 40)"
};

// The boot CPU's model line (smpboot.c print_cpu_info: "smpboot: CPU0: AMD EPYC ...") or
// the vendor's PMU driver (perf_event: "Performance Events: ..., Intel PMU driver.").
void CpuFactReader::Vendor(std::string_view raw, size_t n) {
  if (have_vendor_) return;
  std::string_view source = "the boot CPU line ";
  size_t at = raw.find("CPU0: ");
  if (at != std::string_view::npos) {
    at += 6;
  } else if ((at = raw.find("Performance Events: ")) != std::string_view::npos &&
             raw.find(" PMU driver") != std::string_view::npos) {
    source = "the PMU driver line ";
  } else {
    return;
  }
  std::string_view text = raw.substr(at);
  map::CpuVendor v = map::CpuVendor::kUnknown;
  if (text.find("AMD") != std::string_view::npos) v = map::CpuVendor::kAmd;
  if (text.find("Intel") != std::string_view::npos) v = map::CpuVendor::kIntel;
  if (v == map::CpuVendor::kUnknown) return;
  have_vendor_ = true;
  result_->map.cpu.vendor = v;
  Fact(n, "cpu.vendor", std::string("cpu.vendor ") + (v == map::CpuVendor::kAmd ? "amd" : "intel") +
                            " from " + std::string(source) + Quote(Trim(text)));
}

// One line of print_mtrr_state(); false when it is none.
bool CpuFactReader::MtrrLine(std::string_view raw, size_t n) {
  if (second_) return false;
  size_t at = raw.find("MTRR default type: ");
  bool header = true;
  if (at != std::string_view::npos && mtrr_first_ != 0) {  // a second boot in the same log
    second_ = true;
    result_->warnings.push_back(At(options_, n, "a second MTRR printout was ignored; the one at line " +
                                                   std::to_string(mtrr_first_) + " was used"));
    return false;
  }
  if (at != std::string_view::npos) {
    have_default_ = MtrrType(Trim(raw.substr(at + 19)), &mtrr_.default_type);
    if (!have_default_) bad_why_ = "unknown default type " + Quote(Trim(raw.substr(at + 19)));
    bad_ = !have_default_;
    block_ = Block::kNone;
  } else if ((at = raw.find("MTRR fixed ranges ")) != std::string_view::npos) {
    fixed_enabled_ = raw.substr(at + 18, 2) == "en";
    block_ = Block::kFixed;
  } else if ((at = raw.find("MTRR variable ranges ")) != std::string_view::npos) {
    variable_enabled_ = raw.substr(at + 21, 2) == "en";
    block_ = Block::kVariable;
  } else {
    header = false;
  }
  if (header) {
    if (mtrr_first_ == 0) mtrr_first_ = n;
    mtrr_last_ = n;
    return true;
  }
  map::MtrrRange fixed;
  map::MtrrVariable var;
  bool enabled = false;
  if (block_ == Block::kFixed && FixedLine(raw, &fixed)) {
    if (fixed_enabled_ && mtrr_.fixed.size() < kMaxFixed) mtrr_.fixed.push_back(fixed);
  } else if (block_ == Block::kVariable && VariableLine(raw, &enabled, &var)) {
    if (enabled && mtrr_.variable.size() == kMaxVariable) {
      bad_ = true;
      bad_why_ = "more than " + std::to_string(kMaxVariable) + " variable ranges";
    } else if (enabled) {
      mtrr_.variable.push_back(var);
    }
  } else {
    block_ = Block::kNone;
    return false;
  }
  mtrr_last_ = n;
  return true;
}

void CpuFactReader::Pat(std::string_view raw, size_t n) {
  constexpr std::string_view kPat = "x86/PAT: Configuration [0-7]: ";  // pat_bp_init()
  size_t at = raw.find(kPat);
  if (at != std::string_view::npos) {
    Note(n, "PAT the kernel loaded: " + Quote(Trim(raw.substr(at + kPat.size()))) +
                " (map files have no PAT field, so it is not imported)");
    return;
  }
  at = raw.find("PAT enabled: ");
  size_t fresh = raw.find("new 0x");
  if (at != std::string_view::npos && fresh != std::string_view::npos) {
    Note(n, "PAT MSR the kernel loaded: " + Quote(Trim(raw.substr(fresh + 4))) +
                " (map files have no PAT field, so it is not imported)");
  }
}

void CpuFactReader::Line(std::string_view raw, size_t n) {
  if (MtrrLine(raw, n)) return;
  if (raw.find("New variable MTRRs") != std::string_view::npos) {  // mtrr_cleanup()
    Note(n, "mtrr_cleanup rewrote the variable MTRRs here; the map keeps the firmware's "
            "(print_mtrr_state)");
  }
  Vendor(raw, n);
  Pat(raw, n);
  size_t at = raw.find(" bits physical");
  if (phys_bits_ == 0 && at != std::string_view::npos) {
    std::string_view before;
    std::string_view digits = LastWord(raw.substr(0, at), &before);
    uint64_t bits = 0;
    if (ParseNumberAll(digits, &bits) && bits >= 32 && bits <= 52) {
      phys_bits_ = static_cast<int>(bits);
      phys_line_ = n;
    }
  }
}

void CpuFactReader::Finish() {
  FinishMtrr();
  if (!facts_.empty()) result_->origin_suffix += "; from the log: " + facts_;
}

void CpuFactReader::FinishMtrr() {
  map::CpuFacts& cpu = result_->map.cpu;
  if (phys_bits_ != 0) {
    cpu.maxphyaddr = static_cast<uint8_t>(phys_bits_);
    Fact(phys_line_, "cpu.maxphyaddr", "cpu.maxphyaddr " + std::to_string(phys_bits_) + " as the log states");
  }
  if (mtrr_first_ == 0) return;
  std::string where = "lines " + std::to_string(mtrr_first_) + "-" + std::to_string(mtrr_last_);
  if (!variable_enabled_) {  // SDM Vol. 3A 12.11.2.1: MTRRs off (E clear): all memory UC
    mtrr_ = map::Mtrrs{};
  }
  int mask_bits = 0;
  for (const map::MtrrVariable& v : mtrr_.variable) {
    int bits = BitLength(v.mask);
    uint64_t phys = bits >= 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t low_zeros = ~v.mask & phys;  // SDM Vol. 3A 12.11.2.3: contiguous, base aligned
    if ((mask_bits != 0 && bits != mask_bits) || bits < 32 || bits > 52 ||
        (low_zeros & (low_zeros + 1)) != 0 || (v.base & low_zeros) != 0 || (v.base & ~phys) != 0 ||
        v.base % map::kPageSize != 0) {
      bad_ = true;
      bad_why_ = "variable range base " + Hex(v.base) + " mask " + Hex(v.mask) +
                 " is not a valid range of one MAXPHYADDR";
    }
    mask_bits = bits;
  }
  if (!bad_ && !have_default_ && variable_enabled_) {
    bad_ = true;
    bad_why_ = "no \"MTRR default type\" line";
  }
  if (!bad_ && mask_bits != 0 && phys_bits_ != 0 && mask_bits != phys_bits_) {
    bad_ = true;
    bad_why_ = "the masks have " + std::to_string(mask_bits) + " address bits, the log says " +
               std::to_string(phys_bits_);
  }
  if (bad_) {
    result_->warnings.push_back(At(options_, mtrr_first_, "MTRRs not imported: " + bad_why_));
    return;
  }
  if (mask_bits != 0 && phys_bits_ == 0) {
    cpu.maxphyaddr = static_cast<uint8_t>(mask_bits);
    Fact(mtrr_first_, "cpu.maxphyaddr", "cpu.maxphyaddr " + std::to_string(mask_bits) +
                          " from the variable MTRR masks (" + where + ")");
  }
  Fact(mtrr_first_, "mtrr", "mtrr from the log (" + where + "): default " +
                        std::string(map::MemTypeName(mtrr_.default_type)) + ", " +
                        std::to_string(mtrr_.fixed.size()) + " fixed and " +
                        std::to_string(mtrr_.variable.size()) + " variable ranges" +
                        (variable_enabled_ ? "" : " (MTRRs disabled: all memory UC)"));
  result_->map.mtrr = std::move(mtrr_);
}

}  // namespace

void ReadCpuFacts(std::string_view text, const ImportOptions& options, ImportResult* result) {
  CpuFactReader reader(options, result);
  LineReader lines(text);
  std::string_view raw;
  while (lines.Next(&raw)) reader.Line(raw, lines.line_no());
  reader.Finish();
}

}  // namespace bootmap::importer
