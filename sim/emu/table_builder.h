// Test and benchmark helper: writes paging-structure entries (IA-32e or EPT) into PhysMem,
// creating the tables on the way with given non-leaf flags. Not used by the emulator itself.
#pragma once
#include <cstdint>

#include "sim/emu/ia32e_entry.h"
#include "sim/emu/phys_mem.h"

namespace bootmap::emu {

class TableBuilder {
 public:
  static constexpr uint64_t kDefaultTableFlags = ia32e::kP | ia32e::kRW | ia32e::kUS;

  TableBuilder(PhysMem& mem, int levels = 4, uint64_t first_frame = uint64_t{1} << 20,
               uint64_t table_flags = kDefaultTableFlags)
      : mem_(mem), levels_(levels), next_(first_frame), table_flags_(table_flags) {
    root_ = NewTable();
  }

  uint64_t root() const { return root_; }
  int levels() const { return levels_; }
  uint64_t NewTable() {
    uint64_t pa = next_;
    next_ += kFrameSize;
    mem_.FrameForWrite(pa);
    return pa;
  }
  // Address of the entry for `va` at `level`, creating missing tables above it.
  uint64_t EntryPa(uint64_t va, int level) {
    uint64_t table = root_;
    for (int l = levels_; l > level; --l) {
      uint64_t epa = table + 8 * uint64_t(ia32e::Index(va, l));
      uint64_t e = mem_.Read64(epa);
      if (e == 0) {
        e = NewTable() | table_flags_;
        mem_.Write64(epa, e);
      }
      table = e & ia32e::kAddr;
    }
    return table + 8 * uint64_t(ia32e::Index(va, level));
  }
  uint64_t Set(uint64_t va, int level, uint64_t entry) {
    uint64_t epa = EntryPa(va, level);
    mem_.Write64(epa, entry);
    return epa;
  }
  uint64_t Get(uint64_t va, int level) { return mem_.Read64(EntryPa(va, level)); }
  uint64_t next_frame() const { return next_; }

 private:
  PhysMem& mem_;
  int levels_;
  uint64_t next_;
  uint64_t table_flags_;
  uint64_t root_;
};

}  // namespace bootmap::emu
