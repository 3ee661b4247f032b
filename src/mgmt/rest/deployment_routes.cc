// Microsoft.Resources/deployments (template/deployer.h) on the router: PUT/GET/DELETE/list, validate,
// whatIf, exportTemplate, operations and the deployment's operation status, as ARM serves them.
#include <cctype>

#include <fmt/format.h>

#include "mgmt/rest/router.h"
#include "mgmt/template/deployer.h"

namespace isthmus::mgmt {
namespace {

// Deployment bodies as ARM reads them (Json.NET): comments allowed, and property names may be bare
// identifiers — az 2.45 sends `template:{…}`, splicing the template file's text in unquoted. Bare names
// outside strings are quoted, then the text parses as JSON with comments ignored.
Result<Json> ParseLenient(const std::string& text) {
  if (text.empty()) return Json::object();
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  char expect_key_after = '{';  // last structural character outside strings
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    if (c == '/' && i + 1 < text.size() &&
        (text[i + 1] == '/' || text[i + 1] == '*')) {  // keep comments whole
      const bool line = text[i + 1] == '/';
      const std::size_t end = line ? text.find('\n', i) : text.find("*/", i + 2);
      const std::size_t stop = end == std::string::npos ? text.size() : end + (line ? 0 : 2);
      out.append(text, i, stop - i);
      i = stop - 1;
      continue;
    }
    if ((expect_key_after == '{' || expect_key_after == ',') &&
        (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$')) {
      std::size_t j = i;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_' || text[j] == '$'))
        ++j;
      std::size_t k = j;
      while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      if (k < text.size() && text[k] == ':') {
        out += '"';
        out.append(text, i, j - i);
        out += '"';
        i = j - 1;
        expect_key_after = 0;
        continue;
      }
    }
    if (c == '{' || c == ',' || c == '[' || c == ':' || c == '}' || c == ']')
      expect_key_after = c;
    else if (!std::isspace(static_cast<unsigned char>(c)))
      expect_key_after = 0;
    out += c;
  }
  Json j = Json::parse(out, nullptr, false, /*ignore_comments=*/true);
  if (j.is_discarded()) {
    return Fail(Error::Invalid("InvalidRequestContent", "The request content is not valid JSON."));
  }
  return j;
}

}  // namespace

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
  auto body = [&]() {
    if (req.body.size() > kMaxBodyBytes) return Result<Json>(ParseBody(req));
    return ParseLenient(req.body);
  };
  if (seg.size() == 8) {
    if (m == "GET") {
      auto g = d.Get(key);
      return g ? JsonResponse(*g) : ErrorResponse(g.error());
    }
    if (m == "HEAD") return {d.Get(key) ? 204 : 404, {}, ""};
    if (m == "DELETE") {
      if (!d.Get(key)) return {204, {}, ""};
      auto s = d.Delete(key);
      // Done at once: 204, which the SDKs' delete pollers take as finished (az 2.45 refuses 200 here).
      return s ? HttpResponse{204, {}, ""} : ErrorResponse(s.error());
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
    if (!s) return ErrorResponse(s.error());
    HttpResponse r = JsonResponse(*s);
    if (s->value("status", "") == "Running") r.headers["Retry-After"] = "1";  // else pollers wait 30 s
    return r;
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
