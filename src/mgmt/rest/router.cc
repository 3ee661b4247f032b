#include "mgmt/rest/router.h"

#include <algorithm>
#include <set>
#include <vector>

#include <fmt/format.h>

namespace isthmus::mgmt {
namespace {

// API versions accepted, as ARM requires one on every call. Network resources follow 2023-09-01's
// shapes; neighbouring versions are accepted because the shapes used here did not change.
const std::set<std::string> kNetworkApiVersions = {"2022-07-01", "2022-09-01", "2022-11-01", "2023-02-01",
                                                   "2023-04-01", "2023-05-01", "2023-06-01", "2023-09-01",
                                                   "2023-11-01", "2024-01-01", "2024-03-01", "2024-05-01"};
const std::set<std::string> kResourcesApiVersions = {"2020-06-01", "2021-04-01", "2022-09-01", "2023-07-01",
                                                     "2024-03-01", "2022-12-01", "2020-01-01"};

std::vector<std::string> Segments(const std::string& path) {
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

HttpResponse Json200(const Json& j, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json; charset=utf-8";
  r.body = j.dump();
  return r;
}

HttpResponse MethodNotAllowed(const std::string& method) {
  HttpResponse r = ErrorResponse(Error::Invalid("MethodNotAllowed",
                                                fmt::format("The method '{}' is not allowed on this path.", method)));
  r.status = 405;
  return r;
}

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

Result<Json> ParseBody(const HttpRequest& req) {
  if (req.body.empty()) return Json::object();
  Json j = Json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    return Fail(Error::Invalid("InvalidRequestContent", "The request content is not valid JSON."));
  }
  return j;
}

Preconditions ReadPreconditions(const HttpRequest& req) {
  Preconditions p;
  auto m = Header(req, "if-match");
  if (!m.empty()) p.if_match = m;
  p.if_none_match_any = Header(req, "if-none-match") == "*";
  return p;
}

}  // namespace

int HttpStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return 400;
    case ErrorKind::kUnauthorized: return 401;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kPreconditionFailed: return 412;
    case ErrorKind::kTooLarge: return 413;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Error& e) {
  Json err = {{"code", e.code}, {"message", e.message}};
  if (!e.target.empty()) err["target"] = e.target;
  err["details"] = Json::array();
  HttpResponse r = Json200({{"error", err}}, HttpStatusFor(e.kind));
  r.headers["x-ms-failure-cause"] = e.kind == ErrorKind::kInternal ? "service" : "gateway";
  return r;
}

bool Router::Authorized(const HttpRequest& req) const {
  auto h = Header(req, "authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || !IEquals(h.substr(0, kBearer.size()), kBearer)) return false;
  return ConstantTimeEquals(h.substr(kBearer.size()), token_);
}

HttpResponse Router::Handle(const HttpRequest& req) const {
  if (!Authorized(req)) {
    HttpResponse r = ErrorResponse({ErrorKind::kUnauthorized, "AuthenticationFailed",
                                    "Authentication failed: the request needs 'Authorization: Bearer <token>' with "
                                    "the token from isthmusd's state directory.",
                                    {}});
    r.headers["WWW-Authenticate"] = "Bearer";
    return r;
  }
  if (req.body.size() > kMaxBodyBytes) {
    return ErrorResponse({ErrorKind::kTooLarge, "RequestEntityTooLarge",
                          fmt::format("The request body is larger than {} bytes.", kMaxBodyBytes), {}});
  }
  HttpResponse r = Route(req);
  r.headers["x-ms-request-id"] = Header(req, "x-ms-client-request-id");
  return r;
}

HttpResponse Router::Route(const HttpRequest& req) const {
  auto seg = Segments(req.path);
  const std::string& m = req.method;
  if (seg.empty() || !IEquals(seg[0], "subscriptions")) {
    return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
  }
  // ARM requires an api-version on every request.
  auto v = req.query.find("api-version");
  if (v == req.query.end() || v->second.empty()) {
    return ErrorResponse(Error::Invalid("MissingApiVersionParameter",
                                        "The api-version query parameter (?api-version=) is required for all "
                                        "requests."));
  }
  if (!kNetworkApiVersions.contains(v->second) && !kResourcesApiVersions.contains(v->second)) {
    return ErrorResponse(Error::Invalid(
        "InvalidApiVersionParameter",
        fmt::format("The api-version '{}' is invalid. Use 2023-09-01 for Microsoft.Network resources and "
                    "2022-09-01 for resource groups.",
                    v->second)));
  }

  if (seg.size() == 1) {
    if (m != "GET") return MethodNotAllowed(m);
    return Json200(service_.ListSubscriptions());
  }
  const std::string& sub = seg[1];
  if (seg.size() == 2) {
    if (m != "GET") return MethodNotAllowed(m);
    auto s = service_.GetSubscription(sub);
    return s ? Json200(*s) : ErrorResponse(s.error());
  }

  // Subscription-scope provider routes: list by type, and operation status.
  if (IEquals(seg[2], "providers")) {
    if (seg.size() < 5 || !IEquals(seg[3], "Microsoft.Network")) {
      return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
    }
    if (seg.size() == 8 && IEquals(seg[4], "locations") && IEquals(seg[6], "operations")) {
      if (m != "GET") return MethodNotAllowed(m);
      auto o = service_.GetOperation(seg[7]);
      return o ? Json200(*o) : ErrorResponse(o.error());
    }
    auto kind = KindFromCollection(seg[4]);
    if (seg.size() != 5 || !kind) {
      return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
    }
    if (m != "GET") return MethodNotAllowed(m);
    auto l = service_.List(*kind, {Kind::kSubscription, sub, {}, {}, {}});
    return l ? Json200(*l) : ErrorResponse(l.error());
  }

  if (!IEquals(seg[2], "resourceGroups")) {
    return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
  }
  if (seg.size() == 3) {
    if (m != "GET") return MethodNotAllowed(m);
    auto l = service_.List(Kind::kResourceGroup, {Kind::kSubscription, sub, {}, {}, {}});
    return l ? Json200(*l) : ErrorResponse(l.error());
  }

  ResourceId id;
  id.subscription = sub;
  id.resource_group = seg[3];
  std::string action;  // "sharedkey", "sharedkey/reset", "reset"
  if (seg.size() == 4) {
    id.kind = Kind::kResourceGroup;
  } else {
    if (seg.size() < 6 || !IEquals(seg[4], "providers") || !IEquals(seg[5], "Microsoft.Network")) {
      return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
    }
    auto kind = seg.size() >= 7 ? KindFromCollection(seg[6]) : std::nullopt;
    if (!kind) {
      return ErrorResponse(Error::NotFound("InvalidResourceType",
                                           fmt::format("The resource type in '{}' is not supported.", req.path)));
    }
    id.kind = *kind;
    if (seg.size() == 7) {  // list in a group
      if (m != "GET") return MethodNotAllowed(m);
      auto l = service_.List(*kind, ResourceId::Group(sub, id.resource_group));
      return l ? Json200(*l) : ErrorResponse(l.error());
    }
    id.name = seg[7];
    if (seg.size() >= 9) {
      std::string rest;
      for (std::size_t i = 8; i < seg.size(); ++i) rest += (rest.empty() ? "" : "/") + ToLower(seg[i]);
      if (*kind == Kind::kVirtualNetwork && IEquals(seg[8], "subnets")) {
        if (seg.size() == 9) {
          if (m != "GET") return MethodNotAllowed(m);
          auto l = service_.List(Kind::kSubnet, id);
          return l ? Json200(*l) : ErrorResponse(l.error());
        }
        if (seg.size() != 10) return ErrorResponse(Error::NotFound("NotFound", "No such subnet route."));
        id.kind = Kind::kSubnet;
        id.child_name = seg[9];
      } else if (*kind == Kind::kConnection && (rest == "sharedkey" || rest == "sharedkey/reset")) {
        action = rest;
      } else if (*kind == Kind::kVirtualNetworkGateway && rest == "reset") {
        action = rest;
      } else {
        return ErrorResponse(Error::NotFound("NotFound", fmt::format("No route for '{}'.", req.path)));
      }
    }
  }

  auto accepted = [&](const WriteOutcome& o, int status) {
    HttpResponse r = o.body.is_null() || o.body.empty() ? HttpResponse{status, {}, ""} : Json200(o.body, status);
    if (o.operation_id) {
      std::string host = Header(req, "host");
      std::string url = fmt::format("http://{}/subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}"
                                    "?api-version={}",
                                    host.empty() ? "127.0.0.1" : host, id.subscription, o.operation_location,
                                    *o.operation_id, v->second);
      r.headers["Azure-AsyncOperation"] = url;
      r.headers["Location"] = url;
      r.headers["Retry-After"] = "1";
    }
    for (std::size_t i = 0; i < o.warnings.size(); ++i) {
      r.headers[i == 0 ? "Warning" : fmt::format("Warning-{}", i)] = fmt::format("299 - \"{}\"", o.warnings[i]);
    }
    return r;
  };

  if (action == "sharedkey") {
    if (m == "GET") {
      auto k = service_.GetSharedKey(id);
      return k ? Json200({{"value", *k}}) : ErrorResponse(k.error());
    }
    if (m != "PUT") return MethodNotAllowed(m);
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object() || !body->contains("value") || !(*body)["value"].is_string()) {
      return ErrorResponse(Error::Invalid("InvalidRequestFormat", "The body must be {\"value\": \"<shared key>\"}.",
                                          "value"));
    }
    auto o = service_.SetSharedKey(id, (*body)["value"].get<std::string>());
    if (!o) return ErrorResponse(o.error());
    WriteOutcome w = *o;
    w.body = {{"value", (*body)["value"]}};
    return accepted(w, 200);
  }
  if (action == "sharedkey/reset") {
    if (m != "POST") return MethodNotAllowed(m);
    auto body = ParseBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object() || !body->contains("keyLength") || !(*body)["keyLength"].is_number_integer()) {
      return ErrorResponse(Error::Invalid("InvalidRequestFormat", "The body must be {\"keyLength\": 1..128}.",
                                          "keyLength"));
    }
    auto len = (*body)["keyLength"].get<std::int64_t>();
    auto o = service_.ResetSharedKey(id, static_cast<int>(std::clamp<std::int64_t>(len, -1, 100000)));
    if (!o) return ErrorResponse(o.error());
    WriteOutcome w = *o;
    w.body = {{"keyLength", len}};
    return accepted(w, 200);
  }
  if (action == "reset") {
    if (m != "POST") return MethodNotAllowed(m);
    auto o = service_.ResetGateway(id);
    if (!o) return ErrorResponse(o.error());
    WriteOutcome w = *o;
    w.body = Json();
    return accepted(w, 202);
  }

  if (m == "GET") {
    auto g = service_.Get(id);
    return g ? Json200(*g) : ErrorResponse(g.error());
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
    return accepted(*o, o->created ? 201 : 200);
  }
  if (m == "DELETE") {
    auto o = service_.Delete(id, ReadPreconditions(req));
    if (!o) return ErrorResponse(o.error());
    if (o->noop) return {204, {}, ""};
    WriteOutcome w = *o;
    w.body = Json();
    return accepted(w, o->operation_id ? 202 : 200);
  }
  return MethodNotAllowed(m);
}

}  // namespace isthmus::mgmt
