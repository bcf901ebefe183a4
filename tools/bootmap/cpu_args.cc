#include "tools/bootmap/cpu_args.h"

#include "sim/emu/mem_types.h"
#include "sim/map/format.h"

namespace bootmap::cli {
namespace {

// SDM Vol. 3A 2.5: CR0.WP bit 16, PG 31; CR4.PAE 5, PGE 7, LA57 12, SMEP 20, SMAP 21, PKE 22,
// PKS 24. Vol. 3A 2.2.1: EFER.LME bit 8, NXE 11.
constexpr uint64_t Bit(int n) { return uint64_t{1} << n; }

void ApplyCr0(uint64_t v, emu::CpuState* c) {
  c->cr0_pg = v & Bit(31);
  c->cr0_wp = v & Bit(16);
}
void ApplyCr4(uint64_t v, emu::CpuState* c) {
  c->cr4_pae = v & Bit(5);
  c->cr4_pge = v & Bit(7);
  c->cr4_la57 = v & Bit(12);
  c->cr4_smep = v & Bit(20);
  c->cr4_smap = v & Bit(21);
  c->cr4_pke = v & Bit(22);
  c->cr4_pks = v & Bit(24);
}
void ApplyEfer(uint64_t v, emu::CpuState* c) {
  c->efer_lme = v & Bit(8);
  c->efer_nxe = v & Bit(11);
}

bool Flag(const std::string& name, const std::string& text, uint64_t* v, std::string* error) {
  if (emu::ParseAddress(text, v)) return true;
  *error = name + ": not a number: '" + text + "'";
  return false;
}

}  // namespace

void AddCpuOptions(CLI::App& app, CpuArgs* a, bool cr3_from_note) {
  app.add_option("--cr3", a->cr3,
                 cr3_from_note ? "CR3: physical address of the PML4 (PML5 with LA57); default: the image's CPU note"
                                   : "CR3: physical address of the PML4 (PML5 with LA57)");
  app.add_option("--cr0", a->cr0, "CR0 (WP, PG); default: the image's CPU note, else PG|WP");
  app.add_option("--cr4", a->cr4, "CR4 (PAE, PGE, LA57, SMEP, SMAP, PKE, PKS); default: the image's note, else PAE|PGE");
  app.add_option("--efer", a->efer, "IA32_EFER (LME, NXE); default: the image's note, else LME|NXE");
  app.add_option("--pat", a->pat, "IA32_PAT; default: the image's note (bootmap's images record theirs), else the "
                                  "power-on 0x0007040600070406 (bootmap's builder: 0x0407050600070106)");
  app.add_flag("--la57", a->la57, "5-level paging (sets CR4.LA57)");
  app.add_flag("--no-nxe", a->no_nxe, "EFER.NXE=0 (XD bits are reserved)");
}

bool ResolveCpu(const CpuArgs& a, const std::vector<emu::CoreCpuNote>& notes, emu::CpuState* cpu,
                std::string* source, std::string* error) {
  source->clear();
  bool have_cr3 = false;
  if (!notes.empty()) {
    const emu::CoreCpuNote& n = notes.front();
    ApplyCr0(n.cr0, cpu);
    ApplyCr4(n.cr4, cpu);
    cpu->cr3 = n.cr3;
    have_cr3 = true;
    if (n.efer) ApplyEfer(*n.efer, cpu);
    if (n.pat) cpu->pat = *n.pat;
    *source = "CR0 " + map::Hex(n.cr0) + ", CR3 " + map::Hex(n.cr3) + ", CR4 " + map::Hex(n.cr4) +
              (n.efer ? ", EFER " + map::Hex(*n.efer) : "") + (n.pat ? ", PAT " + map::Hex(*n.pat) : "") + " from " +
              n.file + "'s " + n.source + " note";
  }
  uint64_t v = 0;
  if (!a.cr3.empty()) {
    if (!Flag("--cr3", a.cr3, &cpu->cr3, error)) return false;
    have_cr3 = true;
  }
  if (!a.cr0.empty()) {
    if (!Flag("--cr0", a.cr0, &v, error)) return false;
    ApplyCr0(v, cpu);
  }
  if (!a.cr4.empty()) {
    if (!Flag("--cr4", a.cr4, &v, error)) return false;
    ApplyCr4(v, cpu);
  }
  if (!a.efer.empty()) {
    if (!Flag("--efer", a.efer, &v, error)) return false;
    ApplyEfer(v, cpu);
  }
  if (!a.pat.empty() && !Flag("--pat", a.pat, &cpu->pat, error)) return false;
  if (a.la57) cpu->cr4_la57 = true;
  if (a.no_nxe) cpu->efer_nxe = false;
  if (!have_cr3) {
    *error = "--cr3: not given, and no image has a CPU note to take it from";
    return false;
  }
  if (!cpu->cr0_pg || !cpu->cr4_pae || !cpu->efer_lme) {
    *error = "the CPU state is not IA-32e paging (needs CR0.PG, CR4.PAE and EFER.LME" +
             (source->empty() ? std::string(")") : "; " + *source + ")");
    return false;
  }
  if (!emu::PatValid(cpu->pat)) {
    *error = "IA32_PAT " + map::Hex(cpu->pat) + " has an undefined memory-type encoding";
    return false;
  }
  return true;
}

}  // namespace bootmap::cli
