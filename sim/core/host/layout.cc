// The JSON form of a layout (maps/PROFILES.md, "Layout JSON").
#include "sim/core/host/layout.h"

#include <fstream>
#include <iterator>

#include "sim/io/json_util.h"
#include "sim/map/memory_map.h"

namespace bootmap::core::host {
namespace {

using io::Child;
using io::Describe;
using io::Json;

class Parser {
 public:
  Parser(std::string_view source, HostLayout* out) : source_(source), out_(out) {}

  bool Layout(const Json& doc, const std::string& at) {
    if (!doc.is_object()) return Fail(at, "expected an object, got " + Describe(doc));
    if (!Known(doc, at, {"profile", "windows", "transition", "paging"})) return false;
    if (auto it = doc.find("profile"); it != doc.end()) {
      if (!it->is_string()) return Fail(Child(at, "profile"), "expected a profile name");
      const std::string name = it->get<std::string>();
      if (!LoadProfile(name, out_)) {
        std::string why = "unknown profile \"" + name + "\" (profiles:";
        for (std::string_view p : ProfileNames()) why += " " + std::string(p);
        return Fail(Child(at, "profile"), why + ")");
      }
    }
    if (auto it = doc.find("windows"); it != doc.end()) {
      const std::string wat = Child(at, "windows");
      if (!it->is_array()) return Fail(wat, "expected an array, got " + Describe(*it));
      for (size_t i = 0; i < it->size(); ++i)
        if (!ParseWindow((*it)[i], Child(wat, i))) return false;
    }
    if (auto it = doc.find("transition"); it != doc.end()) {
      const std::string tat = Child(at, "transition");
      if (!it->is_array()) return Fail(tat, "expected an array, got " + Describe(*it));
      out_->has_transition = true;
      for (size_t i = 0; i < it->size(); ++i) {
        const Json& t = (*it)[i];
        const std::string rat = Child(tat, i);
        if (!t.is_object()) return Fail(rat, "expected {\"base\", \"size\"}, got " + Describe(t));
        if (!Known(t, rat, {"base", "size", "role"})) return false;
        RoleRange r;
        if (!U64(t, rat, "base", false, true, &r.base) || !U64(t, rat, "size", true, true, &r.size))
          return false;
        if (auto role = t.find("role"); role != t.end()) {
          const std::optional<RangeRole> named =
              role->is_string() ? map::RangeRoleFromName(role->get<std::string>()) : std::nullopt;
          if (!named) return Fail(Child(rat, "role"), "expected \"code\", \"data\", \"stack\" or \"boot-info\", got " + Describe(*role));
          r.role = *named;
        }
        if (r.size == 0) return Fail(Child(rat, "size"), "must not be zero");
        out_->transition.push_back(r);
      }
    }
    if (auto it = doc.find("paging"); it != doc.end() && !Paging(*it, Child(at, "paging"))) return false;
    if (out_->windows.empty()) return Fail(at, "a layout needs a profile or windows");
    if (out_->windows.size() > 0xffff) return Fail(at, "too many windows (65535 at most)");
    return true;
  }

  std::string error() const { return error_; }

 private:
  // "paging": the layout's own format, over the profile's and the CPU default (--paging wins).
  bool Paging(const Json& v, const std::string& at) {
    const std::string name = v.is_string() ? v.get<std::string>() : "";
    if (name == "4") out_->paging = core::Paging::kX86Level4;
    else if (name == "5") out_->paging = core::Paging::kX86Level5;
    else if (name == "ept") out_->paging = core::Paging::kEptLevel4;
    else if (name == "ept5") out_->paging = core::Paging::kEptLevel5;
    else return Fail(at, "expected \"4\", \"5\", \"ept\" or \"ept5\", got " + Describe(v));
    out_->paging_from_layout = true;
    return true;
  }

  bool Fail(const std::string& at, const std::string& why) {
    error_ = std::string(source_) + ":" + at + ": " + why;
    return false;
  }
  bool Known(const Json& obj, const std::string& at, std::initializer_list<std::string_view> keys) {
    std::string why;
    std::string bad = io::FindUnknownKey(obj, keys, &why);
    if (bad.empty()) return true;
    return Fail(Child(at, bad), why);
  }
  bool U64(const Json& obj, const std::string& at, const char* key, bool units, bool required,
           uint64_t* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return required ? Fail(at, std::string("missing \"") + key + "\"") : true;
    std::string why;
    if (!io::ReadU64(*it, units, out, &why)) return Fail(Child(at, key), why);
    return true;
  }
  bool Bool(const Json& obj, const std::string& at, const char* key, bool* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_boolean()) return Fail(Child(at, key), "expected true or false, got " + Describe(*it));
    *out = it->get<bool>();
    return true;
  }
  bool PageLevel(const Json& obj, const std::string& at, const char* key, uint8_t* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    uint64_t bytes = 0;
    std::string why;
    if (!io::ReadU64(*it, true, &bytes, &why)) return Fail(Child(at, key), why);
    for (uint8_t l = kLevel4K; l <= kLevel1G; ++l)
      if (bytes == LevelBytes(l)) {
        *out = l;
        return true;
      }
    return Fail(Child(at, key), "expected \"4 KiB\", \"2 MiB\" or \"1 GiB\", got " + Describe(*it));
  }

  bool Kinds(const Json& v, const std::string& at, uint32_t* out) {
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      if (s == "all") { *out = kAllKinds; return true; }
      if (s == "ram") { *out = RamLikeKinds(); return true; }
    }
    if (!v.is_array())
      return Fail(at, "expected \"all\", \"ram\" or an array of region kinds, got " + Describe(v));
    *out = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const Json& k = v[i];
      bool found = false;
      if (k.is_string()) {
        for (int kind = 0; kind < kRegionKindCount; ++kind) {
          if (map::RegionKindName(RegionKind(kind)) == k.get<std::string>()) {
            *out |= KindBit(RegionKind(kind));
            found = true;
          }
        }
      }
      if (!found) {
        std::string names;
        for (int kind = 0; kind < kRegionKindCount; ++kind)
          names += std::string(kind ? ", " : "") + std::string(map::RegionKindName(RegionKind(kind)));
        return Fail(Child(at, i), "unknown region kind " + Describe(k) + " (kinds: " + names + ")");
      }
    }
    return true;
  }

  // A role name, or (if `many`) an array of them; as RoleBit mask.
  bool Roles(const Json& v, const std::string& at, bool many, uint32_t* out) {
    const std::string expected = "expected \"code\", \"data\", \"stack\" or \"boot-info\"";
    if (v.is_string()) {
      const std::optional<RangeRole> r = map::RangeRoleFromName(v.get<std::string>());
      if (!r) return Fail(at, expected + ", got " + Describe(v));
      *out = RoleBit(*r);
      return true;
    }
    if (!many || !v.is_array()) return Fail(at, expected + (many ? " or an array of them" : "") + ", got " + Describe(v));
    *out = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      uint32_t bit = 0;
      if (!Roles(v[i], Child(at, i), false, &bit)) return false;
      *out |= bit;
    }
    return true;
  }

  bool ParseWindow(const Json& j, const std::string& at) {
    if (!j.is_object()) return Fail(at, "expected a window object, got " + Describe(j));
    if (!Known(j, at,
               {"name", "kinds", "runtime_kinds", "framebuffer", "used", "transition", "min", "max", "span",
                "round", "placement", "base", "base_la57", "max_slots", "writable", "nx", "user",
                "global", "type", "max_page"}))
      return false;
    Window w;
    w.sources = 0;
    auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get<std::string>().empty())
      return Fail(name == j.end() ? at : Child(at, "name"), "a window needs a non-empty \"name\"");
    w.name = out_->Keep(name->get<std::string>());
    if (auto it = j.find("kinds"); it != j.end()) {
      if (!Kinds(*it, Child(at, "kinds"), &w.kinds)) return false;
      w.sources |= kSourceRegions;
    }
    if (auto it = j.find("runtime_kinds"); it != j.end()) {
      if (!Kinds(*it, Child(at, "runtime_kinds"), &w.runtime_kinds)) return false;
      w.sources |= kSourceRegions;
    }
    bool flag = false;
    if (!Bool(j, at, "framebuffer", &flag)) return false;
    if (flag) w.sources |= kSourceFramebuffer;
    if (auto it = j.find("transition"); it != j.end()) {
      // true: every transition range; a role or an array of roles: those ranges only.
      if (it->is_boolean()) {
        if (it->get<bool>()) w.sources |= kSourceTransition;
      } else {
        if (!Roles(*it, Child(at, "transition"), true, &w.transition_roles)) return false;
        w.sources |= kSourceTransition;
      }
    }
    if (auto it = j.find("used"); it != j.end()) {
      if (it->is_string()) {
        w.used_name = out_->Keep(it->get<std::string>());
        w.sources |= kSourceUsed;
      } else if (it->is_boolean()) {
        if (it->get<bool>()) w.sources |= kSourceUsed;
      } else {
        return Fail(Child(at, "used"), "expected true, false or a used-range name, got " + Describe(*it));
      }
    }
    if (w.sources == 0)
      return Fail(at, "window selects nothing: give \"kinds\", \"framebuffer\", \"used\" or \"transition\"");
    if (!U64(j, at, "min", true, false, &w.min_addr) || !U64(j, at, "max", true, false, &w.max_addr))
      return false;
    if (w.min_addr >= w.max_addr) return Fail(Child(at, "min"), "must be below \"max\"");
    if (auto it = j.find("span"); it != j.end()) {
      const std::string s = it->is_string() ? it->get<std::string>() : "";
      if (s == "whole") {
        w.whole_span = true;
      } else if (s == "whole-to-max") {
        w.whole_span = w.span_to_max = true;
      } else if (s != "regions") {
        return Fail(Child(at, "span"), "expected \"regions\", \"whole\" or \"whole-to-max\", got " + Describe(*it));
      }
    }
    if (!PageLevel(j, at, "round", &w.round_level) || !PageLevel(j, at, "max_page", &w.max_level))
      return false;
    bool has_base = j.contains("base");
    if (auto it = j.find("placement"); it != j.end()) {
      const std::string s = it->is_string() ? it->get<std::string>() : "";
      if (s == "identity") w.placement = Placement::kIdentity;
      else if (s == "offset") w.placement = Placement::kOffset;
      else if (s == "linear") w.placement = Placement::kLinear;
      else if (s == "auto") w.placement = Placement::kAuto;
      else
        return Fail(Child(at, "placement"),
                    "expected \"identity\", \"offset\", \"linear\" or \"auto\", got " + Describe(*it));
    }
    const bool wants_base = w.placement == Placement::kOffset || w.placement == Placement::kLinear;
    if (wants_base && !has_base) return Fail(at, "placement \"offset\"/\"linear\" needs \"base\"");
    if (!wants_base && has_base) return Fail(Child(at, "base"), "only placement \"offset\" or \"linear\" takes a base");
    if (!U64(j, at, "base", false, false, &w.base) || !U64(j, at, "base_la57", false, false, &w.base_la57))
      return false;
    if ((w.base | w.base_la57) & (kFrameBytes - 1))
      return Fail(Child(at, (w.base & (kFrameBytes - 1)) ? "base" : "base_la57"), "must be 4 KiB aligned");
    uint64_t slots = 0;
    if (!U64(j, at, "max_slots", false, false, &slots)) return false;
    if (slots > 512) return Fail(Child(at, "max_slots"), "at most 512");
    w.max_slots = uint32_t(slots);
    if (!Bool(j, at, "writable", &w.writable) || !Bool(j, at, "nx", &w.nx) ||
        !Bool(j, at, "user", &w.user) || !Bool(j, at, "global", &w.global))
      return false;
    if (auto it = j.find("type"); it != j.end()) {
      const std::string s = it->is_string() ? it->get<std::string>() : "";
      if (s == "by-kind") {
        w.type_rule = TypeRule::kByKind;
      } else if (auto t = map::MemTypeFromName(s)) {
        w.type_rule = TypeRule::kFixed;
        w.fixed_type = *t;
      } else {
        return Fail(Child(at, "type"), "expected \"by-kind\", \"WB\", \"WT\", \"WC\", \"WP\", \"UC\" or \"UC-\", got " + Describe(*it));
      }
    }
    out_->windows.push_back(w);
    return true;
  }

  std::string_view source_;
  HostLayout* out_;
  std::string error_;
};

}  // namespace

const char* HostLayout::Keep(std::string s) {
  strings_.push_back(std::move(s));
  return strings_.back().c_str();
}

namespace {

std::string ParseLayoutDoc(const Json& doc, std::string_view source, std::string_view pointer, HostLayout* out) {
  Parser p(source, out);
  if (!p.Layout(doc, std::string(pointer))) return p.error();
  return "";
}

}  // namespace

std::string ParseLayout(std::string_view json_text, std::string_view source,
                        std::string_view pointer, HostLayout* out) {
  Json doc = Json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return std::string(source) + ":" + std::string(pointer) + ": not valid JSON";
  return ParseLayoutDoc(doc, source, pointer, out);
}

std::string LoadLayoutFile(const std::string& path, HostLayout* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot open";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return path + ": not valid JSON";
  if (doc.is_object() && doc.contains("layout") && !doc.contains("windows") && !doc.contains("profile"))
    return ParseLayoutDoc(doc["layout"], path, "/layout", out);
  return ParseLayoutDoc(doc, path, "", out);
}

}  // namespace bootmap::core::host
