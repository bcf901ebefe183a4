// One identity layout built by the production core as IA-32e 4-level, 5-level, EPT
// 4-level and EPT 5-level, each walked by the emulator at the same sampled addresses.
// Findings: a crash or sanitizer report; a layout one format builds and another refuses;
// any sampled address where the formats disagree (mapped or not, pa, page size, writable,
// executable, memory type).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/map_decoder.h"
#include "sim/core/host/build.h"
#include "sim/verify/from_build.h"
#include "sim/verify/verify.h"

namespace {

using namespace bootmap;

constexpr core::Paging kFormats[] = {core::Paging::kX86Level4, core::Paging::kX86Level5, core::Paging::kEptLevel4,
                                     core::Paging::kEptLevel5};

// Identity windows only (maps/PROFILES.md), so va = guest-physical = pa in every format.
std::string IdentityLayout(FuzzedDataProvider& fdp) {
  std::string json = "{\"windows\":[";
  const int windows = fdp.ConsumeIntegralInRange(1, 3);
  for (int i = 0; i < windows; ++i) {
    json += std::string(i ? "," : "") + "{\"name\":\"w" + std::to_string(i) + "\"";
    json += std::string(",\"kinds\":") + fdp.PickValueInArray({"\"all\"", "\"ram\"", "[\"reserved\",\"mmio\"]",
                                                               "[\"usable\",\"acpi-reclaim\"]"});
    json += std::string(",\"span\":\"") + fdp.PickValueInArray({"regions", "whole"}) + "\"";
    json += std::string(",\"round\":\"") + fdp.PickValueInArray({"4 KiB", "2 MiB"}) + "\"";
    json += std::string(",\"writable\":") + (fdp.ConsumeBool() ? "true" : "false");
    json += std::string(",\"nx\":") + (fdp.ConsumeBool() ? "true" : "false");
    json += std::string(",\"type\":\"") + fdp.PickValueInArray({"by-kind", "WB", "UC", "WC", "WT", "WP", "UC-"}) + "\"";
    json += std::string(",\"max_page\":\"") + fdp.PickValueInArray({"4 KiB", "2 MiB", "1 GiB"}) + "\"}";
  }
  return json + "]}";
}

// EPT has no UC-: the core writes UC there (SDM Vol. 3C 29.3.7), so UC- in IA-32e and UC
// in EPT are the same mapping.
verify::Probe Comparable(verify::Probe p) {
  if (p.type == MemType::kUCMinus) p.type = MemType::kUC;
  return p;
}

std::string Describe(uint64_t va, const verify::Probe& a, const verify::Probe& b) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "va 0x%llx: mapped %d/%d pa 0x%llx/0x%llx page 0x%llx/0x%llx w %d/%d x %d/%d type %d/%d",
                (unsigned long long)va, a.mapped, b.mapped, (unsigned long long)a.pa, (unsigned long long)b.pa,
                (unsigned long long)a.page_size, (unsigned long long)b.page_size, a.writable, b.writable, a.exec,
                b.exec, int(a.type), int(b.type));
  return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  // Inside the 4-level space (48 bits), so every format can hold the identity map.
  map::MemoryMap m = fuzz::DecodeMap(fdp, {.max_entries = 32, .min_maxphyaddr = 32, .max_maxphyaddr = 46,
                                           .hostile = false});
  m.cpu.la57 = true;  // 5-level needs it
  m.cpu.nx = true;    // IA-32e drops XD without NX; EPT has no such switch
  m.cpu.ept.page1gb = m.cpu.page1gb;  // the same leaf sizes in every format (EPT's is its own fact)
  core::host::HostOptions options;
  options.max_table_frames = 64;  // 4 formats per exec: large layouts are cut (cleanly) to keep it fast
  if (fdp.ConsumeBool()) options.profile = "ept-identity";
  else m.layout_json = IdentityLayout(fdp);

  std::vector<uint64_t> samples;
  for (int i = 0; i < 16 && fdp.remaining_bytes() > 0; ++i)
    samples.push_back(fdp.ConsumeIntegralInRange<uint64_t>(0, (uint64_t{1} << m.cpu.maxphyaddr) - 1));

  std::vector<verify::Input> inputs;
  std::vector<emu::PhysMem> mems;
  mems.reserve(4);
  bool any_built = false, all_built = true;
  std::string errors;
  for (core::Paging p : kFormats) {
    options.paging = p;
    mems.emplace_back(m.cpu.maxphyaddr);
    const core::host::BuildResult b = core::host::BuildTables(m, options, &mems.back());
    if (!b.ok) {
      // Frames may run out in one format and not another (5-level takes one more table).
      if (b.error.find("above the limit") != std::string::npos ||
          b.error.find("not enough free RAM") != std::string::npos) {
        return 0;
      }
      all_built = false;
      errors += b.error + "\n";
      continue;
    }
    any_built = true;
    if (inputs.empty()) {
      for (const core::MapRequest& r : b.requests) {
        for (uint64_t va : {r.va, r.va + r.size - 1, r.va + r.size, r.va - 1, r.va + r.size / 2}) samples.push_back(va);
      }
    }
    inputs.push_back(verify::FromBuild(m, b, &mems.back()));
  }
  if (any_built != all_built) {
    std::fprintf(stderr, "differential_fuzzer: built in some formats only:\n%s", errors.c_str());
    std::abort();
  }
  if (!all_built) return 0;
  for (uint64_t va : samples) {
    if (va >> 47) continue;  // not an identity address in the 4-level space
    const verify::Probe first = Comparable(verify::Walk(inputs[0], va));
    for (size_t i = 1; i < inputs.size(); ++i) {
      const verify::Probe other = Comparable(verify::Walk(inputs[i], va));
      if (!(other == first)) {
        std::fprintf(stderr, "differential_fuzzer: format %zu differs from 4-level at %s\n", i,
                     Describe(va, first, other).c_str());
        std::abort();
      }
    }
  }
  return 0;
}
