#include "cli/context.h"

#include <cctype>

#include <fmt/format.h>

#include "cli/errors.h"

namespace isthmus::cli {

Result<ArmClient*> CommandContext::Client() {
  if (client_) return client_.get();
  auto token = LoadToken(io_.settings);
  if (!token) return Fail(token.error());
  ArmClientOptions opts;
  opts.endpoint = io_.settings.endpoint;
  opts.token = *token;
  opts.wait_timeout = io_.settings.wait_timeout;
  if (args_.Flag("debug")) opts.debug = &io_.err;
  opts.warnings = &io_.err;
  client_ = std::make_unique<ArmClient>(io_.transport, io_.clock, io_.sleeper, std::move(opts));
  return client_.get();
}

namespace {

bool LooksLikeGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

Result<std::string> CommandContext::Subscription() {
  if (subscription_) return *subscription_;
  auto wanted = args_.Get("subscription");
  if (!wanted) {
    auto saved = LoadSelectedSubscription(io_.settings);
    if (!saved) return Fail(saved.error());
    wanted = *saved;
  }
  if (wanted && LooksLikeGuid(*wanted)) {
    subscription_ = *wanted;
    return *subscription_;
  }
  auto client = Client();
  if (!client) return Fail(client.error());
  auto list = (*client)->Get("/subscriptions", kResourcesApiVersion);
  if (!list) return Fail(list.error());
  const Json& subs = list->is_object() && list->contains("value") ? (*list)["value"] : Json::array();
  for (const auto& s : subs) {
    std::string id = s.value("subscriptionId", std::string());
    bool match =
        wanted ? (EqualsIgnoreCase(id, *wanted) || EqualsIgnoreCase(s.value("displayName", ""), *wanted))
               : s.value("isDefault", false);
    if (match && !id.empty()) {
      subscription_ = id;
      return id;
    }
  }
  if (wanted) {
    return Fail(UsageError(
        fmt::format("Subscription '{}' not found. Check the spelling and casing and try again.", *wanted)));
  }
  if (!subs.empty() && subs[0].contains("subscriptionId")) {
    subscription_ = subs[0]["subscriptionId"].get<std::string>();
    return *subscription_;
  }
  return Fail(ClientError("isthmusd reports no subscriptions"));
}

Result<std::string> CommandContext::Location(const std::string& resource_group) {
  if (auto l = args_.Get("location")) return *l;
  auto sub = Subscription();
  if (!sub) return Fail(sub.error());
  auto client = Client();
  if (!client) return Fail(client.error());
  auto group = (*client)->Get(GroupPath(*sub, resource_group), kResourcesApiVersion);
  if (!group) return Fail(group.error());
  if (!group->is_object() || !group->contains("location")) {
    return Fail(Error::Internal(fmt::format("resource group '{}' has no location", resource_group)));
  }
  return (*group)["location"].get<std::string>();
}

Result<std::vector<ResourceId>> CommandContext::Targets(const std::string& type,
                                                        const std::string& parent_dest,
                                                        const std::string& child_type,
                                                        const std::string& provider) {
  std::vector<ResourceId> out;
  if (args_.Has("ids")) {
    for (const auto& raw : args_.GetList("ids")) {
      auto id = ParseResourceId(raw);
      if (!id) return Fail(id.error());
      bool ok = EqualsIgnoreCase(id->provider, provider) && EqualsIgnoreCase(id->type, type) &&
                (child_type.empty() ? id->child_type.empty() : EqualsIgnoreCase(id->child_type, child_type));
      if (!ok) {
        return Fail(UsageError(fmt::format("argument --ids: '{}' is not the ID of a {}/{}{} resource", raw,
                                           provider, type, child_type.empty() ? "" : "/" + child_type)));
      }
      out.push_back(*id);
    }
    return out;
  }
  auto sub = Subscription();
  if (!sub) return Fail(sub.error());
  ResourceId id;
  id.subscription = *sub;
  id.resource_group = args_.GetOr("resource_group", "");
  id.provider = provider;
  id.type = type;
  if (child_type.empty()) {
    id.name = args_.GetOr("name", "");
  } else {
    id.name = args_.GetOr(parent_dest, "");
    id.child_type = child_type;
    id.child_name = args_.GetOr("name", "");
  }
  out.push_back(id);
  return out;
}

std::string PathOf(const ResourceId& id) {
  std::string p = ProviderPath(id.subscription, id.resource_group,
                               id.provider.empty() ? "Microsoft.Network" : id.provider, id.type, id.name);
  if (!id.child_type.empty()) p += "/" + id.child_type + "/" + EncodeSegment(id.child_name);
  return p;
}

Result<std::optional<Json>> CommandContext::LongRunning(const std::string& method, const std::string& path,
                                                        const std::string& api_version, const Json* body,
                                                        const std::string& result_path) {
  auto client = Client();
  if (!client) return Fail(client.error());
  auto r = (*client)->Send(method, path, api_version, body);
  if (!r) return Fail(r.error());
  if (r->IsLongRunning()) {
    if (NoWait()) return std::optional<Json>{};
    if (auto w = (*client)->Wait(*r); !w) return Fail(w.error());
    if (result_path.empty()) return std::optional<Json>{};
    auto final = (*client)->Get(result_path, api_version);
    if (!final) return Fail(final.error());
    return std::optional<Json>(std::move(*final));
  }
  if (NoWait() || r->body.is_null()) return std::optional<Json>{};
  return std::optional<Json>(std::move(r->body));
}

Json ParseTags(const std::vector<std::string>& items) {
  Json tags = Json::object();
  for (const auto& item : items) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      tags[item] = "";
    } else {
      tags[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return tags;
}

}  // namespace isthmus::cli
