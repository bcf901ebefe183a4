// bootmap walk: translate linear addresses through page tables loaded from raw or ELF-core
// images, showing every entry read and the result or the fault (sim/emu, SDM Vol. 3A ch. 4).
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/emu/ia32e_entry.h"
#include "sim/map/memory_map.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/emu_args.h"

namespace bootmap::cli {
namespace {

struct WalkOptions {
  EmuArgs emu;
  std::vector<std::string> vas;
  bool user = false, write = false, fetch = false, ad = false;
};

std::string EntryFlags(uint64_t e, int level) {
  using namespace emu::ia32e;
  std::string f;
  auto add = [&f](bool on, const char* name) {
    if (on) f += f.empty() ? name : std::string(" ") + name;
  };
  bool large = (level == 2 || level == 3) && (e & kPS);
  add(e & kP, "P");
  add(e & kRW, "RW");
  add(e & kUS, "US");
  add(e & kPWT, "PWT");
  add(e & kPCD, "PCD");
  add(e & kA, "A");
  add((level == 1 || large) && (e & kD), "D");
  add(large, "PS");
  add(level == 1 && (e & kPat4k), "PAT");
  add(large && (e & kPatLarge), "PAT");
  add((level == 1 || large) && (e & kG), "G");
  add(e & kXD, "XD");
  return f.empty() ? "-" : f;
}

std::string ErrorCodeBits(uint32_t ec) {
  std::string s;
  const std::pair<uint32_t, const char*> names[] = {{emu::pf::kP, "P"},     {emu::pf::kWR, "W/R"},
                                                    {emu::pf::kUS, "U/S"},  {emu::pf::kRSVD, "RSVD"},
                                                    {emu::pf::kID, "I/D"},  {emu::pf::kPK, "PK"}};
  for (auto [bit, name] : names) {
    if (ec & bit) s += s.empty() ? name : std::string(" ") + name;
  }
  return s.empty() ? "none" : s;
}

void Setup(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<WalkOptions>();
  AddEmuOptions(app, &o->emu);
  app.add_option("va", o->vas, "linear addresses to translate (hex or decimal)")->required();
  app.add_flag("--user", o->user, "a user-mode access (CPL 3)");
  auto* w = app.add_flag("--write", o->write, "a write access");
  auto* f = app.add_flag("--fetch", o->fetch, "an instruction fetch");
  w->excludes(f);
  app.add_flag("--ad", o->ad, "set accessed/dirty flags as the walk would (changes only the in-memory copy)");
  app.callback([o, exit_code] {
    emu::CpuState cpu;
    std::vector<uint64_t> vas;
    for (const std::string& text : o->vas) {
      uint64_t va = 0;
      if (!emu::ParseAddress(text, &va)) {
        *exit_code = BadInput("not an address: '" + text + "'");
        return;
      }
      vas.push_back(va);
    }
    emu::PhysMem mem(static_cast<uint8_t>(o->emu.maxphyaddr));
    std::vector<emu::ImageSegment> segs;
    std::vector<emu::CoreCpuNote> notes;
    std::string error, source;
    if (!emu::LoadImages(o->emu.images, &mem, &error, &segs, &notes)) {
      *exit_code = BadInput(error);
      return;
    }
    if (!ResolveCpu(o->emu.cpu, notes, &cpu, &source, &error)) {
      *exit_code = BadInput(error);
      return;
    }
    const uint64_t cr3 = cpu.cr3;
    cpu.maxphyaddr = static_cast<uint8_t>(o->emu.maxphyaddr);
    cpu.ad_updates = o->ad;
    if (!InsideImages(segs, cr3 & emu::ia32e::AddrMask(cpu.maxphyaddr)) ||
        (cr3 & emu::ia32e::RsvdAbovePhys(cpu.maxphyaddr)) != 0) {
      *exit_code = BadInput("--cr3 " + Hex(cr3) + " is outside every image segment");
      return;
    }
    emu::AccessMode mode{o->write ? emu::Access::kWrite : o->fetch ? emu::Access::kFetch : emu::Access::kRead,
                         o->user};
    const char* mode_name = o->write ? "write" : o->fetch ? "fetch" : "read";
    std::ostringstream out;
    if (!o->emu.json && !source.empty()) out << "cpu: " << source << "\n";
    nlohmann::json json = nlohmann::json::array();
    bool all_ok = true;
    for (uint64_t va : vas) {
      emu::Translation t = emu::Translate(mem, cpu, va, mode);
      all_ok &= t.ok;
      if (o->emu.json) {
        nlohmann::json j = {{"va", Hex(va)}, {"ok", t.ok}};
        nlohmann::json levels = nlohmann::json::array();
        for (int i = 0; i < t.step_count; ++i) {
          levels.push_back({{"level", t.steps[i].level},
                            {"entry", Hex(t.steps[i].entry)},
                            {"entry_pa", Hex(t.steps[i].entry_pa)},
                            {"flags", EntryFlags(t.steps[i].entry, t.steps[i].level)}});
        }
        j["levels"] = levels;
        if (t.ok) {
          j["pa"] = Hex(t.pa);
          j["page_size"] = Hex(t.page_size);
          j["writable"] = t.writable;
          j["user"] = t.user;
          j["nx"] = t.nx;
          j["global"] = t.global;
          j["pkey"] = t.pkey;
          j["pat_type"] = std::string(map::MemTypeName(t.pat_type));
        } else {
          j["fault"] = {{"vector", t.fault.vector}, {"error_code", t.fault.error_code}};
        }
        json.push_back(j);
        continue;
      }
      out << "va " << Hex(va, 16) << " (" << (o->user ? "user " : "supervisor ") << mode_name << ")\n";
      for (int i = 0; i < t.step_count; ++i) {
        const emu::WalkStep& s = t.steps[i];
        char line[200];
        std::snprintf(line, sizeof line, "  %-5s[%3d] @%s = %s  %s\n", LevelName(s.level),
                      emu::ia32e::Index(va, s.level), Hex(s.entry_pa, 12).c_str(), Hex(s.entry, 16).c_str(),
                      EntryFlags(s.entry, s.level).c_str());
        out << line;
      }
      if (t.ok) {
        out << "  => pa " << Hex(t.pa, 12) << " (" << PageSizeName(t.page_size) << " page) "
            << (t.writable ? "RW" : "ro") << " " << (t.user ? "user" : "supervisor") << (t.nx ? " NX" : "")
            << (t.global ? " global" : "") << " " << map::MemTypeName(t.pat_type) << " pkey " << int(t.pkey) << "\n";
      } else if (t.fault.vector == emu::kVectorGP) {
        out << "  => #GP(0): non-canonical address\n";
      } else if (t.fault.vector == emu::kVectorPF) {
        char ec[16];
        std::snprintf(ec, sizeof ec, "0x%x", t.fault.error_code);
        out << "  => #PF error code " << ec << " (" << ErrorCodeBits(t.fault.error_code) << ")\n";
      } else {
        out << "  => not translated: paging mode not modelled\n";
      }
    }
    if (o->emu.json) out << json.dump(2) << "\n";
    std::cout << out.str();
    *exit_code = all_ok ? kExitOk : kExitFound;
  });
}

const bool registered =
    RegisterCommand("walk", "translate linear addresses through page tables in memory images", &Setup);

}  // namespace
}  // namespace bootmap::cli
