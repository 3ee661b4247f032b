#include "cli/wait.h"

#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "cli/arm_client.h"
#include "cli/command_helpers.h"
#include "cli/errors.h"
#include "cli/jmespath.h"

namespace isthmus::cli {

namespace {

// az's defaults (WaitCommandOperation.wait_args).
constexpr char kDefaultTimeout[] = "3600";
constexpr char kDefaultInterval[] = "30";

// _get_provisioning_state: the resource's own, else under `properties` (resource groups, deployments).
std::string ProvisioningState(const Json& r) {
  if (!r.is_object()) return "";
  for (const Json* scope : {&r, r.contains("properties") ? &r["properties"] : nullptr}) {
    if (scope == nullptr || !scope->is_object()) continue;
    auto it = scope->find("provisioningState");
    if (it != scope->end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Python's bool() of a JSON value, which az applies to a --custom result: 0 and "" are false too.
bool PythonTruthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

}  // namespace

std::vector<OptionSpec> WaitConditionOptions() {
  return {
      {"timeout", {"--timeout"}, "maximum wait in seconds", ArgKind::kValue, false, {}, kDefaultTimeout},
      {"interval",
       {"--interval"},
       "polling interval in seconds",
       ArgKind::kValue,
       false,
       {},
       kDefaultInterval},
      {"deleted", {"--deleted"}, "wait until deleted", ArgKind::kFlag},
      {"created",
       {"--created"},
       "wait until created with 'provisioningState' at 'Succeeded'",
       ArgKind::kFlag},
      {"updated", {"--updated"}, "wait until updated with provisioningState at 'Succeeded'", ArgKind::kFlag},
      {"exists", {"--exists"}, "wait until the resource exists", ArgKind::kFlag},
      {"custom",
       {"--custom"},
       "Wait until the condition satisfies a custom JMESPath query. E.g. provisioningState!='InProgress', "
       "instanceView.statuses[?code=='PowerState/running']"},
  };
}

std::vector<OptionSpec> WithWaitConditions(std::vector<OptionSpec> own) {
  for (auto& o : WaitConditionOptions()) own.push_back(std::move(o));
  return own;
}

namespace {

struct Conditions {
  long long timeout = 0;
  long long interval = 0;
  bool created = false, updated = false, deleted = false, exists = false;
  std::optional<jmespath::Expression> custom;
};

Result<Conditions> ParseConditions(const ParsedArgs& a) {
  Conditions c;
  auto timeout = IntArg(a, "timeout", "--timeout");
  if (!timeout) return Fail(timeout.error());
  auto interval = IntArg(a, "interval", "--interval");
  if (!interval) return Fail(interval.error());
  c.timeout = timeout->value_or(0);
  c.interval = interval->value_or(0);
  if (c.interval <= 0) {
    // Python's range() would fail on a step of 0; a clear usage error instead.
    return Fail(UsageError(
        fmt::format("argument --interval: must be a positive number of seconds: '{}'", c.interval)));
  }
  c.created = a.Flag("created");
  c.updated = a.Flag("updated");
  c.deleted = a.Flag("deleted");
  c.exists = a.Flag("exists");
  if (auto q = a.Get("custom")) {
    auto e = jmespath::Expression::Parse(*q);
    if (!e) {
      return Fail(UsageError(
          fmt::format("argument --custom: invalid jmespath_type value: '{}': {}", *q, e.error().message)));
    }
    c.custom = std::move(*e);
  }
  if (!c.created && !c.updated && !c.deleted && !c.exists && !c.custom) {
    return Fail(
        ClientError("incorrect usage: --created | --updated | --deleted | --exists | --custom JMESPATH"));
  }
  return c;
}

// nullopt: the condition holds; {}: the timeout passed.
Result<std::optional<Json>> Poll(CommandContext& ctx, ArmClient& client, const Conditions& c,
                                 const std::string& path, const std::string& api_version,
                                 const std::function<Json(const Json&)>& view) {
  // range(0, timeout, interval): one GET per interval, the last sleep included, as az counts.
  for (long long waited = 0; waited < c.timeout; waited += c.interval) {
    auto r = client.Get(path, api_version);
    if (!r) {
      if (r.error().kind != ErrorKind::kNotFound) return Fail(r.error());
      if (c.deleted) return std::optional<Json>{};
      if (!c.created && !c.exists && !c.custom) return Fail(r.error());
    } else {
      if (c.exists) return std::optional<Json>{};
      const std::string state = Lower(ProvisioningState(*r));
      if (state == "failed") return Fail(ClientError("The operation failed"));
      bool done = (c.created || c.updated) && state == "succeeded";
      if (!done && c.custom) {
        auto v = c.custom->Evaluate(view(*r));
        if (!v) return Fail(jmespath::QueryEvaluationError(v.error()));
        done = PythonTruthy(*v);
      }
      if (done) return std::optional<Json>{};
    }
    ctx.io().sleeper.Sleep(std::chrono::seconds(c.interval));
  }
  if (!ctx.args().Flag("only_show_errors")) {
    ctx.io().err << fmt::format("WARNING: Wait operation timed-out after {} seconds\n", c.timeout);
  }
  return std::optional<Json>(Json::object());
}

}  // namespace

Result<std::optional<Json>> WaitFor(CommandContext& ctx, const WaitPaths& paths,
                                    const std::string& api_version,
                                    const std::function<Json(const Json&)>& view) {
  auto c = ParseConditions(ctx.args());
  if (!c) return Fail(c.error());
  auto list = paths(ctx);
  if (!list) return Fail(list.error());
  auto client = ctx.Client();
  if (!client) return Fail(client.error());
  for (const auto& path : *list) {
    auto r = Poll(ctx, **client, *c, path, api_version, view);
    if (!r || *r) return r;  // an error, or a timeout's {}
  }
  return std::optional<Json>{};
}

Result<std::optional<Json>> WaitForTargets(CommandContext& ctx, const std::string& type,
                                           const std::string& provider, const std::string& api_version,
                                           const std::string& suffix) {
  auto paths = [&](CommandContext& c) -> Result<std::vector<std::string>> {
    auto targets = c.Targets(type, "", "", provider);
    if (!targets) return Fail(targets.error());
    std::vector<std::string> out;
    for (const auto& t : *targets) out.push_back(PathOf(t) + suffix);
    return out;
  };
  return WaitFor(ctx, paths, api_version, Display);
}

}  // namespace isthmus::cli
