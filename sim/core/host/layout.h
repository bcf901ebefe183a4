// Layouts on the host: named profiles (data presets, maps/PROFILES.md) and the JSON
// `layout` member / --layout files, turned into the core's Layout.
#pragma once
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/plan.h"
#include "sim/core/types.h"

namespace bootmap::core::host {

// Owns what the core's Layout points into. Move-only (Window::name points into strings_).
struct HostLayout {
  HostLayout() = default;
  HostLayout(HostLayout&&) = default;
  HostLayout& operator=(HostLayout&&) = default;
  HostLayout(const HostLayout&) = delete;
  HostLayout& operator=(const HostLayout&) = delete;

  std::string profile;                  // the preset it started from ("" if none)
  std::vector<Window> windows;
  std::vector<RoleRange> transition;    // empty: the map's used ranges below 4 GiB
  bool has_transition = false;
  std::optional<Paging> paging;         // the profile's natural format (EPT for ept-identity), or the layout's "paging"
  bool paging_from_layout = false;      // `paging` came from the layout's own "paging" field

  // Stable storage for names; returns a pointer valid as long as *this.
  const char* Keep(std::string s);

 private:
  std::deque<std::string> strings_;
};

// Names of the presets, the default first.
const std::vector<std::string_view>& ProfileNames();
inline constexpr std::string_view kDefaultProfile = "bootmap";

// False if `name` is not a profile.
bool LoadProfile(std::string_view name, HostLayout* out);

// Parses a layout object (JSON text). `source` and `pointer` name it in errors:
// "SOURCE:POINTER/windows/2/base: problem". Returns "" on success, else that message.
std::string ParseLayout(std::string_view json_text, std::string_view source,
                        std::string_view pointer, HostLayout* out);

// Reads a --layout file: a layout object, or an object with a "layout" member.
std::string LoadLayoutFile(const std::string& path, HostLayout* out);

}  // namespace bootmap::core::host
