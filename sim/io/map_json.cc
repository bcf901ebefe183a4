#include "sim/io/map_json.h"

#include <fstream>
#include <sstream>

#include "sim/io/json_util.h"

namespace bootmap::io {
namespace {

using map::MemoryMap;
using u128 = unsigned __int128;

// Byte offset -> "line L, column C".
std::string Position(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Nesting depth of the document, strings skipped; stops early past `limit`.
// Checked before parsing so a hostile file cannot exhaust the stack.
bool DepthWithin(std::string_view text, int limit, size_t* where) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        *where = i;
        return false;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// SAX pass that only records the first syntax error, with its byte position.
struct SyntaxCheck : nlohmann::json_sax<Json> {
  size_t position = 0;
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
    position = pos;
    message = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    if (size_t colon = message.find(": "); colon != std::string::npos) message = message.substr(colon + 2);
    return false;
  }
};

class Reader {
 public:
  Reader(std::string_view source, const MapLimits& limits) : source_(source), limits_(limits) {}

  bool Fail(const std::string& pointer, const std::string& problem) {
    if (error_.empty()) error_ = std::string(source_) + ":" + (pointer.empty() ? "" : pointer + ":") + " " + problem;
    return false;
  }
  const std::string& error() const { return error_; }

  bool Object(const Json& v, const std::string& ptr, std::initializer_list<std::string_view> known) {
    if (!v.is_object()) return Fail(ptr, "expected an object, got " + Describe(v));
    std::string why;
    std::string key = FindUnknownKey(v, known, &why);
    if (!key.empty()) return Fail(Child(ptr, key), why);
    return true;
  }

  bool Array(const Json& v, const std::string& ptr) {
    if (!v.is_array()) return Fail(ptr, "expected an array, got " + Describe(v));
    if (v.size() > limits_.max_entries)
      return Fail(ptr, std::to_string(v.size()) + " entries, more than the limit of " +
                           std::to_string(limits_.max_entries));
    return true;
  }

  const Json* Member(const Json& obj, const std::string& ptr, const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) Fail(ptr, std::string("missing field \"") + key + "\"");
      return nullptr;
    }
    return &*it;
  }

  bool U64(const Json& obj, const std::string& ptr, const char* key, bool units, uint64_t* out) {
    const Json* v = Member(obj, ptr, key, true);
    if (v == nullptr) return false;
    std::string why;
    if (!ReadU64(*v, units, out, &why)) return Fail(Child(ptr, key), why);
    return true;
  }

  bool Bool(const Json& obj, const std::string& ptr, const char* key, bool* out) {
    const Json* v = Member(obj, ptr, key, false);
    if (v == nullptr) return true;
    if (!v->is_boolean()) return Fail(Child(ptr, key), "expected true or false, got " + Describe(*v));
    *out = v->get<bool>();
    return true;
  }

  bool String(const Json& obj, const std::string& ptr, const char* key, bool required, std::string* out) {
    const Json* v = Member(obj, ptr, key, required);
    if (v == nullptr) return !required;
    if (!v->is_string()) return Fail(Child(ptr, key), "expected a string, got " + Describe(*v));
    *out = v->get<std::string>();
    return true;
  }

  // base + size must not pass 2^64, nor 2^MAXPHYADDR (SDM Vol. 3A 4.1.4).
  bool Range(const std::string& ptr, uint64_t base, u128 size, const char* size_key) {
    u128 end = u128(base) + size;
    if (end > (u128(1) << 64))
      return Fail(Child(ptr, size_key), "base + size passes 2^64 (base " + Hex(base) + ")");
    if (end > (u128(1) << maxphyaddr_))
      return Fail(ptr, "range ends past MAXPHYADDR (2^" + std::to_string(maxphyaddr_) +
                           " = " + Hex(uint64_t(1) << maxphyaddr_) + "); raise cpu.maxphyaddr if the CPU has more");
    return true;
  }

  bool MemTypeField(const Json& obj, const std::string& ptr, const char* key, bool required, MemType* out) {
    std::string name;
    if (!String(obj, ptr, key, required, &name)) return false;
    if (name.empty() && !required) return true;
    auto t = map::MemTypeFromName(name);
    if (!t || *t == MemType::kUCMinus)
      return Fail(Child(ptr, key), "expected a memory type UC, WC, WT, WP or WB, got \"" + name + "\"");
    *out = *t;
    return true;
  }

  bool Cpu(const Json& v, map::CpuFacts* cpu) {
    const std::string ptr = "/cpu";
    if (!Object(v, ptr, {"vendor", "maxphyaddr", "page1gb", "la57", "nx", "ept"})) return false;
    std::string vendor = "unknown";
    if (!String(v, ptr, "vendor", false, &vendor)) return false;
    if (vendor == "intel") cpu->vendor = map::CpuVendor::kIntel;
    else if (vendor == "amd") cpu->vendor = map::CpuVendor::kAmd;
    else if (vendor == "unknown") cpu->vendor = map::CpuVendor::kUnknown;
    else return Fail(Child(ptr, "vendor"), "expected \"intel\", \"amd\" or \"unknown\", got \"" + vendor + "\"");
    if (v.contains("maxphyaddr")) {
      uint64_t bits;
      if (!U64(v, ptr, "maxphyaddr", false, &bits)) return false;
      if (bits < 32 || bits > 52)
        return Fail(Child(ptr, "maxphyaddr"), "MAXPHYADDR must be 32..52 (SDM Vol. 3A 4.1.4), got " + std::to_string(bits));
      cpu->maxphyaddr = uint8_t(bits);
    }
    maxphyaddr_ = cpu->maxphyaddr;
    if (const Json* e = Member(v, ptr, "ept", false); e && !Ept(*e, &cpu->ept)) return false;
    return Bool(v, ptr, "page1gb", &cpu->page1gb) && Bool(v, ptr, "la57", &cpu->la57) && Bool(v, ptr, "nx", &cpu->nx);
  }

  // IA32_VMX_EPT_VPID_CAP bits 16, 17, 7 (SDM Vol. 3D Appendix A.10); absent ones stay true.
  bool Ept(const Json& v, map::EptCaps* ept) {
    const std::string ptr = "/cpu/ept";
    if (!Object(v, ptr, {"page2m", "page1gb", "five_level"}) || !Bool(v, ptr, "page2m", &ept->page2m) ||
        !Bool(v, ptr, "page1gb", &ept->page1gb) || !Bool(v, ptr, "five_level", &ept->five_level))
      return false;
    if (ept->page1gb && !ept->page2m)  // the builder's page-size cap is one largest size
      return Fail(ptr, "page1gb without page2m is not modelled (a processor with 1 GiB EPT pages has 2 MiB ones); "
                       "set page1gb to false too");
    return true;
  }

  bool E820(const Json& v, std::vector<map::E820Entry>* out) {
    const std::string ptr = "/e820";
    if (!Array(v, ptr)) return false;
    out->reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string p = Child(ptr, i);
      const Json& e = v[i];
      map::E820Entry entry;
      if (!Object(e, p, {"base", "size", "type"}) || !U64(e, p, "base", false, &entry.base) ||
          !U64(e, p, "size", true, &entry.size) || !Range(p, entry.base, entry.size, "size"))
        return false;
      const Json* t = Member(e, p, "type", true);
      if (t == nullptr) return false;
      if (t->is_string()) {
        auto type = map::E820TypeFromName(t->get_ref<const std::string&>());
        if (!type) {
          uint64_t n;
          std::string why;
          if (!ReadU64(*t, false, &n, &why) || n > UINT32_MAX)
            return Fail(Child(p, "type"), "expected an E820 type (usable, reserved, acpi, nvs, unusable, "
                                          "persistent, legacy-persistent, soft-reserved or a number), got " +
                                              Describe(*t));
          type = uint32_t(n);
        }
        entry.type = *type;
      } else if (t->is_number_unsigned() && t->get<uint64_t>() <= UINT32_MAX) {
        entry.type = t->get<uint32_t>();
      } else {
        return Fail(Child(p, "type"), "expected an E820 type name or number, got " + Describe(*t));
      }
      out->push_back(entry);
    }
    return true;
  }

  bool Efi(const Json& v, std::vector<map::EfiDescriptor>* out) {
    const std::string ptr = "/efi";
    if (!Array(v, ptr)) return false;
    out->reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string p = Child(ptr, i);
      const Json& e = v[i];
      map::EfiDescriptor d;
      if (!Object(e, p, {"type", "base", "pages", "virt", "attributes"}) || !U64(e, p, "base", false, &d.base) ||
          !U64(e, p, "pages", false, &d.pages))
        return false;
      if (d.base % map::kPageSize != 0)
        return Fail(Child(p, "base"), "PhysicalStart " + Hex(d.base) + " is not 4 KiB aligned (UEFI 2.10 7.2)");
      if (!Range(p, d.base, u128(d.pages) * map::kPageSize, "pages")) return false;
      if (e.contains("virt") && !U64(e, p, "virt", false, &d.virt)) return false;
      const Json* t = Member(e, p, "type", true);
      if (t == nullptr) return false;
      if (t->is_string()) {
        auto type = map::EfiTypeFromName(t->get_ref<const std::string&>());
        uint64_t n;
        std::string why;
        if (type) d.type = *type;
        else if (ReadU64(*t, false, &n, &why) && n <= UINT32_MAX) d.type = uint32_t(n);
        else return Fail(Child(p, "type"), "expected a UEFI memory type (EfiConventionalMemory, ... or a number), got " + Describe(*t));
      } else if (t->is_number_unsigned() && t->get<uint64_t>() <= UINT32_MAX) {
        d.type = t->get<uint32_t>();
      } else {
        return Fail(Child(p, "type"), "expected a UEFI memory type name or number, got " + Describe(*t));
      }
      if (const Json* a = Member(e, p, "attributes", false)) {
        const std::string ap = Child(p, "attributes");
        if (!a->is_array()) return Fail(ap, "expected an array of attribute names, got " + Describe(*a));
        for (size_t j = 0; j < a->size(); ++j) {
          const Json& name = (*a)[j];
          std::optional<uint64_t> bit;
          if (name.is_string()) bit = map::EfiAttrFromName(name.get_ref<const std::string&>());
          uint64_t raw;
          std::string why;
          if (!bit && name.is_string() && ReadU64(name, false, &raw, &why)) bit = raw;  // e.g. ISA mask bits
          if (!bit)
            return Fail(Child(ap, j), "expected an attribute (UC WC WT WB UCE WP RP XP NV MORE_RELIABLE RO SP "
                                      "CPU_CRYPTO ISA_VALID RUNTIME or a hex value), got " + Describe(name));
          d.attributes |= *bit;
        }
      }
      out->push_back(d);
    }
    return true;
  }

  bool Mtrr(const Json& v, map::Mtrrs* mtrr) {
    const std::string ptr = "/mtrr";
    if (!Object(v, ptr, {"default", "fixed", "variable"})) return false;
    // "unknown": the source did not give it (maps/SCHEMA.md); assumed WB where it decides.
    const auto unknown = [&v](const char* key) {
      auto it = v.find(key);
      return it != v.end() && it->is_string() && it->get_ref<const std::string&>() == "unknown";
    };
    if (unknown("default")) {
      mtrr->default_known = false;
      mtrr->default_type = MemType::kWB;
    } else if (!MemTypeField(v, ptr, "default", true, &mtrr->default_type)) {
      return false;
    }
    if (unknown("fixed")) {
      mtrr->fixed_known = false;
    } else if (const Json* f = Member(v, ptr, "fixed", false)) {
      const std::string fp = Child(ptr, "fixed");
      if (!Array(*f, fp)) return false;
      for (size_t i = 0; i < f->size(); ++i) {
        const std::string p = Child(fp, i);
        map::MtrrRange r;
        if (!Object((*f)[i], p, {"base", "size", "type"}) || !U64((*f)[i], p, "base", false, &r.base) ||
            !U64((*f)[i], p, "size", true, &r.size) || !MemTypeField((*f)[i], p, "type", true, &r.type))
          return false;
        // SDM Vol. 3A 12.11.2.2: 64 KiB units below 0x80000, 16 KiB to 0xC0000, 4 KiB to 1 MiB.
        if (u128(r.base) + r.size > 0x100000 || r.size == 0)
          return Fail(p, "fixed-range MTRRs cover [0, 0x100000) only");
        uint64_t unit = r.base < 0x80000 ? 0x10000 : r.base < 0xC0000 ? 0x4000 : 0x1000;
        uint64_t end = r.base + r.size;
        uint64_t end_unit = end <= 0x80000 ? 0x10000 : end <= 0xC0000 ? 0x4000 : 0x1000;
        if (r.base % unit != 0 || end % end_unit != 0)
          return Fail(p, "fixed-range MTRR bounds must fall on the fixed-range granularity (64 KiB below "
                         "0x80000, 16 KiB below 0xC0000, 4 KiB below 0x100000)");
        mtrr->fixed.push_back(r);
      }
    }
    if (const Json* var = Member(v, ptr, "variable", false)) {
      const std::string vp = Child(ptr, "variable");
      if (!Array(*var, vp)) return false;
      const uint64_t phys_mask = maxphyaddr_ >= 64 ? ~0ull : (1ull << maxphyaddr_) - 1;
      for (size_t i = 0; i < var->size(); ++i) {
        const std::string p = Child(vp, i);
        map::MtrrVariable r;
        if (!Object((*var)[i], p, {"base", "mask", "type"}) || !U64((*var)[i], p, "base", false, &r.base) ||
            !U64((*var)[i], p, "mask", false, &r.mask) || !MemTypeField((*var)[i], p, "type", true, &r.type))
          return false;
        // SDM Vol. 3A 12.11.2.3: 4 KiB granular, within MAXPHYADDR; a mask should be
        // contiguous (ones from MAXPHYADDR-1 down) and the base aligned to it.
        if (r.base % map::kPageSize != 0 || r.mask % map::kPageSize != 0)
          return Fail(p, "base and mask must be 4 KiB aligned");
        if ((r.base & ~phys_mask) != 0 || (r.mask & ~phys_mask) != 0)
          return Fail(p, "base or mask has bits at or above MAXPHYADDR");
        uint64_t low_zeros = ~r.mask & phys_mask;  // must be 2^k - 1
        if (r.mask == 0 || (low_zeros & (low_zeros + 1)) != 0)
          return Fail(Child(p, "mask"), "mask " + Hex(r.mask) + " is not contiguous");
        if ((r.base & low_zeros) != 0)
          return Fail(Child(p, "base"), "base " + Hex(r.base) + " is not aligned to the range size " +
                                            Hex(low_zeros + 1));
        mtrr->variable.push_back(r);
      }
    }
    return true;
  }

  bool Used(const Json& v, std::vector<map::UsedRange>* out) {
    const std::string ptr = "/used";
    if (!Array(v, ptr)) return false;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string p = Child(ptr, i);
      map::UsedRange u;
      std::string role;
      if (!Object(v[i], p, {"name", "base", "size", "role"}) || !String(v[i], p, "name", true, &u.name) ||
          !U64(v[i], p, "base", false, &u.base) || !U64(v[i], p, "size", true, &u.size) ||
          !Range(p, u.base, u.size, "size") || !String(v[i], p, "role", false, &role))
        return false;
      if (!role.empty()) {
        const std::optional<RangeRole> r = map::RangeRoleFromName(role);
        if (!r) return Fail(Child(p, "role"), "expected \"code\", \"data\", \"stack\" or \"boot-info\", got \"" + role + "\"");
        u.role = *r;
      }
      out->push_back(std::move(u));
    }
    return true;
  }

  bool Document(const Json& doc, MemoryMap* m) {
    if (!Object(doc, "", {"format", "name", "origin", "cpu", "e820", "efi", "mtrr", "framebuffer", "used", "stage", "layout"}))
      return false;
    std::string format;
    if (!String(doc, "", "format", true, &format)) return false;
    if (format != kMapFormat)
      return Fail("/format", "expected \"" + std::string(kMapFormat) + "\", got \"" + format + "\"");
    if (!String(doc, "", "name", true, &m->name) || !String(doc, "", "origin", false, &m->origin)) return false;
    if (const Json* c = Member(doc, "", "cpu", false); c && !Cpu(*c, &m->cpu)) return false;
    if (const Json* e = Member(doc, "", "e820", false); e && !E820(*e, &m->e820)) return false;
    if (const Json* e = Member(doc, "", "efi", false); e && !Efi(*e, &m->efi)) return false;
    if (m->e820.empty() && m->efi.empty()) return Fail("", "no memory map: give a non-empty \"e820\" or \"efi\" array");
    if (const Json* t = Member(doc, "", "mtrr", false)) {
      m->mtrr.emplace();
      if (!Mtrr(*t, &*m->mtrr)) return false;
    }
    if (const Json* f = Member(doc, "", "framebuffer", false)) {
      map::Framebuffer fb;
      if (!Object(*f, "/framebuffer", {"base", "size"}) || !U64(*f, "/framebuffer", "base", false, &fb.base) ||
          !U64(*f, "/framebuffer", "size", true, &fb.size) || !Range("/framebuffer", fb.base, fb.size, "size"))
        return false;
      m->framebuffer = fb;
    }
    if (const Json* u = Member(doc, "", "used", false); u && !Used(*u, &m->used)) return false;
    std::string stage;
    if (!String(doc, "", "stage", false, &stage)) return false;
    if (!stage.empty()) {
      const std::optional<map::Stage> s = map::StageFromName(stage);
      if (!s) return Fail("/stage", "expected \"after-exit-boot-services\" or \"before-exit-boot-services\", got \"" + stage + "\"");
      m->stage = *s;
    }
    if (const Json* l = Member(doc, "", "layout", false)) {
      if (!l->is_object()) return Fail("/layout", "expected an object, got " + Describe(*l));
      m->layout_json = l->dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    return true;
  }

 private:
  std::string_view source_;
  MapLimits limits_;
  std::string error_;
  int maxphyaddr_ = map::CpuFacts{}.maxphyaddr;
};

std::string AttributeList(uint64_t attributes) {
  std::string out = "[";
  bool first = true;
  auto add = [&](const std::string& s) {
    out += first ? "\"" : ", \"";
    out += s + "\"";
    first = false;
  };
  uint64_t rest = attributes;
  for (int bit = 0; bit < 64; ++bit) {
    uint64_t b = 1ull << bit;
    if ((attributes & b) == 0) continue;
    std::string_view name = map::EfiAttrName(b);
    if (name.empty()) continue;
    add(std::string(name));
    rest &= ~b;
  }
  if (rest != 0) add(Hex(rest));
  return out + "]";
}

std::string Quote(const std::string& s) { return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

LoadResult ParseMap(std::string_view text, std::string_view source, MemoryMap* out, const MapLimits& limits) {
  LoadResult result;
  auto fail = [&](const std::string& problem) {
    result.error = std::string(source) + ": " + problem;
    return result;
  };
  if (text.size() > limits.max_file_bytes)
    return fail("file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                std::to_string(limits.max_file_bytes));
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return fail("empty file, expected a JSON object");
  size_t where = 0;
  if (!DepthWithin(text, limits.max_depth, &where))
    return fail("JSON nested deeper than " + std::to_string(limits.max_depth) + " levels at " + Position(text, where));
  Json doc = Json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) {
    SyntaxCheck check;  // second pass only to locate the error
    Json::sax_parse(text.begin(), text.end(), &check, nlohmann::detail::input_format_t::json, false);
    return fail("invalid JSON at " + Position(text, check.position ? check.position - 1 : 0) + ": " + check.message);
  }
  MemoryMap m;
  Reader reader(source, limits);
  if (!reader.Document(doc, &m)) {
    result.error = reader.error();
    return result;
  }
  *out = std::move(m);
  result.ok = true;
  return result;
}

LoadResult LoadMapFile(const std::string& path, MemoryMap* out, const MapLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {false, path + ": cannot open file"};
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return {false, path + ": cannot read file (not a regular file?)"};
  if (uint64_t(size) > limits.max_file_bytes)
    return {false, path + ": file is " + std::to_string(size) + " bytes, more than the limit of " +
                       std::to_string(limits.max_file_bytes)};
  in.seekg(0);
  std::string text(size_t(size), '\0');
  if (!in.read(text.data(), size)) return {false, path + ": cannot read file"};
  return ParseMap(text, path, out, limits);
}

std::string SaveMap(const MemoryMap& m) {
  std::ostringstream o;
  o << "{\n  \"format\": " << Quote(std::string(kMapFormat)) << ",\n  \"name\": " << Quote(m.name) << ",\n";
  if (!m.origin.empty()) o << "  \"origin\": " << Quote(m.origin) << ",\n";
  const char* vendor = m.cpu.vendor == map::CpuVendor::kIntel ? "intel"
                       : m.cpu.vendor == map::CpuVendor::kAmd ? "amd"
                                                              : "unknown";
  auto flag = [](bool b) { return b ? "true" : "false"; };
  o << "  \"cpu\": {\"vendor\": \"" << vendor << "\", \"maxphyaddr\": " << int(m.cpu.maxphyaddr)
    << ", \"page1gb\": " << flag(m.cpu.page1gb) << ", \"la57\": " << flag(m.cpu.la57)
    << ", \"nx\": " << flag(m.cpu.nx);
  if (m.cpu.ept != map::EptCaps{})  // written when it differs from the defaults old maps get
    o << ", \"ept\": {\"page2m\": " << flag(m.cpu.ept.page2m) << ", \"page1gb\": " << flag(m.cpu.ept.page1gb)
      << ", \"five_level\": " << flag(m.cpu.ept.five_level) << "}";
  o << "}";
  if (!m.e820.empty()) {
    o << ",\n  \"e820\": [";
    for (size_t i = 0; i < m.e820.size(); ++i) {
      const auto& e = m.e820[i];
      std::string_view name = map::E820TypeName(e.type);
      o << (i ? ",\n" : "\n") << "    {\"base\": \"" << Hex(e.base) << "\", \"size\": \"" << Hex(e.size)
        << "\", \"type\": " << (name.empty() ? std::to_string(e.type) : Quote(std::string(name))) << "}";
    }
    o << "\n  ]";
  }
  if (!m.efi.empty()) {
    o << ",\n  \"efi\": [";
    for (size_t i = 0; i < m.efi.size(); ++i) {
      const auto& d = m.efi[i];
      std::string_view name = map::EfiTypeName(d.type);
      o << (i ? ",\n" : "\n") << "    {\"type\": " << (name.empty() ? std::to_string(d.type) : Quote(std::string(name)))
        << ", \"base\": \"" << Hex(d.base) << "\", \"pages\": " << d.pages;
      if (d.virt != 0) o << ", \"virt\": \"" << Hex(d.virt) << "\"";
      o << ", \"attributes\": " << AttributeList(d.attributes) << "}";
    }
    o << "\n  ]";
  }
  if (m.mtrr) {
    o << ",\n  \"mtrr\": {\"default\": \""
      << (m.mtrr->default_known ? map::MemTypeName(m.mtrr->default_type) : "unknown") << "\"";
    if (!m.mtrr->fixed_known) o << ", \"fixed\": \"unknown\"";
    if (m.mtrr->fixed_known && !m.mtrr->fixed.empty()) {
      o << ",\n    \"fixed\": [";
      for (size_t i = 0; i < m.mtrr->fixed.size(); ++i) {
        const auto& r = m.mtrr->fixed[i];
        o << (i ? ",\n" : "\n") << "      {\"base\": \"" << Hex(r.base) << "\", \"size\": \"" << Hex(r.size)
          << "\", \"type\": \"" << map::MemTypeName(r.type) << "\"}";
      }
      o << "\n    ]";
    }
    if (!m.mtrr->variable.empty()) {
      o << ",\n    \"variable\": [";
      for (size_t i = 0; i < m.mtrr->variable.size(); ++i) {
        const auto& r = m.mtrr->variable[i];
        o << (i ? ",\n" : "\n") << "      {\"base\": \"" << Hex(r.base) << "\", \"mask\": \"" << Hex(r.mask)
          << "\", \"type\": \"" << map::MemTypeName(r.type) << "\"}";
      }
      o << "\n    ]";
    }
    o << "}";
  }
  if (m.framebuffer)
    o << ",\n  \"framebuffer\": {\"base\": \"" << Hex(m.framebuffer->base) << "\", \"size\": \""
      << Hex(m.framebuffer->size) << "\"}";
  if (!m.used.empty()) {
    o << ",\n  \"used\": [";
    for (size_t i = 0; i < m.used.size(); ++i) {
      const auto& u = m.used[i];
      o << (i ? ",\n" : "\n") << "    {\"name\": " << Quote(u.name) << ", \"base\": \"" << Hex(u.base)
        << "\", \"size\": \"" << Hex(u.size) << "\"";
      if (u.role != RangeRole::kData) o << ", \"role\": \"" << map::RangeRoleName(u.role) << "\"";
      o << "}";
    }
    o << "\n  ]";
  }
  if (m.stage != map::Stage::kAfterExitBootServices) o << ",\n  \"stage\": \"" << map::StageName(m.stage) << "\"";
  if (!m.layout_json.empty()) {
    Json layout = Json::parse(m.layout_json, nullptr, false);
    if (!layout.is_discarded()) {
      std::string text = layout.dump(2, ' ', false, Json::error_handler_t::replace);
      std::string indented;
      for (char c : text) {
        indented += c;
        if (c == '\n') indented += "  ";
      }
      o << ",\n  \"layout\": " << indented;
    }
  }
  o << "\n}\n";
  return o.str();
}

}  // namespace bootmap::io
