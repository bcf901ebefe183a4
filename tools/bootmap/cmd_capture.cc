// bootmap capture [-o FILE] [--name N] [--root DIR]: the running machine's firmware maps, MTRRs,
// CPU facts and kernel ranges as a map file (sim/io/capture/capture.h says which source gives what).
#include <iostream>

#include "sim/io/capture/capture.h"
#include "sim/io/map_json.h"
#include "tools/bootmap/command.h"

namespace bootmap::cli {
namespace {

struct Args {
  std::string output, name, root = "/";
};

int Run(const Args& a) {
  capture::CaptureOptions options;
  options.root = a.root;
  options.name = a.name;
  capture::CaptureResult r = capture::Capture(options);
  if (!r.ok) return BadInput(r.error);
  const std::string text = io::SaveMap(r.map);
  // What capture writes must load: check it with the map-file loader itself.
  map::MemoryMap reloaded;
  io::LoadResult check = io::ParseMap(text, a.output.empty() ? "<stdout>" : a.output, &reloaded);
  if (!check.ok) return BadInput("the captured map does not load: " + check.error);
  for (const std::string& w : r.warnings) std::cerr << "bootmap: warning: " << w << "\n";
  if (int rc = WriteOutput(a.output, text); rc != kExitOk) return rc;
  std::cerr << "bootmap: captured " << r.map.e820.size() << " E820 entries, " << r.map.efi.size()
            << " EFI descriptors, " << (r.map.mtrr ? r.map.mtrr->variable.size() : 0) << " variable MTRRs, "
            << r.map.used.size() << " used ranges" << (a.output.empty() || a.output == "-" ? "" : " into " + a.output)
            << "\n";
  return kExitOk;
}

void Setup(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  app.add_option("-o,--output", a->output, "map file to write (default: stdout)");
  app.add_option("--name", a->name, "map name (default: capture-HOSTNAME)");
  app.add_option("--root", a->root, "read /sys, /proc and /dev under this directory (a saved tree)")
      ->capture_default_str();
  app.footer(
      "Reads /sys/firmware/memmap (E820), /dev/kmsg (efi: mem lines; needs root or CAP_SYSLOG when\n"
      "kernel.dmesg_restrict=1), /sys/firmware/efi/runtime-map, /dev/cpu/0/msr (MTRRs; needs root and the\n"
      "msr module), else /proc/mtrr (variable MTRRs only; default type and fixed ranges unknown),\n"
      "/proc/cpuinfo, /proc/iomem (kernel ranges; addresses read 0 without root). Each source used is\n"
      "named in the map's origin; each missing or unreadable one is a warning on stderr.");
  app.callback([a, exit_code] { *exit_code = Run(*a); });
}

const bool registered =
    RegisterCommand("capture", "capture this Linux machine's memory map, MTRRs, CPU facts and kernel ranges", &Setup);

}  // namespace
}  // namespace bootmap::cli
