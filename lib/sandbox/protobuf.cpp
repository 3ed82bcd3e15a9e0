#include "sandbox/protobuf.hpp"

#include <functional>
#include <map>

#include "sandbox/api_error.hpp"
#include "util/base64.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// One field of a protobuf message: its number, wire type and value (varint or bytes).
struct Field {
  int number = 0;
  int wire = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Splits a message into its fields; nullopt on malformed input.
std::optional<std::vector<Field>> parse(std::string_view m) {
  std::vector<Field> out;
  size_t i = 0;
  auto varint = [&](uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= m.size()) return false;
      auto b = static_cast<unsigned char>(m[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  while (i < m.size()) {
    uint64_t key = 0;
    if (!varint(key)) return std::nullopt;
    Field f;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.wire == 0) {
      if (!varint(f.varint)) return std::nullopt;
    } else if (f.wire == 2) {
      uint64_t len = 0;
      if (!varint(len) || len > m.size() - i) return std::nullopt;
      f.bytes = m.substr(i, len);
      i += len;
    } else if (f.wire == 1 || f.wire == 5) {
      size_t n = f.wire == 1 ? 8 : 4;
      if (m.size() - i < n) return std::nullopt;
      i += n;
    } else {
      return std::nullopt;
    }
    out.push_back(f);
  }
  return out;
}

// A map<string, string|bytes> entry list into a JSON object.
void map_entry(json& obj, std::string_view entry, bool bytes_value) {
  auto fields = parse(entry);
  if (!fields) return;
  std::string key, value;
  for (const auto& f : *fields) {
    if (f.number == 1) key = f.bytes;
    if (f.number == 2) value = f.bytes;
  }
  obj[key] = bytes_value ? base64_encode(value) : value;
}

json object_meta(std::string_view m) {
  json meta = json::object();
  auto fields = parse(m);
  if (!fields) return meta;
  for (const auto& f : *fields) {
    switch (f.number) {
      case 1:
        if (!f.bytes.empty()) meta["name"] = f.bytes;
        break;
      case 2:
        if (!f.bytes.empty()) meta["generateName"] = f.bytes;
        break;
      case 3:
        if (!f.bytes.empty()) meta["namespace"] = f.bytes;
        break;
      case 6:
        if (!f.bytes.empty()) meta["resourceVersion"] = f.bytes;
        break;
      case 11: map_entry(meta["labels"], f.bytes, false); break;
      case 12: map_entry(meta["annotations"], f.bytes, false); break;
      case 14: meta["finalizers"].push_back(std::string(f.bytes)); break;
      default: break;
    }
  }
  return meta;
}

using Decoder = std::function<bool(json&, const Field&)>;

// Field decoders of the kinds kubectl's generators create (numbers from k8s.io/api generated.proto).
std::map<std::string, Decoder> decoders() {
  return {
      {"ConfigMap",
       [](json& o, const Field& f) {
         if (f.number == 2)
           map_entry(o["data"], f.bytes, false);
         else if (f.number == 3)
           map_entry(o["binaryData"], f.bytes, true);
         else if (f.number == 4)
           o["immutable"] = f.varint != 0;
         return true;
       }},
      {"Secret",
       [](json& o, const Field& f) {
         if (f.number == 2)
           map_entry(o["data"], f.bytes, true);
         else if (f.number == 3)
           o["type"] = f.bytes;
         else if (f.number == 4)
           map_entry(o["stringData"], f.bytes, false);
         else if (f.number == 5)
           o["immutable"] = f.varint != 0;
         return true;
       }},
      {"Namespace", [](json&, const Field&) { return true; }},
  };
}

Error unsupported(const ResourceType& t) {
  return api_error(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types include: "
                   "application/json, application/yaml (protobuf is understood only for ConfigMap, Secret and "
                   "Namespace, not " +
                       t.kind + ")");
}

}  // namespace

Result<json> decode_k8s_protobuf(std::string_view body, const ResourceType& t) {
  static const std::map<std::string, Decoder> table = decoders();
  auto it = table.find(t.kind);
  if (it == table.end() || !t.group.empty()) return unsupported(t);
  if (body.substr(0, 4) != std::string_view("k8s\0", 4))
    return api_error(400, "BadRequest", "not a Kubernetes protobuf body");
  auto unknown = parse(body.substr(4));
  if (!unknown) return api_error(400, "BadRequest", "malformed protobuf body");
  json obj = {{"apiVersion", t.api_version()}, {"kind", t.kind}};
  for (const auto& u : *unknown) {
    if (u.number != 2) continue;  // raw: the typed message
    auto fields = parse(u.bytes);
    if (!fields) return api_error(400, "BadRequest", "malformed protobuf object");
    for (const auto& f : *fields) {
      if (f.number == 1)
        obj["metadata"] = object_meta(f.bytes);
      else
        it->second(obj, f);
    }
  }
  return obj;
}

namespace {

// Writers of the protobuf wire format: varint keys, length-delimited strings and messages.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_bool(std::string& out, int field, bool v) {
  put_varint(out, static_cast<uint64_t>(field) << 3);
  put_varint(out, v ? 1 : 0);
}
// openapi_v2.Any{yaml = 2}: JSON is YAML, and gnostic's readers parse it as YAML.
std::string any_of(const json& v) {
  std::string any;
  put_bytes(any, 2, v.dump());
  return any;
}

// openapi_v2.Schema (field numbers from OpenAPIv2.proto).
std::string encode_schema(const json& s) {
  std::string out;
  if (!s.is_object()) return out;
  if (s.contains("$ref")) put_bytes(out, 1, s["$ref"].get<std::string>());
  if (s.contains("format")) put_bytes(out, 2, s["format"].get<std::string>());
  if (s.contains("description") && s["description"].is_string()) put_bytes(out, 4, s["description"]);
  if (s.contains("required") && s["required"].is_array())
    for (const auto& r : s["required"]) put_bytes(out, 19, r.get<std::string>());
  if (s.contains("enum") && s["enum"].is_array())
    for (const auto& e : s["enum"]) put_bytes(out, 20, any_of(e));
  if (s.contains("additionalProperties")) {
    std::string item;  // AdditionalPropertiesItem{schema = 1 | boolean = 2}
    const auto& a = s["additionalProperties"];
    if (a.is_boolean())
      put_bool(item, 2, a.get<bool>());
    else
      put_bytes(item, 1, encode_schema(a));
    put_bytes(out, 21, item);
  }
  if (s.contains("type") && s["type"].is_string()) {
    std::string type;  // TypeItem{repeated string value = 1}
    put_bytes(type, 1, s["type"].get<std::string>());
    put_bytes(out, 22, type);
  }
  if (s.contains("items")) {
    std::string items;  // ItemsItem{repeated Schema schema = 1}
    put_bytes(items, 1, encode_schema(s["items"]));
    put_bytes(out, 23, items);
  }
  if (s.contains("properties") && s["properties"].is_object()) {
    std::string props;  // Properties{repeated NamedSchema additional_properties = 1}
    for (const auto& [name, p] : s["properties"].items()) {
      std::string named;
      put_bytes(named, 1, name);
      put_bytes(named, 2, encode_schema(p));
      put_bytes(props, 1, named);
    }
    put_bytes(out, 25, props);
  }
  for (const auto& [k, v] : s.items()) {
    if (k.rfind("x-", 0) != 0) continue;
    std::string named;  // NamedAny{name = 1, value = 2}
    put_bytes(named, 1, k);
    put_bytes(named, 2, any_of(v));
    put_bytes(out, 31, named);
  }
  return out;
}

}  // namespace

std::string encode_openapi_v2(const json& doc) {
  std::string out, info, definitions;
  put_bytes(out, 1, doc.value("swagger", "2.0"));
  const json meta = doc.value("info", json::object());
  put_bytes(info, 1, meta.value("title", ""));
  put_bytes(info, 2, meta.value("version", ""));
  put_bytes(out, 2, info);
  const json defs = doc.value("definitions", json::object());
  for (const auto& [name, schema] : defs.items()) {
    std::string named;
    put_bytes(named, 1, name);
    put_bytes(named, 2, encode_schema(schema));
    put_bytes(definitions, 1, named);
  }
  put_bytes(out, 9, definitions);  // Definitions{repeated NamedSchema additional_properties = 1}
  return out;
}

}  // namespace rollout::sandbox
