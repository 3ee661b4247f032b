// The ARM-shaped REST API as a pure function of a request: no sockets here, so every route and error
// is unit-testable and fuzzable. rest/server.h binds it to HTTP.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mgmt/auth/authority.h"
#include "mgmt/service/fabric_admin.h"
#include "mgmt/service/resource_service.h"
#include "mgmt/service/vm_agent.h"

namespace isthmus::mgmt::tmpl {
class Deployments;
}

namespace isthmus::mgmt {

struct HttpRequest {
  std::string method;  // upper case
  std::string path;    // without the query string
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::map<std::string, std::string> headers;  // "Content-Type" is the body's (JSON unless it says otherwise)
  std::string body;                            // JSON text (or empty); /metrics: Prometheus text
};

struct RouterOptions {
  // Sign-in: service principals' tokens, the token endpoint and the OpenID configuration. Without one,
  // only the local token is accepted and the /adfs routes are 404.
  const auth::Authority* authority = nullptr;
  std::string scheme = "https";  // of the URLs the router writes (Azure-AsyncOperation, Location, nextLink)
  std::size_t page_size = 100;   // list entries per page before a nextLink (ARM pages at 100 to 1000)
  // Template deployments (Microsoft.Resources/deployments); without them those routes answer 409.
  tmpl::Deployments* deployments = nullptr;
};

class Router {
 public:
  // `token` is the local bearer token (the state directory's token file), accepted on every route.
  // `vm_agent` runs `runCommand` scripts inside VMs; without one (isthmusd with no VM fabric) runCommand
  // answers a clear 409.
  Router(ResourceService& service, std::string token, VmAgent* vm_agent = nullptr,
         FabricAdmin* fabric = nullptr, RouterOptions options = {})
      : service_(service),
        token_(std::move(token)),
        vm_agent_(vm_agent),
        fabric_(fabric),
        options_(std::move(options)) {}

  HttpResponse Handle(const HttpRequest& req) const;

  static constexpr std::size_t kMaxBodyBytes = 1 << 20;
  // Request bodies whose objects and arrays nest deeper than this are refused before they are parsed:
  // nlohmann's parser is iterative, but copying, dumping and validating a document recurse once per
  // level, and 100,000 levels overflow a worker thread's 8 MiB stack (isthmusd died of it). 64 is the
  // default MaxDepth of .NET's JSON readers (Json.NET since 13.0.1, System.Text.Json), on which Azure's
  // services are built; ARM templates and resource bodies stay far below it.
  static constexpr std::size_t kMaxJsonDepth = 64;
  // runCommand: the script's size bound and the time the agent gets (Azure's own limits are larger; a
  // test endpoint's scripts are short, and an HTTP request should not hang for Azure's 90 minutes).
  static constexpr std::size_t kMaxScriptBytes = 64 * 1024;
  static constexpr Duration kRunCommandTimeout = std::chrono::seconds(90);

 private:
  using Segments = std::vector<std::string>;
  HttpResponse Route(const HttpRequest& req, const auth::Caller& caller) const;
  std::expected<auth::Caller, auth::AuthFailure> Authenticate(const HttpRequest& req) const;
  // 403 AuthorizationFailed unless the caller's roles allow the request; `filter` is set when a list's
  // entries must be filtered to what the caller sees.
  std::optional<HttpResponse> Authorize(const HttpRequest& req, const auth::Caller& caller,
                                        bool& filter) const;

  // Sign-in and discovery (identity_routes.cc): routes that need no token (cloud metadata, the OpenID
  // configuration, keys, the token endpoint), and ARM's tenants, providers and locations.
  std::optional<HttpResponse> PublicRoute(const HttpRequest& req) const;
  HttpResponse Tenants(const HttpRequest& req) const;
  HttpResponse Providers(const HttpRequest& req, const std::string& subscription,
                         const std::string& ns) const;
  HttpResponse Locations(const HttpRequest& req, const std::string& subscription) const;
  // Isthmus.Identity/servicePrincipals: what `isthmus ad sp …` calls (not an Azure API; docs/security.md).
  HttpResponse ServicePrincipals(const HttpRequest& req, const Segments& seg,
                                 const auth::Caller& caller) const;
  std::string Origin(const HttpRequest& req) const;
  // Splits a list answer longer than options_.page_size into pages joined by nextLink ($skiptoken);
  // an error response when the request's $skiptoken is not one of ours.
  std::optional<HttpResponse> Paginate(
      const HttpRequest& req, HttpResponse& r) const;  // "https://host:port" as the client addressed us
  // /subscriptions/{s}/providers/{namespace}/...: lists by type and operation status.
  HttpResponse SubscriptionProviders(const HttpRequest& req, const Segments& seg) const;
  // The action on a resource ("sharedkey", "reset", "instanceview", "runcommand"), or plain CRUD.
  HttpResponse Action(const HttpRequest& req, const ResourceId& id, const std::string& action) const;
  HttpResponse Crud(const HttpRequest& req, const ResourceId& id) const;
  // …/resourceGroups/{rg}/providers/Microsoft.Resources/deployments[/{name}[/…]] (deployment_routes.cc).
  HttpResponse Deployment(const HttpRequest& req, const Segments& seg) const;
  // An operation's Location URL: 202 while it runs; then the result a synchronous answer would have
  // carried (the resource, the shared key or its length, 204 for a delete), or its error.
  HttpResponse OperationResults(const HttpRequest& req, const std::string& operation_id) const;
  // A write's answer: its body and status, with ARM's operation headers when it continues asynchronously.
  HttpResponse Accepted(const HttpRequest& req, const ResourceId& id, const WriteOutcome& o,
                        int status) const;

  // Live status (status_routes.cc): a connection's IKE SAs, Network Watcher's troubleshoot and
  // connectivity check (any watcher name: Isthmus keeps no watcher resources), Prometheus metrics.
  HttpResponse ConnectionIkeSas(const HttpRequest& req, const ResourceId& id) const;
  HttpResponse NetworkWatcherAction(const HttpRequest& req, const std::string& action) const;
  HttpResponse Troubleshoot(const HttpRequest& req) const;
  HttpResponse ConnectivityCheck(const HttpRequest& req) const;
  HttpResponse Metrics(const HttpRequest& req) const;

  // Virtual machines (vm_routes.cc).
  HttpResponse VmGet(const HttpRequest& req, const ResourceId& id) const;
  HttpResponse VmInstanceView(const HttpRequest& req, const ResourceId& id) const;
  HttpResponse VmRunCommand(const HttpRequest& req, const ResourceId& id) const;

  ResourceService& service_;
  std::string token_;
  VmAgent* vm_agent_ = nullptr;
  FabricAdmin* fabric_ = nullptr;
  RouterOptions options_;
};

// Shared by router.cc, vm_routes.cc and status_routes.cc.
HttpResponse JsonResponse(const Json& j, int status = 200);
HttpResponse MethodNotAllowed(const std::string& method);
HttpResponse NoRoute(const HttpRequest& req);                 // 404 NotFound naming the path
std::vector<std::string> SplitPath(const std::string& path);  // non-empty segments
Result<Json> ParseBody(const HttpRequest& req);

// Azure's instance view of a VM (the statuses az and the portal read), from its stored document.
Json VmInstanceViewOf(const Json& vm);
// Isthmus's answer when a route needs the fabric and isthmusd runs without one (409: retrying cannot help).
HttpResponse FabricNotRunning();

// ARM error body and the HTTP status for an Error.
HttpResponse ErrorResponse(const Error& e);
int HttpStatusFor(ErrorKind kind);

}  // namespace isthmus::mgmt
