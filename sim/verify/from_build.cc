#include "sim/verify/from_build.h"

namespace bootmap::verify {

Format FormatOf(core::Paging paging) {
  switch (paging) {
    case core::Paging::kX86Level4: return Format::kIa32e4;
    case core::Paging::kX86Level5: return Format::kIa32e5;
    case core::Paging::kEptLevel4: return Format::kEpt4;
    case core::Paging::kEptLevel5: return Format::kEpt5;
  }
  return Format::kIa32e4;
}

Input FromBuild(const map::MemoryMap& m, const core::host::BuildResult& b, emu::PhysMem* mem) {
  Input in;
  in.format = FormatOf(b.paging);
  in.mem = mem;
  in.map = m;
  in.regions = map::Normalize(m).regions;
  in.cpu.cr3 = b.root_pa;
  in.cpu.cr4_la57 = in.format == Format::kIa32e5;
  in.cpu.maxphyaddr = m.cpu.maxphyaddr;
  in.cpu.page1gb = m.cpu.page1gb;
  in.cpu.efer_nxe = m.cpu.nx;
  in.cpu.pat = b.pat_msr;
  in.ept.eptp = emu::ept::MakeEptp(b.root_pa, Levels(in.format), MemType::kWB);
  in.ept.maxphyaddr = m.cpu.maxphyaddr;
  in.ept.page1gb = m.cpu.page1gb;
  for (const core::MapRequest& q : b.requests) {
    Expected e;
    e.va = q.va;
    e.pa = q.pa;
    e.size = q.size;
    e.writable = q.writable;
    e.user = q.user;
    e.nx = q.nx;
    e.type = q.type;
    e.max_page = uint64_t{1} << (12 + 9 * q.max_level);
    e.window = q.window;
    in.expected.push_back(e);
  }
  for (const core::host::WindowReport& w : b.windows) in.windows.push_back(w.name);
  for (const core::PhysRange& t : b.transition) in.transition.push_back({t.base, t.size});
  in.table_frames = b.table_frames;
  std::vector<OutputRegion> out;
  for (const core::host::OutputRegion& r : b.output_map) out.push_back({r.base, r.size, r.kind == "page-tables"});
  in.output_map = std::move(out);
  return in;
}

}  // namespace bootmap::verify
