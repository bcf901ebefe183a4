// bootmap verify --map MAP [--profile P | --layout FILE] --image FILE[@ADDR]... [--cr3 X] [--la57]
//                [--cr0 X] [--cr4 X] [--efer X] [--pat X] [--paging 4|5|ept|ept5] [--seed N]
//                [--window NAME...] [--va-range R...] [--json]
// The verifier over tables built elsewhere: raw images (FILE@ADDR) and ELF cores (QEMU
// dump-guest-memory, `bootmap build --image`). The expectation is the layout's plan for the map.
// CPU state: flags, else the image's CPU note (cpu_args.h).
// Exit 0 verified, 1 violations, 2 bad input.
#include <iostream>
#include <sstream>

#include "sim/core/host/build.h"
#include "sim/core/host/layout.h"
#include "sim/emu/image.h"
#include "sim/emu/mem_types.h"
#include "sim/emu/paging.h"
#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/cpu_args.h"
#include "tools/bootmap/emu_args.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {
namespace {

struct Args {
  std::string map_file, profile, layout_file, paging, seed = "0", loader;
  std::vector<std::string> images, windows, va_ranges;
  CpuArgs cpu;
  bool json = false;
  size_t max_listed = 20;
};

// --va-range LO-HI (HI exclusive) or LO+SIZE: canonical (EPT: inside the guest-physical
// space), not crossing the non-canonical hole (SDM Vol. 3A 3.3.7.1).
bool ParseVaRange(const std::string& text, bool ept, bool la57, verify::VaRange* out, std::string* why) {
  const size_t cut = text.find_first_of("-+", 1);
  uint64_t lo = 0, second = 0;
  if (cut == std::string::npos || !emu::ParseAddress(text.substr(0, cut), &lo) ||
      !emu::ParseAddress(text.substr(cut + 1), &second)) {
    *why = "--va-range \"" + text + "\": expected LO-HI (HI exclusive) or LO+SIZE, in hex or decimal";
    return false;
  }
  const bool plus = text[cut] == '+';
  if (plus ? second == 0 || lo + second < lo : second <= lo) {
    *why = "--va-range \"" + text + "\": empty or wrapping range";
    return false;
  }
  const uint64_t last = plus ? lo + (second - 1) : second - 1;
  const int bits = la57 ? 57 : 48;
  const bool ok = ept ? (last >> bits) == 0
                      : emu::IsCanonical(lo, la57) && emu::IsCanonical(last, la57) && (lo >> 63) == (last >> 63);
  if (!ok) {
    *why = "--va-range \"" + text + "\": " + Hex(lo) + "-" + Hex(last) + " is not " +
           (ept ? "inside the " + std::to_string(bits) + "-bit guest-physical space"
                : "canonical for " + std::to_string(bits) + "-bit linear addresses (or crosses the hole)");
    return false;
  }
  *out = {lo, last - lo + 1};
  return true;
}

void PrintScope(const verify::ScopeReport& s, std::ostream& o) {
  o << "checked only:";
  for (const verify::VaRange& r : s.checked) o << " " << Hex(r.va) << "-" << Hex(r.va + r.size);
  o << "\n";
  for (const verify::ScopeReport::Other& w : s.other_windows) {
    o << "outside: window " << w.window << ": " << map::HumanSize(w.mapped_bytes) << " mapped of "
      << map::HumanSize(w.expected_bytes) << " expected (not checked)\n";
  }
  o << "outside: " << s.unexpected_ranges << " ranges (" << map::HumanSize(s.unexpected_bytes)
    << ") mapped where no window asks (not checked)\n";
  for (size_t i = 0; i < s.unexpected.size(); ++i) {
    o << "  " << Hex(s.unexpected[i].va, 16) << "-" << Hex(s.unexpected[i].va + s.unexpected[i].size, 16) << " -> pa "
      << Hex(s.unexpected_pa[i]) << "\n";
  }
  if (s.unexpected_ranges > s.unexpected.size()) o << "  ... " << s.unexpected_ranges - s.unexpected.size() << " more\n";
  o << "not checked in a restricted check:";
  for (size_t i = 0; i < s.not_checked.size(); ++i) o << (i ? "; " : " ") << s.not_checked[i];
  o << "\n";
}

nlohmann::ordered_json ScopeJson(const verify::ScopeReport& s) {
  nlohmann::ordered_json j, checked = nlohmann::ordered_json::array(), others = nlohmann::ordered_json::array(),
                            unexpected = nlohmann::ordered_json::array();
  for (const verify::VaRange& r : s.checked) checked.push_back({{"va", Hex(r.va)}, {"size", Hex(r.size)}});
  for (const verify::ScopeReport::Other& w : s.other_windows)
    others.push_back({{"window", w.window}, {"expected_bytes", Hex(w.expected_bytes)}, {"mapped_bytes", Hex(w.mapped_bytes)}});
  for (size_t i = 0; i < s.unexpected.size(); ++i)
    unexpected.push_back({{"va", Hex(s.unexpected[i].va)}, {"size", Hex(s.unexpected[i].size)}, {"pa", Hex(s.unexpected_pa[i])}});
  j["checked"] = checked;
  j["other_windows"] = others;
  j["unexpected_ranges"] = s.unexpected_ranges;
  j["unexpected_bytes"] = Hex(s.unexpected_bytes);
  j["unexpected"] = unexpected;
  j["not_checked"] = s.not_checked;
  return j;
}

int Run(const Args& a) {
  std::string why;
  core::host::HostOptions host;
  host.profile = a.profile;
  host.layout_file = a.layout_file;
  host.map_source = a.map_file;
  if (!io::ReadU64(io::Json(a.seed), false, &host.seed, &why)) return BadInput("--seed: " + why);
  if (!ParsePaging(a.paging, &host.paging, &why)) return BadInput(why);
  map::MemoryMap m;
  std::string assumed;
  if (int rc = LoadMapWithLoader(a.map_file, a.loader, &m, &assumed); rc != kExitOk) return rc;

  // The tables under test, and the CPU state they are read with.
  emu::PhysMem mem(52);
  std::vector<emu::ImageSegment> segs;
  std::vector<emu::CoreCpuNote> notes;
  if (!emu::LoadImages(a.images, &mem, &why, &segs, &notes)) return BadInput(why);
  emu::CpuState cpu;
  std::string cpu_source;
  if (!ResolveCpu(a.cpu, notes, &cpu, &cpu_source, &why)) return BadInput(why);
  const uint64_t root = cpu.cr3, pat = cpu.pat;
  if (!InsideImages(segs, root & emu::bits::Range(51, 12))) {
    std::string files;
    for (const std::string& f : a.images) files += (files.empty() ? "" : ", ") + f;
    return BadInput(files + ": CR3 " + Hex(root) + " points outside every image segment");
  }
  if (cpu.cr4_la57 && !host.paging) host.paging = core::Paging::kX86Level5;

  // The expectation: the layout's plan for this map (no tables are built).
  host.plan_only = true;
  core::host::BuildResult plan = core::host::BuildTables(m, host, nullptr);
  if (!plan.built) {
    if (plan.bad_input) return BadInput(a.map_file + ": " + plan.error);
    std::cerr << "bootmap: " << a.map_file << ": the layout cannot be planned: " << plan.error << "\n";
    return kExitFound;
  }
  plan.root_pa = root;
  plan.pat_msr = pat;
  verify::Input in = verify::FromBuild(m, plan, &mem);
  in.cpu.cr3 = root;  // CR3 flags (PWT/PCD) are kept; the address bits select the root
  in.cpu.cr0_wp = cpu.cr0_wp;
  in.cpu.cr4_pge = cpu.cr4_pge;
  in.cpu.cr4_smep = cpu.cr4_smep;
  in.cpu.cr4_smap = cpu.cr4_smap;
  in.cpu.cr4_pke = cpu.cr4_pke;
  in.cpu.cr4_pks = cpu.cr4_pks;
  in.cpu.efer_nxe = cpu.efer_nxe && m.cpu.nx;  // NXE cannot be set on a CPU without NX
  in.ept.eptp = emu::ept::MakeEptp(root & emu::bits::Range(51, 12), verify::Levels(in.format), MemType::kWB);
  in.table_frames.reset();  // frames and output map are the other loader's: not ours to compare
  in.output_map.reset();
  verify::Options vo;
  vo.max_listed = a.max_listed;
  vo.scope_windows = a.windows;
  for (const std::string& text : a.va_ranges) {
    verify::VaRange r;
    if (!ParseVaRange(text, verify::IsEpt(in.format), verify::Levels(in.format) == 5, &r, &why)) return BadInput(why);
    vo.scope_ranges.push_back(r);
  }
  Progress progress;
  progress.Begin("verifying");
  verify::Report r = verify::Verify(in, vo);
  progress.End(r.leaf_total());
  if (!r.error.empty()) return BadInput(a.map_file + ": " + r.error);
  if (a.json) {
    nlohmann::ordered_json j;
    j["map"] = a.map_file;
    j["profile"] = plan.profile.empty() ? "(layout)" : plan.profile;
    j["paging"] = PagingArg(plan.paging);
    j["root"] = Hex(root);
    AddReportJson(r, &j);
    if (r.scope) j["scope"] = ScopeJson(*r.scope);
    if (!assumed.empty()) j["assumptions"].insert(j["assumptions"].begin(), assumed);
    j["cpu_source"] = cpu_source.empty() ? "flags and defaults" : cpu_source;
    std::cout << j.dump(2) << "\n";
  } else {
    std::ostringstream o;
    o << a.map_file << ": tables at " << Hex(root) << ", " << PagingName(plan.paging) << ", against profile "
      << (plan.profile.empty() ? "(custom layout)" : plan.profile) << "\n";
    o << "leaves: 4K " << r.leaves[0] << ", 2M " << r.leaves[1] << ", 1G " << r.leaves[2] << " (minimum 4K "
      << r.minimal_leaves[0] << ", 2M " << r.minimal_leaves[1] << ", 1G " << r.minimal_leaves[2] << "); table pages "
      << r.table_pages;
    // A restricted check counts the whole tree's tables but the minimum of its ranges only.
    if (r.scope) o << " (the whole tree)";
    else o << " (minimum " << r.minimal_table_pages << ")";
    o << "; " << r.runs << " runs, " << r.walks << " spot walks\n";
    o << r.mem_types.text << "\n";
    if (!assumed.empty()) o << "assumed: " << assumed << "\n";
    if (!cpu_source.empty()) o << "cpu: " << cpu_source << "\n";
    for (const std::string& x : r.assumptions) o << "assumed: " << x << "\n";
    if (r.scope) PrintScope(*r.scope, o);
    o << VerdictText(r);
    std::cout << o.str();
  }
  return r.verified ? kExitOk : kExitFound;
}

void Setup(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  app.add_option("--map", a->map_file, "map file the tables were built for")->required();
  auto* profile = app.add_option("--profile", a->profile, "the layout the tables should implement");
  app.add_option("--layout", a->layout_file, "layout JSON file")->excludes(profile);
  app.add_option("--image", a->images, "FILE@ADDR raw image, or an ELF core (dump-guest-memory, build --image)")
      ->required();
  AddCpuOptions(app, &a->cpu, /*cr3_from_note=*/true);
  app.add_option("--paging", a->paging, "4, 5, ept or ept5");
  app.add_option("--window", a->windows, "check only these windows' va spans (names as the layout gives them); "
                                         "the other windows and unexpected mappings are reported separately");
  app.add_option("--va-range", a->va_ranges, "check only LO-HI (HI exclusive) or LO+SIZE; may repeat, adds to --window");
  app.add_option("--seed", a->seed, "automatic offsets as the loader chose them");
  app.add_option("--loader", a->loader, kLoaderHelp);
  app.add_option("--max-listed", a->max_listed, "violations listed (all are counted)");
  app.add_flag("--json", a->json, "one JSON object");
  app.callback([a, exit_code] { *exit_code = Run(*a); });
}

const bool registered = RegisterCommand("verify", "verify page tables built elsewhere against a map's layout", &Setup);

}  // namespace
}  // namespace bootmap::cli
