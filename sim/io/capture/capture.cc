// bootmap capture: every source read once, in the order the facts depend on each other (the
// CPU's MAXPHYADDR before the MTRR masks). A source that is missing or unreadable is a warning;
// a source whose content does not parse is an error (nothing is written).
#include "sim/io/capture/capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sim/io/capture/source_file.h"
#include "sim/io/capture/sources.h"
#include "sim/io/import/import.h"
#include "sim/io/import/text_util.h"

namespace bootmap::capture {
namespace {

struct Ctx {
  const CaptureOptions& options;
  CaptureResult& result;
  std::string Path(const char* p) const { return UnderRoot(options.root, p); }
  void Missing(const std::string& path, const std::string& why, const std::string& consequence) {
    result.warnings.push_back(path + ": " + why + ": " + consequence);
  }
  bool Fail(std::string error) {
    result.error = std::move(error);
    return false;
  }
};

// "Permission denied" -> "Permission denied (needs root)".
std::string Denied(const std::string& why, int err, const char* needs) {
  return err == EACCES || err == EPERM ? why + " (" + needs + ")" : why;
}

// A text source: false on bad content (the error set); *present false when it is missing or
// unreadable (warned, with `consequence`).
bool ReadSource(Ctx& c, const std::string& path, const std::string& consequence, SourceText* t, bool* present) {
  *t = ReadTextSource(path);
  *present = t->status == SourceStatus::kOk;
  if (t->status == SourceStatus::kBad) return c.Fail(t->why);
  if (!*present) c.Missing(path, Denied(t->why, t->err, "needs root"), consequence);
  return true;
}

bool CaptureCpu(Ctx& c) {
  const std::string path = c.Path("proc/cpuinfo");
  SourceText t;
  bool present = false;
  if (!ReadSource(c, path, "CPU facts are the map defaults (vendor unknown, maxphyaddr 46: assumed)", &t, &present))
    return false;
  if (!present) return true;
  std::vector<std::string> notes;
  std::string error;
  if (!ParseCpuinfo(t.text, path, &c.result.map.cpu, &notes, &error)) return c.Fail(error);
  c.result.warnings.insert(c.result.warnings.end(), notes.begin(), notes.end());
  c.result.sources.push_back("CPU facts from " + path);
  return true;
}

// The firmware's E820 from sysfs; the kernel log's efi: mem lines (and its BIOS-e820 lines when
// sysfs has no memmap).
bool CaptureFirmwareMaps(Ctx& c) {
  map::MemoryMap& m = c.result.map;
  importer::ImportOptions io;
  const std::string memmap = c.Path("sys/firmware/memmap");
  io.source = memmap;
  std::error_code ec;
  if (std::filesystem::is_directory(memmap, ec)) {
    importer::ImportResult r = importer::ImportSysfsDir(memmap, io);
    if (!r.ok) return c.Fail(r.error);
    c.result.warnings.insert(c.result.warnings.end(), r.warnings.begin(), r.warnings.end());
    m.e820 = std::move(r.map.e820);
    c.result.sources.push_back("E820 (" + std::to_string(m.e820.size()) + " entries) from " + memmap);
  } else {
    c.Missing(memmap, "missing", "no firmware E820 from sysfs (CONFIG_FIRMWARE_MEMMAP; in a container /sys/firmware may be hidden)");
  }
  const std::string kmsg = c.Path("dev/kmsg");
  std::string log, why;
  int err = 0;
  switch (ReadKernelLog(kmsg, &log, &why, &err)) {
    case LogStatus::kBad: return c.Fail(why);
    case LogStatus::kMissing:
    case LogStatus::kUnreadable:
      c.Missing(kmsg, Denied(why, err, "reading the kernel log needs root or CAP_SYSLOG when kernel.dmesg_restrict=1"),
                "no EFI map from the kernel log's efi: mem lines");
      return true;
    case LogStatus::kOk: break;
  }
  io.source = kmsg;
  if (importer::DetectFormat(log) == importer::Format::kAuto) {
    c.Missing(kmsg, "no BIOS-e820 or efi: mem lines (they need efi=debug, and the log may have wrapped)",
              "no EFI map from the kernel log");
    return true;
  }
  importer::ImportResult r = importer::Import(log, importer::Format::kDmesg, io);
  if (!r.ok) return c.Fail(r.error);
  c.result.warnings.insert(c.result.warnings.end(), r.warnings.begin(), r.warnings.end());
  if (!r.map.efi.empty()) {
    m.efi = std::move(r.map.efi);
    c.result.sources.push_back("EFI map (" + std::to_string(m.efi.size()) + " descriptors) from " + kmsg +
                               " efi: mem lines");
  } else {
    c.Missing(kmsg, "no efi: mem lines (they need efi=debug, and the log may have wrapped)", "no EFI map");
  }
  if (m.e820.empty() && !r.map.e820.empty()) {
    m.e820 = std::move(r.map.e820);
    c.result.sources.push_back("E820 (" + std::to_string(m.e820.size()) + " entries) from " + kmsg +
                               " BIOS-e820 lines");
  }
  return true;
}

// EFI runtime descriptors: checked against the full EFI map when there is one; without it they
// are kept as used ranges (runtime code: role code), so the tables keep them mapped.
bool CaptureRuntimeMap(Ctx& c) {
  const std::string dir = c.Path("sys/firmware/efi/runtime-map");
  std::vector<map::EfiDescriptor> rt;
  std::string error;
  if (!ReadEfiRuntimeMap(dir, &rt, &error)) {
    if (!error.empty()) return c.Fail(error);
    c.Missing(dir, "missing", "no EFI runtime descriptors (not booted through UEFI, or CONFIG_EFI_RUNTIME_MAP off)");
    return true;
  }
  map::MemoryMap& m = c.result.map;
  size_t unmatched = 0;
  for (size_t i = 0; i < rt.size(); ++i) {
    const map::EfiDescriptor& d = rt[i];
    if (!m.efi.empty()) {
      bool found = false;
      for (const map::EfiDescriptor& e : m.efi) found |= e.base == d.base && e.pages == d.pages && e.type == d.type;
      unmatched += !found;
      continue;
    }
    if (d.pages == 0 || d.pages > (~uint64_t{0} - d.base) / map::kPageSize) continue;
    const bool code = d.type == uint32_t(map::EfiType::kRuntimeServicesCode);
    m.used.push_back({"efi-runtime-" + std::to_string(i), d.base, d.pages * map::kPageSize,
                      code ? RangeRole::kCode : RangeRole::kData});
  }
  if (unmatched != 0)
    c.result.warnings.push_back(dir + ": " + std::to_string(unmatched) + " of " + std::to_string(rt.size()) +
                                " runtime descriptors are not in the kernel log's EFI map (the EFI map is kept)");
  c.result.sources.push_back("EFI runtime descriptors (" + std::to_string(rt.size()) + ") from " + dir +
                             (m.efi.empty() ? " as used ranges" : ", checked against the EFI map"));
  return true;
}

// IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the fixed and the VCNT variable pairs (SDM Vol. 3A 12.11).
// The msr driver reads the MSR whose number is the file offset, 8 bytes at a time.
SourceStatus ReadMsrs(const std::string& path, MtrrMsrs* m, std::string* why) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    *why = Denied(std::strerror(err), err, "needs root: CAP_SYS_RAWIO");
    if (err == ENOENT) *why += " (load the msr module: modprobe msr)";
    return err == ENOENT ? SourceStatus::kMissing : SourceStatus::kUnreadable;
  }
  bool ok = true;
  const auto rd = [&](uint32_t msr, uint64_t* v) {
    if (!ok) return;
    if (::pread(fd, v, 8, off_t(msr)) != 8) {
      *why = "MSR " + importer::Hex(msr) + " not readable (" + (errno ? std::strerror(errno) : "short read") + ")";
      ok = false;
    }
  };
  errno = 0;
  rd(0xfe, &m->cap);
  rd(0x2ff, &m->def_type);
  for (int i = 0; i < 11; ++i) rd(kFixedMsrs[i], &m->fixed[i]);
  const uint32_t vcnt = ok ? uint32_t(m->cap & 0xff) : 0;  // IA32_MTRRCAP[7:0]
  for (uint32_t n = 0; ok && n < vcnt; ++n) {
    uint64_t base = 0, mask = 0;
    rd(0x200 + 2 * n, &base);
    rd(0x201 + 2 * n, &mask);
    m->variable.emplace_back(base, mask);
  }
  ::close(fd);
  return ok ? SourceStatus::kOk : SourceStatus::kUnreadable;
}

bool CaptureMtrrs(Ctx& c) {
  map::MemoryMap& m = c.result.map;
  const std::string msr = c.Path("dev/cpu/0/msr");
  MtrrMsrs msrs;
  std::string why;
  if (ReadMsrs(msr, &msrs, &why) == SourceStatus::kOk) {
    std::string error;
    m.mtrr.emplace();
    if (!DecodeMtrrMsrs(msrs, msr, m.cpu.maxphyaddr, &*m.mtrr, &error)) return c.Fail(error);
    c.result.sources.push_back("MTRRs (default, " + std::to_string(m.mtrr->fixed.size()) + " fixed, " +
                               std::to_string(m.mtrr->variable.size()) + " variable) from " + msr);
    return true;
  }
  c.Missing(msr, why, "MTRRs from /proc/mtrr instead (variable ranges only)");
  const std::string proc = c.Path("proc/mtrr");
  SourceText t;
  bool present = false;
  if (!ReadSource(c, proc, "no MTRRs: memory types rest on the documented assumption (PAT alone)", &t, &present))
    return false;
  if (!present) return true;
  m.mtrr.emplace();
  m.mtrr->default_known = false;
  m.mtrr->default_type = MemType::kWB;
  m.mtrr->fixed_known = false;
  std::string error;
  if (!ParseProcMtrr(t.text, proc, m.cpu.maxphyaddr, &m.mtrr->variable, &error)) return c.Fail(error);
  c.result.sources.push_back("variable MTRRs (" + std::to_string(m.mtrr->variable.size()) + ") from " + proc +
                             "; default type and fixed ranges unknown");
  return true;
}

bool CaptureKernelRanges(Ctx& c) {
  const std::string path = c.Path("proc/iomem");
  SourceText t;
  bool present = false;
  if (!ReadSource(c, path, "no kernel ranges (the loader footprint will be assumed)", &t, &present)) return false;
  if (!present) return true;
  KernelRanges k;
  std::string error;
  if (!ParseIomemRanges(t.text, path, &k, &error)) return c.Fail(error);
  if (k.hidden) {
    c.Missing(path, "every address reads 0 (needs root: CAP_SYS_ADMIN)", "no kernel ranges, no framebuffer");
    return true;
  }
  map::MemoryMap& m = c.result.map;
  m.used.insert(m.used.end(), k.used.begin(), k.used.end());
  if (k.framebuffer) m.framebuffer = k.framebuffer;
  c.result.sources.push_back(std::to_string(k.used.size()) + " kernel ranges" +
                             (k.framebuffer ? " and the boot framebuffer" : "") + " from " + path);
  return true;
}

std::string HostName(const Ctx& c) {
  if (!c.options.name.empty()) return c.options.name;
  SourceText t = ReadTextSource(c.Path("proc/sys/kernel/hostname"));
  std::string name;
  for (char ch : importer::Trim(t.text)) {
    if (name.size() < 64 && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_'))
      name.push_back(ch);
  }
  return name.empty() ? "capture" : "capture-" + name;
}

}  // namespace

CaptureResult Capture(const CaptureOptions& options) {
  CaptureResult result;
  Ctx c{options, result};
  if (!CaptureCpu(c) || !CaptureFirmwareMaps(c) || !CaptureRuntimeMap(c) || !CaptureMtrrs(c) ||
      !CaptureKernelRanges(c)) {
    result.map = map::MemoryMap{};
    return result;
  }
  if (result.map.e820.empty() && result.map.efi.empty()) {
    result.error = UnderRoot(options.root, "sys/firmware/memmap") + ": no memory map: no firmware E820 there and no "
                   "BIOS-e820 or efi: mem lines in " + UnderRoot(options.root, "dev/kmsg");
    result.map = map::MemoryMap{};
    return result;
  }
  result.map.name = HostName(c);
  result.map.origin = "bootmap capture on a live machine: ";
  for (size_t i = 0; i < result.sources.size(); ++i) result.map.origin += (i ? "; " : "") + result.sources[i];
  result.ok = true;
  return result;
}

}  // namespace bootmap::capture
