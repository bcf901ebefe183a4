// bootmap check FILE...: load, validate and normalise map files; show what changed.
#include <iostream>
#include <sstream>

#include "sim/io/map_json.h"
#include "sim/map/format.h"
#include "sim/map/normalize.h"
#include "tools/bootmap/command.h"

namespace bootmap::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string normalize = "default";  // overlap rule, maps/SCHEMA.md "Normalisation" step 4
};

map::NormalizeOptions NormalizeOptionsFor(const CheckOptions& opts) {
  map::NormalizeOptions n;
  if (opts.normalize == "linux") n.overlap = map::OverlapRule::kLinux;
  return n;
}

void Describe(const std::string& file, const map::MemoryMap& m, const map::NormalizeOptions& options,
              std::ostream& o) {
  const map::NormalizedMap n = map::Normalize(m, options);
  o << file << ": " << m.name << "\n";
  if (!m.origin.empty()) o << "  origin: " << m.origin << "\n";
  if (m.stage != map::Stage::kAfterExitBootServices) o << "  stage: " << map::StageName(m.stage) << "\n";
  o << "  source: " << (m.efi.empty() ? std::to_string(m.e820.size()) + " e820 entries"
                                      : std::to_string(m.efi.size()) + " efi descriptors")
    << ", " << n.regions.size() << " regions after normalisation\n";
  o << "  " << std::left;
  char line[160];
  std::snprintf(line, sizeof line, "%-18s %-18s %10s  %s\n", "base", "end", "size", "kind");
  o << line;
  for (const map::Region& r : n.regions) {
    std::snprintf(line, sizeof line, "  %-18s %-18s %10s  %s\n", map::PaddedHex(r.base).c_str(),
                  map::PaddedHex(r.end()).c_str(), map::HumanSize(r.size).c_str(),
                  std::string(map::RegionKindName(r.kind)).c_str());
    o << line;
  }
  const map::Totals t = map::ComputeTotals(n);
  o << "  usable RAM " << map::HumanSize(t.usable_bytes) << ", highest usable address "
    << map::PaddedHex(t.highest_usable, 1) << ", highest address of any entry " << map::PaddedHex(t.highest_any, 1)
    << "\n";
  if (n.changes.empty()) {
    o << "  normalisation changed nothing\n";
  } else {
    o << "  normalisation made " << n.changes.size() << " change" << (n.changes.size() == 1 ? "" : "s") << ":\n";
    for (const map::Change& c : n.changes) o << "    " << c.message << "\n";
  }
}

void Setup(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<CheckOptions>();
  app.add_option("files", opts->files, "map files (maps/SCHEMA.md)")->required();
  app.add_flag("--json", opts->json, "print the canonical JSON of each map instead");
  app.add_option("--normalize", opts->normalize,
                 "overlap rule: default (bootmap's kind priority) or linux (higher E820 type wins, "
                 "as Linux's e820__update_table; EFI maps keep the default)")
      ->check(CLI::IsMember({"default", "linux"}))
      ->capture_default_str();
  app.callback([opts, exit_code] {
    std::ostringstream out;
    std::vector<std::string> errors;
    for (const std::string& file : opts->files) {
      map::MemoryMap m;
      io::LoadResult r = io::LoadMapFile(file, &m);
      if (!r.ok) {
        errors.push_back(r.error);
        continue;
      }
      if (opts->json) out << io::SaveMap(m);
      else Describe(file, m, NormalizeOptionsFor(*opts), out);
    }
    if (!errors.empty()) {
      for (const std::string& e : errors) BadInput(e);
      *exit_code = kExitBadInput;
      return;
    }
    std::cout << out.str();
    *exit_code = kExitOk;
  });
}

const bool registered = RegisterCommand("check", "validate map files and show the normalised map", &Setup);

}  // namespace
}  // namespace bootmap::cli
