// Checks a JSON document against the subset of JSON Schema (2020-12) our own
// schemas in docs/schema/ use: type (one or a list), const, required,
// properties, minimum, maximum, items and local $ref ("#/$defs/..."). A
// keyword outside that subset is itself a problem, so a schema cannot grow
// past what its tests check without someone noticing.
#pragma once

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lineup::testing {

class JsonSchema {
 public:
  explicit JsonSchema(nlohmann::json schema) : root_(std::move(schema)) {}

  static JsonSchema FromFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return JsonSchema(nlohmann::json::parse(text.str()));
  }

  // Every way `doc` differs from the schema, each as "PATH: what"; empty when
  // it conforms.
  std::vector<std::string> Problems(const nlohmann::json& doc) const {
    std::vector<std::string> out;
    Check(root_, doc, "", out);
    return out;
  }

 private:
  static bool HasType(const nlohmann::json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    return false;
  }

  void Check(const nlohmann::json& schema, const nlohmann::json& v, const std::string& at,
             std::vector<std::string>& out) const {
    static const std::set<std::string> kKnown = {
        "$schema", "$id",      "title",      "description", "$defs",   "$ref", "type",
        "const",   "required", "properties", "minimum",     "maximum", "items"};
    const std::string where = at.empty() ? "/" : at;
    for (const auto& [key, value] : schema.items()) {
      if (kKnown.count(key) == 0)
        out.push_back(where + ": the schema uses '" + key + "', unchecked");
    }
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0 || !root_["$defs"].contains(ref.substr(prefix.size()))) {
        out.push_back(where + ": unresolved $ref " + ref);
        return;
      }
      Check(root_["$defs"][ref.substr(prefix.size())], v, at, out);
    }
    if (schema.contains("type")) {
      std::vector<std::string> types;
      if (schema["type"].is_array()) {
        for (const auto& t : schema["type"]) types.push_back(t);
      } else {
        types.push_back(schema["type"]);
      }
      bool any = false;
      for (const auto& t : types) any = any || HasType(v, t);
      if (!any) {
        out.push_back(where + ": " + v.dump() + " is not " + schema["type"].dump());
        return;
      }
    }
    if (schema.contains("const") && v != schema["const"]) {
      out.push_back(where + ": " + v.dump() + " is not " + schema["const"].dump());
    }
    if (v.is_number()) {
      if (schema.contains("minimum") && v.get<double>() < schema["minimum"].get<double>())
        out.push_back(where + ": " + v.dump() + " is under " + schema["minimum"].dump());
      if (schema.contains("maximum") && v.get<double>() > schema["maximum"].get<double>())
        out.push_back(where + ": " + v.dump() + " is over " + schema["maximum"].dump());
    }
    if (v.is_object()) {
      if (schema.contains("required")) {
        for (const auto& name : schema["required"]) {
          if (!v.contains(name.get<std::string>()))
            out.push_back(where + ": '" + name.get<std::string>() + "' is missing");
        }
      }
      if (schema.contains("properties")) {
        for (const auto& [name, sub] : schema["properties"].items()) {
          if (v.contains(name)) Check(sub, v[name], at + "/" + name, out);
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i)
        Check(schema["items"], v[i], at + "/" + std::to_string(i), out);
    }
  }

  nlohmann::json root_;
};

}  // namespace lineup::testing
