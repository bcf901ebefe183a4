/* What the embedder provides besides the two callbacks: memset and memcpy (the compiler may
 * emit calls to them even under -ffreestanding -fno-builtin; GCC manual, "C Dialect Options").
 * Byte loops through volatile pointers, so the compiler cannot turn them back into calls. */
#include <stddef.h>

void* memset(void* dst, int c, size_t n) {
  volatile unsigned char* d = (volatile unsigned char*)dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
  volatile unsigned char* d = (volatile unsigned char*)dst;
  const volatile unsigned char* s = (const volatile unsigned char*)src;
  while (n--) *d++ = *s++;
  return dst;
}
