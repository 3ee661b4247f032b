// An in-memory EvalContext for the expression tests and the template_expr fuzzer (header-only, shared
// rather than copied): parameters and variables from maps, one copy loop, reference() and list*()
// answered from maps, and every call recorded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mgmt/model/resource_id.h"
#include "mgmt/template/expression.h"

namespace isthmus::mgmt::tmpl::testing {

class FakeContext : public EvalContext {
 public:
  std::map<std::string, Json> parameters;
  std::map<std::string, Json> variables;
  std::map<std::string, Json> resources;  // reference() by id or name
  std::string loop = "items";             // the innermost copy loop
  std::int64_t index = 0;
  std::vector<std::string> list_calls;  // "listKeys id api body"

  Result<Json> Parameter(std::string_view name) override { return Find(parameters, name, "parameter"); }
  Result<Json> Variable(std::string_view name) override { return Find(variables, name, "variable"); }
  Result<Json> CopyIndex(std::string_view name, std::int64_t offset) override {
    if (!name.empty() && !IEquals(name, loop)) {
      return Fail(
          Error::Invalid("InvalidTemplate", "the copy loop '" + std::string(name) + "' is not in scope"));
    }
    return Json(index + offset);
  }
  Result<Json> Reference(std::string_view id, std::string_view api_version, bool full) override {
    auto r = Find(resources, id, "resource");
    if (!r) return r;
    last_api_version = std::string(api_version);
    return full ? *r : r->value("properties", Json::object());
  }
  Result<Json> List(std::string_view function, std::string_view id, std::string_view api,
                    const Json& body) override {
    list_calls.push_back(std::string(function) + " " + std::string(id) + " " + std::string(api) + " " +
                         body.dump());
    return Json{{"keys", Json::array({Json{{"value", "k1"}}})}};
  }
  std::string SubscriptionId() const override { return "00000000-0000-0000-0000-000000000001"; }
  std::string TenantId() const override { return "tenant-1"; }
  std::string ResourceGroupName() const override { return "rg1"; }
  std::string ResourceGroupLocation() const override { return "westeurope"; }
  std::string DeploymentName() const override { return "deploy1"; }
  Json ResourceGroupTags() const override { return Json{{"env", "test"}}; }

  std::string last_api_version;

 private:
  static Result<Json> Find(const std::map<std::string, Json>& m, std::string_view name, const char* what) {
    for (const auto& [k, v] : m) {
      if (IEquals(k, name)) return v;
    }
    return Fail(Error::NotFound("InvalidTemplate",
                                std::string("the ") + what + " '" + std::string(name) + "' is not defined"));
  }
};

}  // namespace isthmus::mgmt::tmpl::testing
