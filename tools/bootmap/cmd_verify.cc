// bootmap verify --map MAP [--profile P | --layout FILE] --image FILE[@ADDR]... --cr3 X [--la57]
//                [--paging 4|5|ept|ept5] [--pat X] [--seed N] [--json]
// The verifier over tables built elsewhere: raw images (FILE@ADDR) and ELF cores (QEMU
// dump-guest-memory, `bootmap build --image`). The expectation is the layout's plan for the map.
// Exit 0 verified, 1 violations, 2 bad input.
#include <iostream>
#include <sstream>

#include "sim/core/host/build.h"
#include "sim/core/host/layout.h"
#include "sim/emu/image.h"
#include "sim/emu/mem_types.h"
#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {
namespace {

struct Args {
  std::string map_file, profile, layout_file, paging, cr3, pat, seed = "0", loader;
  std::vector<std::string> images;
  bool la57 = false, json = false;
  size_t max_listed = 20;
};

int Run(const Args& a) {
  std::string why;
  core::host::HostOptions host;
  host.profile = a.profile;
  host.layout_file = a.layout_file;
  host.map_source = a.map_file;
  if (!io::ReadU64(io::Json(a.seed), false, &host.seed, &why)) return BadInput("--seed: " + why);
  if (!ParsePaging(a.paging, &host.paging, &why)) return BadInput(why);
  if (a.la57 && !host.paging) host.paging = core::Paging::kX86Level5;
  map::MemoryMap m;
  std::string assumed;
  if (int rc = LoadMapWithLoader(a.map_file, a.loader, &m, &assumed); rc != kExitOk) return rc;

  // The tables under test.
  emu::PhysMem mem(52);
  if (!emu::LoadImages(a.images, &mem, &why)) return BadInput(why);
  uint64_t root = 0;
  if (!emu::ParseAddress(a.cr3, &root)) return BadInput("--cr3: not a number: \"" + a.cr3 + "\"");
  uint64_t pat = emu::kPowerOnPat;
  if (!a.pat.empty() && !emu::ParseAddress(a.pat, &pat)) return BadInput("--pat: not a number: \"" + a.pat + "\"");
  if (!emu::PatValid(pat)) return BadInput("--pat: " + Hex(pat) + " has an undefined memory-type encoding");

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
  in.ept.eptp = emu::ept::MakeEptp(root & emu::bits::Range(51, 12), verify::Levels(in.format), MemType::kWB);
  in.table_frames.reset();  // frames and output map are the other loader's: not ours to compare
  in.output_map.reset();
  verify::Options vo;
  vo.max_listed = a.max_listed;
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
    if (!assumed.empty()) j["assumptions"].insert(j["assumptions"].begin(), assumed);
    std::cout << j.dump(2) << "\n";
  } else {
    std::ostringstream o;
    o << a.map_file << ": tables at " << Hex(root) << ", " << PagingName(plan.paging) << ", against profile "
      << (plan.profile.empty() ? "(custom layout)" : plan.profile) << "\n";
    o << "leaves: 4K " << r.leaves[0] << ", 2M " << r.leaves[1] << ", 1G " << r.leaves[2] << " (minimum 4K "
      << r.minimal_leaves[0] << ", 2M " << r.minimal_leaves[1] << ", 1G " << r.minimal_leaves[2] << "); table pages "
      << r.table_pages << " (minimum " << r.minimal_table_pages << "); " << r.runs << " runs, " << r.walks
      << " spot walks\n";
    o << r.mem_types.text << "\n";
    if (!assumed.empty()) o << "assumed: " << assumed << "\n";
    for (const std::string& x : r.assumptions) o << "assumed: " << x << "\n";
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
  app.add_option("--cr3", a->cr3, "root table address (CR3, or the EPTP's table address)")->required();
  app.add_flag("--la57", a->la57, "5-level paging (CR4.LA57)");
  app.add_option("--paging", a->paging, "4, 5, ept or ept5");
  app.add_option("--pat", a->pat, "IA32_PAT the tables assume (default: power-on 0x0007040600070406; "
                                  "bootmap's builder: 0x0407050600070106)");
  app.add_option("--seed", a->seed, "automatic offsets as the loader chose them");
  app.add_option("--loader", a->loader, kLoaderHelp);
  app.add_option("--max-listed", a->max_listed, "violations listed (all are counted)");
  app.add_flag("--json", a->json, "one JSON object");
  app.callback([a, exit_code] { *exit_code = Run(*a); });
}

const bool registered = RegisterCommand("verify", "verify page tables built elsewhere against a map's layout", &Setup);

}  // namespace
}  // namespace bootmap::cli
