#include "mgmt/rest/router.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mgmt/auth/tokens.h"
#include "mgmt/rest/api_versions.h"
#include "mgmt/service/impairments.h"

namespace isthmus::mgmt {
namespace {

// The token's length is not secret (it is fixed); its contents are compared in constant time.
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || b.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Header(const HttpRequest& req, const char* name) {
  auto it = req.headers.find(name);
  return it == req.headers.end() ? "" : it->second;
}

// True when the text's objects and arrays nest deeper than `limit`. Brackets inside strings and
// comments (deployment bodies may carry them) do not count. One pass, no allocation: it runs before the
// parser, so a hostile body costs no more than its length.
bool NestedDeeperThan(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '/' && (next == '/' || next == '*')) {
      i = next == '/' ? text.find('\n', i) : text.find("*/", i + 2);
      if (i == std::string_view::npos) return false;
      if (next == '*') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// What no route may parse: nesting past kMaxJsonDepth, and NUL bytes (JSON text has none; nlohmann
// stops at one, so `{…}\0anything` would parse as its first part).
std::optional<Error> UnparsableContent(std::string_view body) {
  if (NestedDeeperThan(body, Router::kMaxJsonDepth)) {
    return Error::Invalid(
        "InvalidRequestContent",
        fmt::format("The request content nests objects and arrays more than {} levels deep.",
                    Router::kMaxJsonDepth));
  }
  if (body.find('\0') != std::string_view::npos) {
    return Error::Invalid("InvalidRequestContent",
                          "The request content is not valid JSON (it has a NUL byte).");
  }
  return std::nullopt;
}

Preconditions ReadPreconditions(const HttpRequest& req) {
  Preconditions p;
  auto m = Header(req, "if-match");
  if (!m.empty()) p.if_match = m;
  p.if_none_match_any = Header(req, "if-none-match") == "*";
  return p;
}

}  // namespace

HttpResponse NoRoute(const HttpRequest& req) {
  return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

HttpResponse JsonResponse(const Json& j, int status) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  // Names and paths are echoed in errors and may hold any bytes (a %FF in the URL): dump() throws on
  // invalid UTF-8 unless told to replace it.
  r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

HttpResponse FabricNotRunning() {
  return ErrorResponse(
      Error::Conflict("FabricNotRunning",
                      "isthmusd runs without a fabric (--fabric none): nothing is realized on this host."));
}

HttpResponse MethodNotAllowed(const std::string& method) {
  HttpResponse r = ErrorResponse(Error::Invalid(
      "MethodNotAllowed", fmt::format("The method '{}' is not allowed on this path.", method)));
  r.status = 405;
  return r;
}

Result<Json> ParseBody(const HttpRequest& req) {
  if (req.body.empty()) return Json::object();
  if (auto e = UnparsableContent(req.body)) return Fail(*e);
  Json j = Json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    return Fail(Error::Invalid("InvalidRequestContent", "The request content is not valid JSON."));
  }
  return j;
}

int HttpStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return 400;
    case ErrorKind::kUnauthorized:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kPreconditionFailed:
      return 412;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Error& e) {
  Json err = {{"code", e.code}, {"message", e.message}};
  if (!e.target.empty()) err["target"] = e.target;
  err["details"] = Json::array();
  HttpResponse r = JsonResponse({{"error", err}}, HttpStatusFor(e.kind));
  r.headers["x-ms-failure-cause"] = e.kind == ErrorKind::kInternal ? "service" : "gateway";
  return r;
}

std::expected<auth::Caller, auth::AuthFailure> Router::Authenticate(const HttpRequest& req) const {
  auto h = Header(req, "authorization");
  if (h.empty()) {
    return std::unexpected(auth::AuthFailure{
        401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."});
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || !IEquals(h.substr(0, kBearer.size()), kBearer)) {
    return std::unexpected(auth::AuthFailure{
        401, "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is provided in an invalid format: "
        "it must be 'Bearer <token>'."});
  }
  const std::string token = h.substr(kBearer.size());
  if (ConstantTimeEquals(token, token_))
    return auth::Caller{true, "local", "local", {{"local", auth::Role::kOwner, "/"}}};
  // Anything shaped like a JWT goes to the authority; other strings are a mistyped local token.
  if (options_.authority && std::count(token.begin(), token.end(), '.') == 2) {
    return options_.authority->Authenticate(token);
  }
  return std::unexpected(auth::AuthFailure{
      401, "AuthenticationFailed",
      "Authentication failed: the bearer token is neither the token from isthmusd's state directory nor an "
      "access token from its token endpoint."});
}

namespace {

// The RBAC action ARM names in AuthorizationFailed: "{namespace}/{type}/{read|write|delete|action}".
std::string ActionOf(const std::vector<std::string>& seg, const std::string& method) {
  const std::string verb = method == "GET" || method == "HEAD" ? "read"
                           : method == "DELETE"                ? "delete"
                           : method == "POST"                  ? "action"
                                                               : "write";
  std::size_t p = 0;
  while (p < seg.size() && !IEquals(seg[p], "providers")) ++p;
  if (p + 2 < seg.size()) {
    std::string type = seg[p + 1];
    for (std::size_t i = p + 2; i < seg.size(); i += 2) type += "/" + seg[i];
    return type + "/" + verb;
  }
  if (seg.size() >= 3 && IEquals(seg[2], "resourceGroups"))
    return "Microsoft.Resources/subscriptions/resourceGroups/" + verb;
  return "Microsoft.Resources/subscriptions/" + verb;
}

// The scope a request acts in: its resource group, else its subscription, else the root.
std::string ScopeOf(const std::vector<std::string>& seg) {
  if (seg.size() >= 2 && IEquals(seg[0], "subscriptions")) {
    std::string s = "/subscriptions/" + seg[1];
    if (seg.size() >= 4 && IEquals(seg[2], "resourceGroups")) s += "/resourceGroups/" + seg[3];
    return s;
  }
  return "/";
}

}  // namespace

std::optional<HttpResponse> Router::Authorize(const HttpRequest& req, const auth::Caller& caller,
                                              bool& filter) const {
  filter = false;
  const Segments seg = SplitPath(req.path);
  // Outside subscriptions (tenants, providers, metrics, principals) any signed-in caller may read;
  // principals' own routes check their scopes themselves.
  if (seg.empty() || !IEquals(seg[0], "subscriptions")) {
    if (seg.size() == 1 && seg[0] == "metrics" && !caller.local &&
        !auth::Permits(caller.roles, "/", auth::Access::kRead)) {
      filter = false;  // metrics span every subscription: the root's readers only
    } else {
      return std::nullopt;
    }
  } else {
    const bool read = req.method == "GET" || req.method == "HEAD";
    std::string path = req.path;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (read && auth::Permits(caller.roles, path, auth::Access::kRead)) return std::nullopt;
    if (read && auth::Sees(caller.roles, ScopeOf(seg))) {
      filter = true;  // a list above the caller's scopes shows only what lies in them
      return std::nullopt;
    }
    if (!read && auth::Permits(caller.roles, path, auth::Access::kWrite)) return std::nullopt;
  }
  HttpResponse r = ErrorResponse(
      {ErrorKind::kForbidden,
       "AuthorizationFailed",
       fmt::format(
           "The client '{}' with object id '{}' does not have authorization to perform action '{}' over "
           "scope '{}' or the scope is invalid. If access was recently granted, please refresh your "
           "credentials.",
           caller.app_id, caller.object_id, ActionOf(seg, req.method), req.path),
       {}});
  return r;
}

namespace {

// Drops the entries of a list response that lie outside the caller's scopes.
void FilterList(HttpResponse& r, const auth::Caller& caller) {
  if (r.status != 200) return;
  Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("value") || !j["value"].is_array()) return;
  Json kept = Json::array();
  for (auto& item : j["value"]) {
    if (item.is_object() && item.contains("id") && item["id"].is_string() &&
        auth::Sees(caller.roles, item["id"].get<std::string>())) {
      kept.push_back(std::move(item));
    }
  }
  j["value"] = std::move(kept);
  r.body = j.dump();
}

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string LowerId(const Json& item) {
  return item.is_object() && item.contains("id") && item["id"].is_string()
             ? ToLower(item["id"].get<std::string>())
             : std::string();
}

}  // namespace

std::optional<HttpResponse> Router::Paginate(const HttpRequest& req, HttpResponse& r) const {
  auto token = req.query.find("$skiptoken");
  const bool paging = token != req.query.end();
  if (r.status != 200 || !r.body.starts_with("{\"value\":[")) {
    return std::nullopt;
  }
  Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded() || j.size() != 1 || !j["value"].is_array()) return std::nullopt;
  Json& value = j["value"];
  const std::size_t page = std::max<std::size_t>(options_.page_size, 1);
  if (!paging && value.size() <= page) return std::nullopt;  // one page: the list's own order
  // Across pages the list is in the order of its lowercased IDs, and the token is the last ID a page
  // held: entries created or deleted between pages neither repeat nor shift the rest.
  std::string after;
  if (paging) {
    auto decoded = auth::Base64UrlDecode(token->second);
    if (!decoded || decoded->empty()) {
      return ErrorResponse(Error::Invalid(
          "InvalidSkipToken", "The $skiptoken is not one this server wrote in a nextLink.", "$skiptoken"));
    }
    after = *decoded;
  }
  std::vector<Json> items(std::make_move_iterator(value.begin()), std::make_move_iterator(value.end()));
  std::stable_sort(items.begin(), items.end(),
                   [](const Json& a, const Json& b) { return LowerId(a) < LowerId(b); });
  auto first = paging ? std::upper_bound(items.begin(), items.end(), after,
                                         [](const std::string& t, const Json& e) { return t < LowerId(e); })
                      : items.begin();
  const std::size_t left = static_cast<std::size_t>(items.end() - first);
  Json out = Json::array();
  for (std::size_t i = 0; i < std::min(left, page); ++i) out.push_back(std::move(first[i]));
  j = Json{{"value", std::move(out)}};
  if (left > page) {
    std::string url = Origin(req) + req.path + "?";
    bool amp = false;
    for (const auto& [k, v] : req.query) {
      if (k == "$skiptoken") continue;
      url += fmt::format("{}{}={}", amp ? "&" : "", PercentEncode(k), PercentEncode(v));
      amp = true;
    }
    url +=
        fmt::format("{}%24skiptoken={}", amp ? "&" : "", auth::Base64UrlEncode(LowerId(j["value"].back())));
    j["nextLink"] = url;
  }
  r.body = j.dump();
  return std::nullopt;
}

HttpResponse Router::Handle(const HttpRequest& req) const {
  HttpResponse r;
  if (auto pub = PublicRoute(req)) {
    r = std::move(*pub);
  } else if (auto caller = Authenticate(req); !caller) {
    r = ErrorResponse({ErrorKind::kUnauthorized, caller.error().code, caller.error().message, {}});
    r.headers["WWW-Authenticate"] = "Bearer";
  } else if (req.body.size() > kMaxBodyBytes) {
    r = ErrorResponse({ErrorKind::kTooLarge,
                       "RequestEntityTooLarge",
                       fmt::format("The request body is larger than {} bytes.", kMaxBodyBytes),
                       {}});
  } else if (auto unparsable = UnparsableContent(req.body)) {  // every route, deployments' lenient reader too
    r = ErrorResponse(*unparsable);
  } else {
    bool filter = false;
    if (auto denied = Authorize(req, *caller, filter)) {
      r = std::move(*denied);
    } else {
      try {
        r = Route(req, *caller);
        if (filter) FilterList(r, *caller);
        if (req.method == "GET") {
          if (auto bad = Paginate(req, r)) r = std::move(*bad);
        }
      } catch (const Json::exception& e) {
        // A property read as the wrong type where validation missed it (nlohmann throws). With content it
        // is the client's property: writes are planned whole before anything is committed, so nothing
        // was stored. Only the exception's id is logged: a parse error's text quotes the input.
        spdlog::warn("{} request: nlohmann::json exception {} (a property of the wrong type?)", req.method,
                     e.id);
        r = ErrorResponse(req.body.empty()
                              ? Error::Internal("The server could not process the request.")
                              : Error::Invalid("InvalidRequestFormat",
                                               "A property of the request content has the wrong type."));
      }
    }
  }
  // ARM's tracing headers on every response: the client's request id is echoed as the request id
  // (so logs on both sides match), and a correlation id is kept or made.
  OsRng rng;
  auto client_id = Header(req, "x-ms-client-request-id");
  r.headers["x-ms-request-id"] = client_id.empty() ? NewGuid(rng) : client_id;
  if (!client_id.empty()) r.headers["x-ms-client-request-id"] = client_id;
  auto correlation = Header(req, "x-ms-correlation-request-id");
  r.headers["x-ms-correlation-request-id"] = correlation.empty() ? NewGuid(rng) : correlation;
  return r;
}

HttpResponse Router::Route(const HttpRequest& req, const auth::Caller& caller) const {
  const Segments seg = SplitPath(req.path);
  const std::string& m = req.method;
  // Prometheus scrapes a fixed path with no query string: no api-version here.
  if (seg.size() == 1 && seg[0] == "metrics") return Metrics(req);
  const bool tenants = !seg.empty() && IEquals(seg[0], "tenants");
  const bool providers = !seg.empty() && IEquals(seg[0], "providers");
  if (seg.empty() || (!IEquals(seg[0], "subscriptions") && !tenants && !providers)) return NoRoute(req);
  // ARM requires an api-version on every request, one its resource type knows.
  auto v = req.query.find("api-version");
  if (auto ok = CheckApiVersion(ApiFamilyOf(seg),
                                v == req.query.end() ? std::nullopt : std::optional<std::string>(v->second));
      !ok) {
    return ErrorResponse(ok.error());
  }
  if (tenants) {
    if (seg.size() != 1) return NoRoute(req);
    return m == "GET" ? Tenants(req) : MethodNotAllowed(m);
  }
  if (providers) {
    if (seg.size() >= 2 && IEquals(seg[1], "Isthmus.Identity")) return ServicePrincipals(req, seg, caller);
    if (m != "GET") return MethodNotAllowed(m);
    if (seg.size() > 2) return NoRoute(req);
    return Providers(req, "", seg.size() == 2 ? seg[1] : "");
  }

  if (seg.size() == 1) {
    if (m != "GET") return MethodNotAllowed(m);
    return JsonResponse(service_.ListSubscriptions());
  }
  const std::string& sub = seg[1];
  if (seg.size() == 2) {
    if (m != "GET") return MethodNotAllowed(m);
    auto s = service_.GetSubscription(sub);
    return s ? JsonResponse(*s) : ErrorResponse(s.error());
  }
  if (IEquals(seg[2], "locations") && seg.size() == 3) {
    return m == "GET" ? Locations(req, sub) : MethodNotAllowed(m);
  }
  if (IEquals(seg[2], "providers") && seg.size() <= 4) {
    if (m != "GET") return MethodNotAllowed(m);
    if (auto s = service_.GetSubscription(sub); !s) return ErrorResponse(s.error());
    return Providers(req, sub, seg.size() == 4 ? seg[3] : "");
  }
  if (IEquals(seg[2], "providers")) return SubscriptionProviders(req, seg);
  if (!IEquals(seg[2], "resourceGroups")) return NoRoute(req);
  if (seg.size() == 3) {
    if (m != "GET") return MethodNotAllowed(m);
    auto l = service_.List(Kind::kResourceGroup, {Kind::kSubscription, sub, {}, {}, {}});
    return l ? JsonResponse(*l) : ErrorResponse(l.error());
  }

  ResourceId id;
  id.subscription = sub;
  id.resource_group = seg[3];
  if (seg.size() == 4) {
    id.kind = Kind::kResourceGroup;
    return Crud(req, id);
  }
  if (seg.size() >= 5 && IEquals(seg[4], "deployments")) {  // ARM's older path, which az still uses
    Segments full(seg.begin(), seg.begin() + 4);
    full.insert(full.end(), {"providers", "Microsoft.Resources"});
    full.insert(full.end(), seg.begin() + 4, seg.end());
    return Deployment(req, full);
  }
  if (seg.size() >= 7 && IEquals(seg[4], "providers") && IEquals(seg[5], "Microsoft.Resources") &&
      IEquals(seg[6], "deployments")) {
    return Deployment(req, seg);
  }
  if (seg.size() < 6 || !IEquals(seg[4], "providers") || !IsKnownProvider(seg[5])) return NoRoute(req);
  if (seg.size() >= 7 && IEquals(seg[5], "Microsoft.Network") && IEquals(seg[6], "networkWatchers")) {
    if (seg.size() != 9) return NoRoute(req);
    return NetworkWatcherAction(req, ToLower(seg[8]));
  }
  auto kind = seg.size() >= 7 ? KindFromCollection(seg[5], seg[6]) : std::nullopt;
  if (!kind) {
    return ErrorResponse(Error::NotFound(
        "InvalidResourceType", fmt::format("The resource type in '{}' is not supported.", req.path)));
  }
  id.kind = *kind;
  if (seg.size() == 7) {  // list in a group
    if (m != "GET") return MethodNotAllowed(m);
    auto l = service_.List(*kind, ResourceId::Group(sub, id.resource_group));
    return l ? JsonResponse(*l) : ErrorResponse(l.error());
  }
  id.name = seg[7];
  if (seg.size() == 8) return Crud(req, id);
  std::string rest;
  for (std::size_t i = 8; i < seg.size(); ++i) rest += (rest.empty() ? "" : "/") + ToLower(seg[i]);
  if (*kind == Kind::kVirtualNetwork && IEquals(seg[8], "subnets")) {
    if (seg.size() == 9) {
      if (m != "GET") return MethodNotAllowed(m);
      auto l = service_.List(Kind::kSubnet, id);
      return l ? JsonResponse(*l) : ErrorResponse(l.error());
    }
    if (seg.size() != 10) return ErrorResponse(Error::NotFound("NotFound", "No such subnet route."));
    id.kind = Kind::kSubnet;
    id.child_name = seg[9];
    return Crud(req, id);
  }
  const bool known = (*kind == Kind::kConnection &&
                      (rest == "sharedkey" || rest == "sharedkey/reset" || rest == "getikesas")) ||
                     (*kind == Kind::kVirtualNetworkGateway && rest == "reset") ||
                     (*kind == Kind::kVirtualMachine && (rest == "instanceview" || rest == "runcommand"));
  if (!known) return NoRoute(req);
  return Action(req, id, rest);
}

HttpResponse Router::SubscriptionProviders(const HttpRequest& req, const Segments& seg) const {
  const std::string& m = req.method;
  // Isthmus's own provider: the host fabric (not an Azure API; docs/rest-api.md).
  // Region-pair impairments of the fabric's WAN: kept in the store, realized by the fabric (when it runs).
  if (IEquals(seg[3], "Isthmus.Fabric") && seg.size() >= 5 && IEquals(seg[4], "impairments")) {
    Impairments impairments(service_);
    if (seg.size() == 5) {
      if (m != "GET") return MethodNotAllowed(m);
      return JsonResponse(impairments.List(seg[1]));
    }
    if (seg.size() != 7) return NoRoute(req);
    if (m == "GET") {
      auto r = impairments.Get(seg[1], seg[5], seg[6]);
      return r ? JsonResponse(*r) : ErrorResponse(r.error());
    }
    if (m == "PUT") {
      auto body = ParseBody(req);
      if (!body) return ErrorResponse(body.error());
      auto r = impairments.Put(seg[1], seg[5], seg[6], *body);
      return r ? JsonResponse(*r) : ErrorResponse(r.error());
    }
    if (m == "DELETE") {
      // ARM's DELETE: 200 when something went, 204 when nothing was there.
      auto s = impairments.Delete(seg[5], seg[6]);
      if (!s && s.error().kind == ErrorKind::kNotFound) return {204, {}, ""};
      return s ? HttpResponse{200, {}, ""} : ErrorResponse(s.error());
    }
    return MethodNotAllowed(m);
  }
  if (seg.size() == 5 && IEquals(seg[3], "Isthmus.Fabric")) {
    const bool get = IEquals(seg[4], "status");
    if (!get && !IEquals(seg[4], "cleanup") && !IEquals(seg[4], "resume")) return NoRoute(req);
    if (m != (get ? "GET" : "POST")) return MethodNotAllowed(m);
    if (!fabric_) return FabricNotRunning();
    auto r = get ? fabric_->Status() : IEquals(seg[4], "cleanup") ? fabric_->Cleanup() : fabric_->Resume();
    return r ? JsonResponse(*r) : ErrorResponse(r.error());
  }
  if (seg.size() < 5 || !IsKnownProvider(seg[3])) return NoRoute(req);
  // Operations are answered under either provider: VMs' operation URLs name Microsoft.Compute.
  if (seg.size() == 8 && IEquals(seg[4], "locations") && IEquals(seg[6], "operations")) {
    if (m != "GET") return MethodNotAllowed(m);
    auto o = service_.GetOperation(seg[7]);
    return o ? JsonResponse(*o) : ErrorResponse(o.error());
  }
  if (seg.size() == 8 && IEquals(seg[4], "locations") && IEquals(seg[6], "operationResults")) {
    if (m != "GET") return MethodNotAllowed(m);
    return OperationResults(req, seg[7]);
  }
  auto kind = KindFromCollection(seg[3], seg[4]);
  if (seg.size() != 5 || !kind) return NoRoute(req);
  if (m != "GET") return MethodNotAllowed(m);
  auto l = service_.List(*kind, {Kind::kSubscription, seg[1], {}, {}, {}});
  return l ? JsonResponse(*l) : ErrorResponse(l.error());
}

HttpResponse Router::Accepted(const HttpRequest& req, const ResourceId& id, const WriteOutcome& o,
                              int status) const {
  HttpResponse r =
      o.body.is_null() || o.body.empty() ? HttpResponse{status, {}, ""} : JsonResponse(o.body, status);
  if (o.operation_id) {
    const std::string_view provider =
        id.kind == Kind::kVirtualMachine ? "Microsoft.Compute" : "Microsoft.Network";
    const std::string base = fmt::format("{}/subscriptions/{}/providers/{}/locations/{}", Origin(req),
                                         id.subscription, provider, o.operation_location);
    const std::string version = PercentEncode(req.query.at("api-version"));
    r.headers["Azure-AsyncOperation"] =
        fmt::format("{}/operations/{}?api-version={}", base, *o.operation_id, version);
    r.headers["Location"] =
        fmt::format("{}/operationResults/{}?api-version={}", base, *o.operation_id, version);
    r.headers["Retry-After"] = "1";
  }
  for (std::size_t i = 0; i < o.warnings.size(); ++i) {
    r.headers[i == 0 ? "Warning" : fmt::format("Warning-{}", i)] = fmt::format("299 - \"{}\"", o.warnings[i]);
  }
  return r;
}

HttpResponse Router::OperationResults(const HttpRequest& req, const std::string& operation_id) const {
  auto result = service_.GetOperationResult(operation_id);
  if (!result) return ErrorResponse(result.error());
  const std::string status = result->operation.value("status", "");
  if (status == "InProgress") {  // 202 until it ends, at the same URL
    HttpResponse r{202, {}, ""};
    auto v = req.query.find("api-version");
    std::string self =
        Origin(req) + req.path + "?api-version=" + PercentEncode(v == req.query.end() ? "" : v->second);
    r.headers["Location"] = self;
    r.headers["Retry-After"] = "1";
    return r;
  }
  if (status != "Succeeded") {
    const Json& e = result->operation.contains("error") && result->operation["error"].is_object()
                        ? result->operation["error"]
                        : Json::object();
    return ErrorResponse(
        Error::Conflict(e.value("code", status == "Canceled" ? std::string("OperationCanceled")
                                                             : std::string("OperationFailed")),
                        e.value("message", fmt::format("The operation ended {}.", status))));
  }
  // Succeeded: what the request would have answered had it finished at once.
  const std::string& kind = result->kind;
  if (kind == "delete" || !result->resource) return {204, {}, ""};
  if (kind == "setSharedKey" || kind == "resetSharedKey") {
    auto key = service_.GetSharedKey(*result->resource);
    if (!key) return ErrorResponse(key.error());
    return kind == "setSharedKey" ? JsonResponse({{"value", *key}})
                                  : JsonResponse({{"keyLength", key->size()}});
  }
  HttpResponse now;
  if (result->resource->kind == Kind::kVirtualMachine) {
    now = VmGet(req, *result->resource);
  } else {
    auto g = service_.Get(*result->resource);
    now = g ? JsonResponse(*g) : ErrorResponse(g.error());
  }
  if (now.status == 404) return {204, {}, ""};  // gone since: nothing to show
  return now;
}

HttpResponse Router::Action(const HttpRequest& req, const ResourceId& id, const std::string& action) const {
  const std::string& m = req.method;
  if (action == "instanceview") return VmInstanceView(req, id);
  if (action == "runcommand") return VmRunCommand(req, id);
  if (action == "getikesas") return ConnectionIkeSas(req, id);
  if (action == "sharedkey") {
    if (m == "GET") {
      auto k = service_.GetSharedKey(id);
      return k ? JsonResponse({{"value", *k}}) : ErrorResponse(k.error());
    }
    if (m != "PUT") return MethodNotAllowed(m);
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object() || !body->contains("value") || !(*body)["value"].is_string()) {
      return ErrorResponse(
          Error::Invalid("InvalidRequestFormat", "The body must be {\"value\": \"<shared key>\"}.", "value"));
    }
    auto o = service_.SetSharedKey(id, (*body)["value"].get<std::string>());
    if (!o) return ErrorResponse(o.error());
    WriteOutcome w = *o;
    w.body = {{"value", (*body)["value"]}};
    return Accepted(req, id, w, 200);
  }
  if (action == "sharedkey/reset") {
    if (m != "POST") return MethodNotAllowed(m);
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object() || !body->contains("keyLength") || !(*body)["keyLength"].is_number_integer()) {
      return ErrorResponse(
          Error::Invalid("InvalidRequestFormat", "The body must be {\"keyLength\": 1..128}.", "keyLength"));
    }
    auto len = (*body)["keyLength"].get<std::int64_t>();
    auto o = service_.ResetSharedKey(id, static_cast<int>(std::clamp<std::int64_t>(len, -1, 100000)));
    if (!o) return ErrorResponse(o.error());
    WriteOutcome w = *o;
    w.body = {{"keyLength", len}};
    return Accepted(req, id, w, 200);
  }
  // "reset" of a gateway.
  if (m != "POST") return MethodNotAllowed(m);
  auto o = service_.ResetGateway(id);
  if (!o) return ErrorResponse(o.error());
  WriteOutcome w = *o;
  w.body = Json();
  return Accepted(req, id, w, 202);
}

HttpResponse Router::Crud(const HttpRequest& req, const ResourceId& id) const {
  const std::string& m = req.method;
  if (m == "GET") {
    if (id.kind == Kind::kVirtualMachine) return VmGet(req, id);
    auto g = service_.Get(id);
    return g ? JsonResponse(*g) : ErrorResponse(g.error());
  }
  if (m == "HEAD") {  // ARM's "does this group exist"
    auto g = service_.Get(id);
    return {g ? 204 : HttpStatusFor(g.error().kind), {}, ""};
  }
  if (m == "PUT" || m == "PATCH") {
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    auto pre = ReadPreconditions(req);
    auto o = m == "PUT" ? service_.Put(id, *body, pre) : service_.Patch(id, *body, pre);
    if (!o) return ErrorResponse(o.error());
    return Accepted(req, id, *o, o->created ? 201 : 200);
  }
  if (m == "DELETE") {
    auto o = service_.Delete(id, ReadPreconditions(req));
    if (!o) return ErrorResponse(o.error());
    if (o->noop) return {204, {}, ""};
    WriteOutcome w = *o;
    w.body = Json();
    return Accepted(req, id, w, o->operation_id ? 202 : 200);
  }
  return MethodNotAllowed(m);
}

}  // namespace isthmus::mgmt
