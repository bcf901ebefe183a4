// The few UEFI 2.10 definitions the UEFI probe uses (chapter 4 tables, 7.2/7.4 services),
// written out here: Debian's gnu-efi headers are not needed for four calls. Freestanding.
#pragma once
#include <stdint.h>

#define EFIAPI __attribute__((ms_abi))

namespace efi {

using Status = uint64_t;  // EFI_STATUS
using Handle = void*;
inline constexpr Status kSuccess = 0;
inline constexpr Status kInvalidParameter = 0x8000000000000002ull;  // Appendix D
inline constexpr Status kBufferTooSmall = 0x8000000000000005ull;

struct TableHeader {  // 4.2
  uint64_t signature;
  uint32_t revision, header_size, crc32, reserved;
};

struct BootServices {  // 4.4: only the members up to ExitBootServices, in order
  TableHeader hdr;
  void* raise_tpl;
  void* restore_tpl;
  void* allocate_pages;
  void* free_pages;
  Status(EFIAPI* get_memory_map)(uint64_t* size, void* map, uint64_t* key, uint64_t* descriptor_size,
                                 uint32_t* descriptor_version);
  void* allocate_pool;
  void* free_pool;
  void* create_event;
  void* set_timer;
  void* wait_for_event;
  void* signal_event;
  void* close_event;
  void* check_event;
  void* install_protocol_interface;
  void* reinstall_protocol_interface;
  void* uninstall_protocol_interface;
  void* handle_protocol;
  void* reserved;
  void* register_protocol_notify;
  void* locate_handle;
  void* locate_device_path;
  void* install_configuration_table;
  void* load_image;
  void* start_image;
  void* exit;
  void* unload_image;
  Status(EFIAPI* exit_boot_services)(Handle image, uint64_t map_key);
};
static_assert(__builtin_offsetof(BootServices, exit_boot_services) == 24 + 26 * 8);

struct SystemTable {  // 4.3
  TableHeader hdr;
  const char16_t* firmware_vendor;
  uint32_t firmware_revision;
  Handle console_in_handle;
  void* con_in;
  Handle console_out_handle;
  void* con_out;
  Handle standard_error_handle;
  void* std_err;
  void* runtime_services;
  BootServices* boot_services;
};

}  // namespace efi
