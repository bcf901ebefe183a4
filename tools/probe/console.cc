#include "tools/probe/console.h"

namespace probe {
namespace {

inline void PutChar(char c) {
  // QEMU's ISA debug console: every byte written to port 0xE9 goes to the chardev.
  asm volatile("outb %0, %1" : : "a"(c), "Nd"(uint16_t{0xe9}));
}

}  // namespace

Line& Line::Text(const char* s) {
  while (*s) PutChar(*s++);
  return *this;
}

Line& Line::Hex(uint64_t v) {
  char buf[19];
  int n = 0;
  do {
    const unsigned d = v & 0xf;
    buf[n++] = char(d < 10 ? '0' + d : 'a' + d - 10);
    v >>= 4;
  } while (v);
  Text(" 0x");
  while (n) PutChar(buf[--n]);
  return *this;
}

Line& Line::Dec(uint64_t v) {
  char buf[21];
  int n = 0;
  do {
    buf[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  PutChar(' ');
  while (n) PutChar(buf[--n]);
  return *this;
}

Line& Line::Word(const char* s) {
  PutChar(' ');
  return Text(s);
}

void Line::End() { PutChar('\n'); }

}  // namespace probe
