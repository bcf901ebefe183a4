// The two library functions the core may call (tools/checks/freestanding-core proves it
// needs nothing else), as string instructions so no compiler turns them into calls of
// themselves.
#include <stddef.h>

extern "C" void* memset(void* dst, int c, size_t n) {
  void* d = dst;
  asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

extern "C" void* memcpy(void* dst, const void* src, size_t n) {
  void* d = dst;
  asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}
