// Microsoft.Resources/deployments (template/deployer.h) on the router: PUT/GET/DELETE/list, validate,
// whatIf, exportTemplate, operations and the deployment's operation status, as ARM serves them.
#include <fmt/format.h>

#include "mgmt/rest/router.h"
#include "mgmt/template/deployer.h"

namespace isthmus::mgmt {

HttpResponse Router::Deployment(const HttpRequest& req, const Segments& seg) const {
  // seg: subscriptions {s} resourceGroups {rg} providers Microsoft.Resources deployments [{name} [action …]]
  const std::string& m = req.method;
  if (!options_.deployments) {
    return ErrorResponse(
        Error::Conflict("DeploymentsNotAvailable", "This isthmusd runs without template deployments."));
  }
  tmpl::Deployments& d = *options_.deployments;
  const std::string& sub = seg[1];
  const std::string& rg = seg[3];
  if (seg.size() == 7) {
    if (m != "GET") return MethodNotAllowed(m);
    auto l = d.List(sub, rg);
    return l ? JsonResponse(*l) : ErrorResponse(l.error());
  }
  const tmpl::DeploymentKey key{sub, rg, seg[7]};
  auto body = [&]() { return ParseBody(req); };
  if (seg.size() == 8) {
    if (m == "GET") {
      auto g = d.Get(key);
      return g ? JsonResponse(*g) : ErrorResponse(g.error());
    }
    if (m == "HEAD") return {d.Get(key) ? 204 : 404, {}, ""};
    if (m == "DELETE") {
      if (!d.Get(key)) return {204, {}, ""};
      auto s = d.Delete(key);
      return s ? HttpResponse{200, {}, ""} : ErrorResponse(s.error());
    }
    if (m != "PUT") return MethodNotAllowed(m);
    auto b = body();
    if (!b) return ErrorResponse(b.error());
    auto w = d.Put(key, *b);
    if (!w) return ErrorResponse(w.error());
    HttpResponse r = JsonResponse(w->body, w->created ? 201 : 200);
    const std::string version = req.query.count("api-version") ? req.query.at("api-version") : "";
    r.headers["Azure-AsyncOperation"] = fmt::format(
        "{}{}/operationStatuses/{}?api-version={}", Origin(req), w->body.value("id", std::string()),
        w->body["properties"].value("correlationId", std::string()), version);
    r.headers["Retry-After"] = "1";
    return r;
  }
  const std::string action = ToLower(seg[8]);
  if (seg.size() == 10 && action == "operationstatuses") {
    if (m != "GET") return MethodNotAllowed(m);
    auto s = d.OperationStatus(key);
    return s ? JsonResponse(*s) : ErrorResponse(s.error());
  }
  if (seg.size() != 9) return NoRoute(req);
  if (action == "operations") {
    if (m != "GET") return MethodNotAllowed(m);
    auto o = d.Operations(key);
    return o ? JsonResponse(*o) : ErrorResponse(o.error());
  }
  if (m != "POST") return MethodNotAllowed(m);
  if (action == "exporttemplate") {
    auto t = d.ExportTemplate(key);
    return t ? JsonResponse(*t) : ErrorResponse(t.error());
  }
  if (action != "validate" && action != "whatif") return NoRoute(req);
  auto b = body();
  if (!b) return ErrorResponse(b.error());
  auto r = action == "validate" ? d.Validate(key, *b) : d.WhatIf(key, *b);
  if (!r) return ErrorResponse(r.error());
  return JsonResponse(*r);
}

}  // namespace isthmus::mgmt
