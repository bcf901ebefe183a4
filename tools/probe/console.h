// Lines on QEMU's debug console (I/O port 0xE9, `-debugcon file:F`), the probe's only
// output. The runner parses them (tools/probe/README.md, "Report lines"). Freestanding.
#pragma once
#include <stdint.h>

namespace probe {

class Line {
 public:
  Line& Text(const char* s);
  Line& Hex(uint64_t v);  // " 0x..." (leading space: fields are space-separated)
  Line& Dec(uint64_t v);  // " 123"
  Line& Word(const char* s);  // " word"
  void End();             // the newline
};

inline Line Out(const char* keyword) { return Line().Text(keyword); }

}  // namespace probe
