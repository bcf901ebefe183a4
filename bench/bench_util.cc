#include "bench/bench_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"

namespace bootmap::bench {

namespace {
std::vector<void (*)()>& Registrars() {
  static std::vector<void (*)()> registrars;
  return registrars;
}
}  // namespace

bool AddRegistrar(void (*registrar)()) {
  Registrars().push_back(registrar);
  return true;
}

void RunRegistrars() {
  for (void (*r)() : Registrars()) r();
}

void AddCase(const std::string& name, std::function<void(benchmark::State&)> fn, benchmark::TimeUnit unit) {
  static const char* fixed = std::getenv("BOOTMAP_BENCH_ITERATIONS");
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), std::move(fn));
  b->Unit(unit);
  if (fixed) b->Iterations(std::strtoll(fixed, nullptr, 10));
}

std::string RepoPath(const std::string& relative) { return std::string(BOOTMAP_SOURCE_DIR) + "/" + relative; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<MapFile>& BundledMaps() {
  static const std::vector<MapFile> maps = [] {
    std::vector<MapFile> out;
    for (const char* dir : {"maps/real", "maps/synthetic"}) {
      std::vector<MapFile> here;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(RepoPath(dir), ec))
        if (e.path().extension() == ".json") here.push_back({e.path().stem().string(), e.path().string()});
      std::sort(here.begin(), here.end(), [](const MapFile& a, const MapFile& b) { return a.name < b.name; });
      out.insert(out.end(), here.begin(), here.end());
    }
    return out;
  }();
  return maps;
}

const map::MemoryMap* LoadedMap(const MapFile& file, std::string* error, bool la57) {
  static auto* cache = new std::map<std::string, std::pair<map::MemoryMap, std::string>>;
  const std::string key = file.path + (la57 ? "#la57" : "");
  auto it = cache->find(key);
  if (it == cache->end()) {
    map::MemoryMap m;
    io::LoadResult r = io::LoadMapFile(file.path, &m);
    m.cpu.la57 = m.cpu.la57 || la57;
    it = cache->emplace(key, std::make_pair(std::move(m), r.ok ? "" : r.error)).first;
  }
  if (!it->second.second.empty()) {
    *error = it->second.second;
    return nullptr;
  }
  return &it->second.first;
}

const char* PagingArg(core::Paging paging) { return verify::FormatName(verify::FormatOf(paging)); }

std::string CaseName(const std::string& what, const std::string& map, const std::string& profile,
                     core::Paging paging) {
  return what + "/" + map + "/" + profile + "/" + PagingArg(paging);
}

Work WrittenBy(const core::LeafCounts& counts) {
  Work w;
  for (int i = 0; i < 3; ++i) w.leaves[i] = counts.leaves[i];
  w.table_pages = counts.tables;
  w.entries_written = counts.leaves[0] + counts.leaves[1] + counts.leaves[2] + (counts.tables ? counts.tables - 1 : 0);
  w.handled = w.entries_written;
  return w;
}

void SetCounters(benchmark::State& state, const Work& work) {
  state.counters["leaves_4k"] = double(work.leaves[0]);
  state.counters["leaves_2m"] = double(work.leaves[1]);
  state.counters["leaves_1g"] = double(work.leaves[2]);
  state.counters["table_pages"] = double(work.table_pages);
  state.counters["table_bytes"] = double(work.table_pages * core::kFrameBytes);
  state.counters["entries_written"] = double(work.entries_written);
  if (work.handled == 0) return;
  // Rates over CPU time (the machine is shared). ns_per_entry: time / (handled * 1e-9).
  state.counters["entries_per_s"] = benchmark::Counter(double(work.handled), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["ns_per_entry"] = benchmark::Counter(
      double(work.handled) * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Parsed once, outside the timed builds, where the host takes a parsed layout; a revision
// without HostOptions::layout (tools/bench-compare) parses the file in every build.
template <class Options>
void UseLayoutFile(Options* options, const std::string& path) {
  if constexpr (requires { options->layout; }) {
    auto layout = std::make_shared<core::host::HostLayout>();
    if (core::host::LoadLayoutFile(path, layout.get()).empty()) {
      options->layout = std::move(layout);
      return;
    }
  }
  options->layout_file = path;  // or the host reports the error
}

Planned PlanOnly(const MapFile& file, const std::string& profile, core::Paging paging, uint64_t max_frames) {
  Planned p;
  // 5-level cases assume an LA57 CPU even where the map's CPU lacks it: they measure the format.
  p.map = LoadedMap(file, &p.error, paging == core::Paging::kX86Level5);
  if (!p.map) return p;
  // A name that is no profile is a layout under bench/layouts/ (tools/bench-compare --harness
  // runs it against an older revision too).
  const std::string layout = RepoPath("bench/layouts/" + profile + ".json");
  if (std::filesystem::exists(layout)) UseLayoutFile(&p.options, layout);
  else p.options.profile = profile;
  p.options.map_source = file.path;
  p.options.paging = paging;
  // One frame at most: the host plans, starts sizing, and stops before writing anything.
  p.options.max_table_frames = 1;
  emu::PhysMem none(p.map->cpu.maxphyaddr);
  p.plan = core::host::BuildTables(*p.map, p.options, &none);
  p.options.max_table_frames = core::host::HostOptions{}.max_table_frames;
  if (p.plan.bad_input || p.plan.requests.empty()) {
    p.error = p.plan.bad_input ? p.plan.error : "nothing to map (" + p.plan.error + ")";
    return p;
  }
  p.build = p.plan.build_options;  // the host's: format, leaf sizes (EPT's own), NX, MAXPHYADDR
  p.build.max_frames = max_frames;  // the dry run stops there
  core::PhysWindow no_window;  // the dry run of a fresh tree reads no table
  core::Result<uint64_t> frames =
      core::SizeTables(p.build, no_window, core::kNoRoot, p.plan.requests.data(), p.plan.requests.size(), &p.size);
  if (!frames.ok()) {
    p.error = frames.error.reason;
    return p;
  }
  p.ok = true;
  return p;
}

World* GetWorld(const MapFile& file, const std::string& profile, core::Paging paging, std::string* error) {
  static std::unique_ptr<World> world;
  const std::string key = file.path + "|" + profile + "|" + PagingArg(paging);
  if (world && world->key == key) return world.get();
  world.reset();
  auto w = std::make_unique<World>();
  w->key = key;
  w->planned = PlanOnly(file, profile, paging);
  if (!w->planned.ok) {
    *error = w->planned.error;
    return nullptr;
  }
  const map::MemoryMap& m = *w->planned.map;
  w->mem = std::make_unique<emu::PhysMem>(m.cpu.maxphyaddr);
  w->build = core::host::BuildTables(m, w->planned.options, w->mem.get());
  if (!w->build.built) {
    *error = w->build.error;
    return nullptr;
  }
  w->input = verify::FromBuild(m, w->build, w->mem.get());
  world = std::move(w);
  return world.get();
}

}  // namespace bootmap::bench
