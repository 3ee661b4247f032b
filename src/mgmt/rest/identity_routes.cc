// Sign-in and discovery: ARM's cloud metadata, the AD FS-shaped authority (OpenID configuration, keys,
// token endpoint), tenants, resource providers and locations, and Isthmus.Identity's service principals.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mgmt/rest/api_versions.h"
#include "mgmt/rest/router.h"

namespace isthmus::mgmt {
namespace {

// Azure's regions as ARM lists them (name, display name, geography, paired region). Isthmus accepts any
// location string; this is what clients that ask for the list are shown.
struct Region {
  const char* name;
  const char* display;
  const char* geography;
  const char* paired;
  const char* latitude;
  const char* longitude;
};
constexpr Region kRegions[] = {
    {"eastus", "East US", "United States", "westus", "37.3719", "-79.8164"},
    {"eastus2", "East US 2", "United States", "centralus", "36.6681", "-78.3889"},
    {"westus", "West US", "United States", "eastus", "37.783", "-122.417"},
    {"westus2", "West US 2", "United States", "westcentralus", "47.233", "-119.852"},
    {"westus3", "West US 3", "United States", "eastus", "33.448376", "-112.074036"},
    {"centralus", "Central US", "United States", "eastus2", "41.5908", "-93.6208"},
    {"northcentralus", "North Central US", "United States", "southcentralus", "41.8819", "-87.6278"},
    {"southcentralus", "South Central US", "United States", "northcentralus", "29.4167", "-98.5"},
    {"westcentralus", "West Central US", "United States", "westus2", "40.890", "-110.234"},
    {"canadacentral", "Canada Central", "Canada", "canadaeast", "43.653", "-79.383"},
    {"brazilsouth", "Brazil South", "Brazil", "southcentralus", "-23.55", "-46.633"},
    {"northeurope", "North Europe", "Europe", "westeurope", "53.3478", "-6.2597"},
    {"westeurope", "West Europe", "Europe", "northeurope", "52.3667", "4.9"},
    {"uksouth", "UK South", "United Kingdom", "ukwest", "50.941", "-0.799"},
    {"francecentral", "France Central", "France", "francesouth", "46.3772", "2.3730"},
    {"germanywestcentral", "Germany West Central", "Germany", "germanynorth", "50.110924", "8.682127"},
    {"swedencentral", "Sweden Central", "Sweden", "swedensouth", "60.67488", "17.14127"},
    {"japaneast", "Japan East", "Japan", "japanwest", "35.68", "139.77"},
    {"japanwest", "Japan West", "Japan", "japaneast", "34.6939", "135.5022"},
    {"southeastasia", "Southeast Asia", "Asia Pacific", "eastasia", "1.283", "103.833"},
    {"eastasia", "East Asia", "Asia Pacific", "southeastasia", "22.267", "114.188"},
    {"australiaeast", "Australia East", "Australia", "australiasoutheast", "-33.86", "151.2094"},
    {"centralindia", "Central India", "India", "southindia", "18.5822", "73.9197"},
};

struct ResourceType {
  const char* family;  // "Microsoft.Network" or "Microsoft.Compute"
  const char* type;
  ApiFamily api;
};
constexpr ResourceType kResourceTypes[] = {
    {"Microsoft.Network", "virtualNetworks", ApiFamily::kNetwork},
    {"Microsoft.Network", "virtualNetworks/subnets", ApiFamily::kNetwork},
    {"Microsoft.Network", "publicIPAddresses", ApiFamily::kNetwork},
    {"Microsoft.Network", "virtualNetworkGateways", ApiFamily::kNetwork},
    {"Microsoft.Network", "localNetworkGateways", ApiFamily::kNetwork},
    {"Microsoft.Network", "connections", ApiFamily::kNetwork},
    {"Microsoft.Network", "networkInterfaces", ApiFamily::kNetwork},
    {"Microsoft.Network", "networkWatchers", ApiFamily::kNetwork},
    {"Microsoft.Network", "locations/operations", ApiFamily::kNetwork},
    {"Microsoft.Compute", "virtualMachines", ApiFamily::kCompute},
    {"Microsoft.Compute", "locations/operations", ApiFamily::kCompute},
    {"Microsoft.Resources", "resourceGroups", ApiFamily::kResources},
    {"Microsoft.Resources", "deployments", ApiFamily::kResources},
    {"Microsoft.Resources", "subscriptions", ApiFamily::kSubscriptions},
    {"Microsoft.Resources", "tenants", ApiFamily::kSubscriptions},
    {"Microsoft.Resources", "locations", ApiFamily::kSubscriptions},
};
constexpr const char* kNamespaces[] = {"Microsoft.Network", "Microsoft.Compute", "Microsoft.Resources"};

Json ProviderJson(const std::string& subscription, const std::string& ns) {
  Json types = Json::array();
  for (const auto& t : kResourceTypes) {
    if (!IEquals(t.family, ns)) continue;
    Json versions = Json::array();
    auto supported = SupportedApiVersions(t.api);
    for (auto it = supported.rbegin(); it != supported.rend(); ++it) versions.push_back(std::string(*it));
    Json locations = Json::array();
    for (const auto& r : kRegions) locations.push_back(r.display);
    types.push_back({{"resourceType", t.type},
                     {"locations", locations},
                     {"apiVersions", versions},
                     {"defaultApiVersion", std::string(supported.back())},
                     {"capabilities", "None"}});
  }
  Json p = {{"namespace", ns}, {"resourceTypes", types}, {"registrationPolicy", "RegistrationRequired"}};
  if (!subscription.empty()) {
    p["id"] = fmt::format("/subscriptions/{}/providers/{}", subscription, ns);
    p["registrationState"] = "Registered";
  } else {
    p["id"] = fmt::format("/providers/{}", ns);
  }
  return p;
}

HttpResponse OAuthResponse(const Json& body, int status) {
  HttpResponse r = JsonResponse(body, status);
  r.headers["Cache-Control"] = "no-store";  // RFC 6749 §5.1
  r.headers["Pragma"] = "no-cache";
  return r;
}

}  // namespace

std::string Router::Origin(const HttpRequest& req) const {
  auto it = req.headers.find("host");
  return fmt::format("{}://{}", options_.scheme,
                     it == req.headers.end() || it->second.empty() ? "127.0.0.1" : it->second);
}

std::optional<HttpResponse> Router::PublicRoute(const HttpRequest& req) const {
  const Segments seg = SplitPath(req.path);
  const std::string& m = req.method;
  if (seg.size() == 2 && seg[0] == "metadata" && seg[1] == "endpoints") {
    if (m != "GET") return MethodNotAllowed(m);
    auto v = req.query.find("api-version");
    if (auto ok =
            CheckApiVersion(ApiFamily::kMetadata,
                            v == req.query.end() ? std::nullopt : std::optional<std::string>(v->second));
        !ok) {
      return ErrorResponse(ok.error());
    }
    const std::string origin = Origin(req);
    const std::string audience = options_.authority ? options_.authority->AudienceFor(origin) : origin + "/";
    Json authentication = {{"loginEndpoint", origin + "/adfs"}, {"audiences", Json::array({audience})}};
    if (v->second == "2015-01-01") {  // the form msrestazure and az's `cloud register` read
      return JsonResponse({{"galleryEndpoint", origin + "/"},
                           {"graphEndpoint", origin + "/"},
                           {"portalEndpoint", origin + "/"},
                           {"authentication", authentication}});
    }
    authentication["tenant"] = "adfs";
    authentication["identityProvider"] = "ADFS";
    return JsonResponse(Json::array({{{"name", "Isthmus"},
                                      {"resourceManager", origin + "/"},
                                      {"portal", origin + "/"},
                                      {"gallery", origin + "/"},
                                      {"authentication", authentication},
                                      {"suffixes", Json::object()}}}));
  }
  if (seg.empty() || seg[0] != "adfs" || !options_.authority) return std::nullopt;
  // AD FS serves its endpoints under /adfs; MSAL asks for some with the tenant ("adfs") once more.
  std::size_t at = seg.size() >= 2 && seg[1] == "adfs" ? 2 : 1;
  const std::string rest = [&] {
    std::string r;
    for (std::size_t i = at; i < seg.size(); ++i) r += (r.empty() ? "" : "/") + seg[i];
    return r;
  }();
  const auth::Authority& a = *options_.authority;
  if (rest == ".well-known/openid-configuration") {
    return m == "GET" ? JsonResponse(a.OpenIdConfiguration(Origin(req))) : MethodNotAllowed(m);
  }
  if (rest == "discovery/keys") return m == "GET" ? JsonResponse(a.Jwks()) : MethodNotAllowed(m);
  if (rest == "oauth2/token") {
    if (m != "POST") return MethodNotAllowed(m);
    auto auth_header = req.headers.find("authorization");
    auto t = a.Token(req.body, auth_header == req.headers.end() ? "" : auth_header->second);
    if (!t) {
      // Never log the body: it holds the client secret.
      spdlog::info("token request refused: {}", t.error().code);
      return OAuthResponse({{"error", t.error().code}, {"error_description", t.error().message}},
                           t.error().status);
    }
    return OAuthResponse(*t, 200);
  }
  return NoRoute(req);
}

HttpResponse Router::Tenants(const HttpRequest&) const {
  const std::string tenant = options_.authority ? options_.authority->tenant_id() : "";
  Json list = Json::array();
  if (!tenant.empty()) {
    list.push_back({{"id", "/tenants/" + tenant},
                    {"tenantId", tenant},
                    {"tenantCategory", "Home"},
                    {"displayName", "Isthmus"},
                    {"defaultDomain", "isthmus.local"},
                    {"domains", Json::array({"isthmus.local"})}});
  }
  return JsonResponse({{"value", list}});
}

HttpResponse Router::Providers(const HttpRequest& req, const std::string& subscription,
                               const std::string& ns) const {
  if (!ns.empty()) {
    for (const char* n : kNamespaces) {
      if (IEquals(n, ns)) return JsonResponse(ProviderJson(subscription, n));
    }
    return ErrorResponse(Error::NotFound("InvalidResourceNamespace",
                                         fmt::format("The resource namespace '{}' is invalid.", ns)));
  }
  (void)req;
  Json list = Json::array();
  for (const char* n : kNamespaces) list.push_back(ProviderJson(subscription, n));
  return JsonResponse({{"value", list}});
}

HttpResponse Router::Locations(const HttpRequest& req, const std::string& subscription) const {
  if (auto s = service_.GetSubscription(subscription); !s) return ErrorResponse(s.error());
  (void)req;
  Json list = Json::array();
  for (const auto& r : kRegions) {
    list.push_back({{"id", fmt::format("/subscriptions/{}/locations/{}", subscription, r.name)},
                    {"name", r.name},
                    {"type", "Region"},
                    {"displayName", r.display},
                    {"regionalDisplayName", fmt::format("({}) {}", r.geography, r.display)},
                    {"metadata",
                     {{"regionType", "Physical"},
                      {"regionCategory", "Recommended"},
                      {"geography", r.geography},
                      {"latitude", r.latitude},
                      {"longitude", r.longitude},
                      {"pairedRegion", Json::array({{{"name", r.paired},
                                                     {"id", fmt::format("/subscriptions/{}/locations/{}",
                                                                        subscription, r.paired)}}})}}}});
  }
  return JsonResponse({{"value", list}});
}

HttpResponse Router::ServicePrincipals(const HttpRequest& req, const Segments& seg,
                                       const auth::Caller& caller) const {
  // /providers/Isthmus.Identity/servicePrincipals[/{id}[/resetCredential]]
  if (seg.size() < 3 || !IEquals(seg[2], "servicePrincipals") || seg.size() > 5) return NoRoute(req);
  if (!options_.authority) {
    return ErrorResponse(Error::Conflict("SignInNotEnabled", "isthmusd runs without its sign-in authority."));
  }
  auth::PrincipalDirectory& dir = options_.authority->principals();
  const std::string& m = req.method;
  auto manages = [&](const std::vector<auth::RoleAssignment>& roles) {
    for (const auto& r : roles) {
      if (!auth::Permits(caller.roles, r.scope, auth::Access::kManagePrincipals)) return false;
    }
    return auth::Permits(caller.roles, "/", auth::Access::kManagePrincipals) || !roles.empty();
  };
  auto forbidden = [&](const std::string& what) {
    return ErrorResponse(
        {ErrorKind::kForbidden,
         "AuthorizationFailed",
         fmt::format("The client '{}' with object id '{}' may not {}: it needs the Owner role "
                     "over every scope the service principal is assigned to.",
                     caller.app_id, caller.object_id, what),
         {}});
  };
  auto issued = [&](const auth::IssuedSecret& s, int status) {
    Json j = s.principal.ToJson();
    j["password"] = s.secret;
    j["tenant"] = options_.authority->tenant_id();
    HttpResponse r = JsonResponse(j, status);
    r.headers["Cache-Control"] = "no-store";
    return r;
  };
  if (seg.size() == 3) {
    if (m == "GET") {
      Json list = Json::array();
      for (const auto& p : dir.List()) {
        if (manages(p.roles)) list.push_back(p.ToJson());
      }
      return JsonResponse({{"value", list}});
    }
    if (m != "POST") return MethodNotAllowed(m);
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object() || !body->contains("displayName") || !(*body)["displayName"].is_string()) {
      return ErrorResponse(
          Error::Invalid("InvalidRequestFormat",
                         "The body must be {\"displayName\": NAME, \"roleAssignments\": "
                         "[{\"roleDefinitionName\": ROLE, \"scope\": SCOPE}], \"years\": N}.",
                         "displayName"));
    }
    auth::PrincipalRequest pr;
    pr.display_name = (*body)["displayName"].get<std::string>();
    if (body->contains("years")) {
      if (!(*body)["years"].is_number_integer()) {
        return ErrorResponse(Error::Invalid("InvalidYears", "'years' must be an integer.", "years"));
      }
      pr.years = static_cast<int>(std::clamp<std::int64_t>((*body)["years"].get<std::int64_t>(), -1, 1000));
    }
    const Json assignments = body->value("roleAssignments", Json::array());
    if (!assignments.is_array()) {
      return ErrorResponse(
          Error::Invalid("InvalidRequestFormat", "'roleAssignments' must be an array.", "roleAssignments"));
    }
    for (const auto& a : assignments) {
      if (!a.is_object() || !a.contains("roleDefinitionName") || !a["roleDefinitionName"].is_string() ||
          !a.contains("scope") || !a["scope"].is_string()) {
        return ErrorResponse(Error::Invalid("InvalidRequestFormat",
                                            "Each role assignment needs 'roleDefinitionName' and 'scope'.",
                                            "roleAssignments"));
      }
      auto role = auth::ParseRole(a["roleDefinitionName"].get<std::string>());
      if (!role) return ErrorResponse(role.error());
      auto scope = auth::ParseScope(a["scope"].get<std::string>());
      if (!scope) return ErrorResponse(scope.error());
      // A scope names a subscription that exists (a group may be created later, as in Azure).
      auto sub = SplitPath(*scope);
      if (sub.size() >= 2) {
        if (auto s = service_.GetSubscription(sub[1]); !s) return ErrorResponse(s.error());
      }
      pr.roles.push_back({"", *role, *scope});
    }
    if (!manages(pr.roles)) return forbidden("create this service principal");
    if (auto existing = dir.Find(pr.display_name); existing && !manages(existing->roles)) {
      return forbidden("change this service principal");
    }
    auto s = dir.CreateOrPatch(pr);
    if (!s) return ErrorResponse(s.error());
    return issued(*s, 200);
  }
  auto p = dir.Find(seg[3]);
  if (!p) return ErrorResponse(p.error());
  if (!manages(p->roles)) return forbidden("manage this service principal");
  if (seg.size() == 5) {
    if (!IEquals(seg[4], "resetCredential")) return NoRoute(req);
    if (m != "POST") return MethodNotAllowed(m);
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    const bool append = body->is_object() && body->value("append", false);
    int years = 1;
    if (body->is_object() && body->contains("years")) {
      if (!(*body)["years"].is_number_integer()) {
        return ErrorResponse(Error::Invalid("InvalidYears", "'years' must be an integer.", "years"));
      }
      years = static_cast<int>(std::clamp<std::int64_t>((*body)["years"].get<std::int64_t>(), -1, 1000));
    }
    auto s = dir.ResetCredential(p->app_id, append, years);
    if (!s) return ErrorResponse(s.error());
    return issued(*s, 200);
  }
  if (m == "GET") return JsonResponse(p->ToJson());
  if (m == "DELETE") {
    if (auto s = dir.Delete(p->app_id); !s) return ErrorResponse(s.error());
    return {204, {}, ""};
  }
  return MethodNotAllowed(m);
}

}  // namespace isthmus::mgmt
