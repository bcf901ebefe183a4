// bootmap import: a dumped firmware memory map (dmesg, efi=debug, UEFI Shell memmap, sysfs,
// Xen, QEMU fw_cfg etc/e820, multiboot2, /proc/iomem, GRUB lsmmap) -> a map file, entries
// as the firmware said them.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "sim/io/import/import.h"
#include "sim/io/import/text_util.h"
#include "sim/io/map_json.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/import_batch.h"

namespace bootmap::cli {
namespace {

struct ImportArgs {
  std::string format = "auto";
  std::vector<std::string> inputs;
  std::string output;
  std::string name;
  std::string origin;
  std::string cpu;
  bool strict = false;
  bool kernel_view = false;
};

// "vendor=amd,maxphyaddr=40,page1gb=false" -> CpuFacts fields.
bool ParseCpu(std::string_view text, map::CpuFacts* cpu, std::string* why) {
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = importer::Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      *why = "--cpu: expected KEY=VALUE, got \"" + std::string(item) + "\"";
      return false;
    }
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    auto flag = [&](bool* out) {
      if (value == "true" || value == "1") return *out = true, true;
      if (value == "false" || value == "0") return *out = false, true;
      *why = "--cpu: " + std::string(key) + " must be true or false";
      return false;
    };
    if (key == "vendor") {
      if (value == "intel") {
        cpu->vendor = map::CpuVendor::kIntel;
      } else if (value == "amd") {
        cpu->vendor = map::CpuVendor::kAmd;
      } else if (value == "unknown") {
        cpu->vendor = map::CpuVendor::kUnknown;
      } else {
        *why = "--cpu: vendor must be intel, amd or unknown";
        return false;
      }
    } else if (key == "maxphyaddr") {
      uint64_t v = 0;
      // SDM Vol. 3A 4.1.4: MAXPHYADDR is at most 52.
      if (!importer::ParseNumberAll(value, &v) || v < 32 || v > 52) {
        *why = "--cpu: maxphyaddr must be 32..52";
        return false;
      }
      cpu->maxphyaddr = static_cast<uint8_t>(v);
    } else if (key == "page1gb") {
      if (!flag(&cpu->page1gb)) return false;
    } else if (key == "la57") {
      if (!flag(&cpu->la57)) return false;
    } else if (key == "nx") {
      if (!flag(&cpu->nx)) return false;
    } else {
      *why = "--cpu: unknown key \"" + std::string(key) +
             "\" (vendor, maxphyaddr, page1gb, la57, nx)";
      return false;
    }
  }
  return true;
}

bool ReadInput(const std::string& path, uint64_t limit, std::string* out, std::string* why) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      *why = path + ": cannot open";
      return false;
    }
    in = &file;
  }
  std::string data;
  char buf[1 << 16];
  while (in->read(buf, sizeof buf) || in->gcount() > 0) {
    data.append(buf, static_cast<size_t>(in->gcount()));
    if (data.size() > limit) {
      *why = (path == "-" ? std::string("<stdin>") : path) + ": input is larger than " +
             std::to_string(limit) + " bytes";
      return false;
    }
  }
  if (in->bad()) {
    *why = path + ": read error";
    return false;
  }
  *out = std::move(data);
  return true;
}

std::string DefaultName(const std::string& input) {
  if (input == "-") return "stdin";
  std::filesystem::path p(input);
  if (!p.has_filename()) p = p.parent_path();
  return p.stem().string();
}

// One input -> a map with name, origin and CPU set; false with *error (FILE:LINE: ...) on bad input.
bool ConvertOne(const ImportArgs& args, const std::string& input, map::MemoryMap* out,
                std::vector<std::string>* warnings, std::string* error, importer::Format* parsed = nullptr,
                std::vector<std::string>* notes = nullptr) {
  auto format = importer::FormatFromName(args.format);
  if (!format) return *error = "--format: unknown format \"" + args.format + "\"", false;
  importer::ImportOptions options;
  options.strict = args.strict;
  options.kernel_view = args.kernel_view;
  options.source = input == "-" ? "<stdin>" : input;

  importer::ImportResult result;
  std::error_code ec;
  if (input != "-" && std::filesystem::is_directory(input, ec)) {
    if (*format != importer::Format::kAuto && *format != importer::Format::kSysfs)
      return *error = input + ": a directory is read as sysfs (/sys/firmware/memmap) only", false;
    result = importer::ImportSysfsDir(input, options);
  } else {
    std::string data;
    if (!ReadInput(input, options.max_input_bytes, &data, error)) return false;
    result = importer::Import(data, *format, options);
  }
  *warnings = result.warnings;
  if (notes) *notes = result.notes;
  if (!result.ok) return *error = result.error, false;
  map::MemoryMap& m = result.map;
  m.name = args.name.empty() ? DefaultName(input) : args.name;
  if (!args.origin.empty()) m.origin = args.origin;
  if (!args.cpu.empty() && !ParseCpu(args.cpu, &m.cpu, error)) return false;
  *out = std::move(m);
  if (parsed) *parsed = result.format;
  return true;
}

int Run(const ImportArgs& args) {
  if (args.inputs.size() > 1 || IsOutputDirectory(args.output)) {
    if (!args.name.empty()) return BadInput("--name: one name cannot name many maps (each is named after its input)");
    if (args.output.empty() || args.output == "-") return BadInput("several inputs need -o OUTDIR (one map file each)");
    return RunImportBatch(args.inputs, args.output,
                          [&args](const std::string& in, map::MemoryMap* m, std::vector<std::string>* w, std::string* e) {
                            return ConvertOne(args, in, m, w, e);
                          });
  }
  const std::string& input = args.inputs.front();
  map::MemoryMap m;
  std::vector<std::string> warnings;
  std::string error;
  std::vector<std::string> notes;
  importer::Format parsed = importer::Format::kAuto;
  const bool ok = ConvertOne(args, input, &m, &warnings, &error, &parsed, &notes);
  for (const std::string& w : warnings) std::cerr << "bootmap: warning: " << w << "\n";
  for (const std::string& n : notes) std::cerr << "bootmap: note: " << n << "\n";
  if (!ok) return BadInput(error);

  std::string text = io::SaveMap(m);
  // What import writes must load: check it with the map-file loader itself.
  map::MemoryMap reloaded;
  io::LoadResult check = io::ParseMap(text, args.output.empty() ? "<stdout>" : args.output, &reloaded);
  if (!check.ok) return BadInput(check.error);
  if (int rc = WriteOutput(args.output, text); rc != kExitOk) return rc;
  if (!args.output.empty() && args.output != "-")
    std::cerr << "bootmap: imported " << m.e820.size() << " E820 entries and " << m.efi.size()
              << " EFI descriptors (" << importer::FormatName(parsed) << ") into " << args.output << "\n";
  return kExitOk;
}

void Setup(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ImportArgs>();
  app.add_option("--format", args->format,
                 "auto|dmesg|efi-debug|uefi-shell|sysfs|xen|fw-cfg|multiboot2|iomem|grub-lsmmap")
      ->capture_default_str();
  app.add_option("input", args->inputs,
                 "dump file, /sys/firmware/memmap directory, or - for stdin; several files or directories "
                 "of dumps with -o OUTDIR")
      ->required();
  app.add_option("-o,--output", args->output,
                 "map file to write (default: stdout); a directory (existing, or ending in /) converts every "
                 "input into OUTDIR/NAME.json and prints a summary table");
  app.add_option("--name", args->name, "map name (default: the input's file name stem)");
  app.add_option("--origin", args->origin,
                 "origin text (default: the dump's leading # comment lines, else the format and file name)");
  app.add_option("--cpu", args->cpu,
                 "CPU facts the dump implies: vendor=intel|amd,maxphyaddr=N,page1gb=,la57=,nx=");
  app.add_flag("--strict", args->strict, "any unrecognised line inside a map is an error");
  app.add_flag("--kernel-view", args->kernel_view,
               "dmesg: apply the kernel's own 'e820: update/remove' lines (the map the kernel "
               "ended up with); each applied line is noted on stderr");
  app.callback([args, exit_code] { *exit_code = Run(*args); });
}

[[maybe_unused]] const bool registered = RegisterCommand(
    "import", "convert a dumped firmware memory map (dmesg, efi=debug, UEFI Shell, sysfs, Xen, "
              "fw_cfg, multiboot2, /proc/iomem, GRUB lsmmap) into a map file",
    &Setup);

}  // namespace
}  // namespace bootmap::cli
