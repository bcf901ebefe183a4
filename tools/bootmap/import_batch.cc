#include "tools/bootmap/import_batch.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "sim/io/map_json.h"
#include "sim/map/format.h"
#include "sim/map/normalize.h"
#include "tools/bootmap/command.h"

namespace bootmap::cli {
namespace {

namespace fs = std::filesystem;

// A /sys/firmware/memmap copy: numbered subdirectories holding a `start` file.
bool IsSysfsMemmap(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (!n.empty() && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        fs::exists(it->path() / "start", ec))
      return true;
  }
  return false;
}

bool Expand(const std::vector<std::string>& inputs, std::vector<std::string>* files, std::string* why) {
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (in != "-" && fs::is_directory(in, ec) && !IsSysfsMemmap(in)) {
      std::vector<std::string> found;
      for (fs::directory_iterator it(in, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) || (it->is_directory(ec) && IsSysfsMemmap(it->path())))
          found.push_back(it->path().string());
      }
      if (ec) return *why = in + ": cannot read directory: " + ec.message(), false;
      std::sort(found.begin(), found.end());
      files->insert(files->end(), found.begin(), found.end());
    } else {
      if (in == "-") return *why = "-: stdin cannot be one of many inputs", false;
      files->push_back(in);
    }
  }
  if (files->empty()) return *why = "no input files", false;
  return true;
}

struct Row {
  std::string input, output, error;
  size_t entries = 0, warnings = 0;
  unsigned __int128 highest = 0;
  uint64_t ram = 0;
};

// OUTDIR/STEM.json; a second input with the same stem gets STEM-2.json, and so on.
std::string OutputFor(const std::string& outdir, const std::string& input, std::map<std::string, int>* taken) {
  fs::path p(input);
  if (!p.has_filename()) p = p.parent_path();
  std::string stem = p.stem().string();
  const int n = ++(*taken)[stem];
  if (n > 1) stem += "-" + std::to_string(n);
  return (fs::path(outdir) / (stem + ".json")).string();
}

// "highest" is the end of the highest entry, as `bootmap check` says it; RAM the usable bytes.
void PrintTable(const std::vector<Row>& rows, double seconds) {
  int w = 5;
  for (const Row& r : rows) w = std::max(w, int(r.input.size()));
  std::printf("%-*s %8s %16s %12s %8s  %s\n", w, "input", "entries", "highest", "RAM", "warnings", "map");
  size_t failed = 0;
  for (const Row& r : rows) {
    if (!r.error.empty()) {
      ++failed;
      std::printf("%-*s %8s %16s %12s %8s  FAILED\n", w, r.input.c_str(), "-", "-", "-", "-");
      continue;
    }
    const std::string top = r.highest >> 64 ? "2^64" : map::Hex(uint64_t(r.highest));
    std::printf("%-*s %8zu %16s %12s %8zu  %s\n", w, r.input.c_str(), r.entries, top.c_str(),
                map::HumanSize(r.ram).c_str(), r.warnings, r.output.c_str());
  }
  std::printf("%zu inputs: %zu converted, %zu failed; %.2f s (%.1f inputs/s)\n", rows.size(), rows.size() - failed,
              failed, seconds, seconds > 0 ? rows.size() / seconds : 0.0);
  for (const Row& r : rows) {
    if (!r.error.empty()) std::printf("failed: %s\n", r.error.c_str());
  }
}

}  // namespace

bool IsOutputDirectory(const std::string& output) {
  std::error_code ec;
  return !output.empty() && (output.back() == '/' || fs::is_directory(output, ec));
}

int RunImportBatch(const std::vector<std::string>& inputs, const std::string& outdir, const ConvertFn& convert) {
  std::vector<std::string> files;
  std::string why;
  if (!Expand(inputs, &files, &why)) return BadInput(why);
  std::error_code ec;
  fs::create_directories(outdir, ec);
  if (ec || !fs::is_directory(outdir, ec)) return BadInput(outdir + ": cannot create the output directory");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Row> rows;
  std::map<std::string, int> taken;
  for (const std::string& in : files) {
    Row row;
    row.input = in;
    map::MemoryMap m;
    std::vector<std::string> warnings;
    if (!convert(in, &m, &warnings, &row.error)) {
      rows.push_back(row);
      continue;
    }
    for (const std::string& w : warnings) std::cerr << "bootmap: warning: " << w << "\n";
    row.output = OutputFor(outdir, in, &taken);
    const std::string text = io::SaveMap(m);
    map::MemoryMap reloaded;
    io::LoadResult check = io::ParseMap(text, row.output, &reloaded);
    if (!check.ok) {
      row.error = check.error;
    } else if (WriteOutput(row.output, text) != kExitOk) {
      row.error = row.output + ": cannot write";
    } else {
      const map::Totals t = map::ComputeTotals(map::Normalize(reloaded));
      row.entries = m.e820.size() + m.efi.size();
      row.highest = t.highest_any;
      row.ram = t.usable_bytes;
      row.warnings = warnings.size();
    }
    if (!row.error.empty()) row.output.clear();
    rows.push_back(row);
  }
  PrintTable(rows, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return std::any_of(rows.begin(), rows.end(), [](const Row& r) { return !r.error.empty(); }) ? kExitFound : kExitOk;
}

}  // namespace bootmap::cli
