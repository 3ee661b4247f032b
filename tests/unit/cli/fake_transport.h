// A Transport that records every request and answers from canned responses, and a harness that runs the
// whole CLI against it with a manual clock (sleeps advance the clock; nothing really waits).
#pragma once

#include <deque>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cli/app.h"
#include "cli/arm_client.h"
#include "cli/json.h"
#include "cli/transport.h"

namespace isthmus::cli::testing {

inline constexpr char kEndpoint[] = "http://isthmusd.test:7480";
inline constexpr char kSub[] = "11111111-2222-3333-4444-555555555555";

// "METHOD /path" without endpoint and query, the key canned responses are stored under.
inline std::string RouteKey(const HttpRequest& r) {
  std::string url = r.url;
  if (url.starts_with(kEndpoint)) url = url.substr(std::string(kEndpoint).size());
  return r.method + " " + url.substr(0, url.find('?'));
}

class FakeTransport final : public Transport {
 public:
  // Responses for one route are served in order; the last one repeats.
  void On(const std::string& method_and_path, int status, const Json& body = nullptr, Headers headers = {}) {
    routes_[method_and_path].push_back(
        HttpResponse{status, std::move(headers), body.is_null() ? "" : body.dump()});
  }

  Result<HttpResponse> Send(const HttpRequest& r) override {
    requests.push_back(r);
    if (refuse) {
      return Fail(
          Error{ErrorKind::kUnavailable, "ClientConnectionError", "cannot reach isthmusd: refused", {}});
    }
    auto it = routes_.find(RouteKey(r));
    if (it == routes_.end() || it->second.empty()) {
      Json err = {
          {"error", {{"code", "NoCannedResponse"}, {"message", "no canned response for " + RouteKey(r)}}}};
      return HttpResponse{404, {}, err.dump()};
    }
    HttpResponse res = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    return res;
  }

  // Requests whose route key equals `key`.
  std::vector<HttpRequest> Sent(const std::string& key) const {
    std::vector<HttpRequest> out;
    for (const auto& r : requests) {
      if (RouteKey(r) == key) out.push_back(r);
    }
    return out;
  }

  std::vector<HttpRequest> requests;
  bool refuse = false;

 private:
  std::map<std::string, std::deque<HttpResponse>> routes_;
};

class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(ManualClock& clock) : clock_(clock) {}
  void Sleep(Duration d) override {
    sleeps.push_back(d);
    clock_.Advance(d);
  }
  std::vector<Duration> sleeps;

 private:
  ManualClock& clock_;
};

struct Harness {
  Harness() {
    settings.endpoint = kEndpoint;
    settings.token = "test-token";
    settings.config_dir = (std::filesystem::temp_directory_path() / "isthmus-cli-test-no-config").string();
    settings.wait_timeout = std::chrono::seconds(60);
    transport.On("GET /subscriptions", 200,
                 {{"value", Json::array({{{"id", std::string("/subscriptions/") + kSub},
                                          {"subscriptionId", kSub},
                                          {"displayName", "Isthmus"},
                                          {"state", "Enabled"},
                                          {"tenantId", "t"},
                                          {"isDefault", true}}})}});
  }

  int Run(const std::vector<std::string>& args) {
    out.str("");
    err.str("");
    AppIo io{out, err, in, transport, clock, sleeper, settings};
    io.terminal = terminal;
    return RunCli(args, io);
  }

  Json OutJson() const { return Json::parse(out.str()); }

  FakeTransport transport;
  ManualClock clock;
  FakeSleeper sleeper{clock};
  std::ostringstream out, err;
  std::istringstream in;
  Settings settings;
  bool terminal = false;
};

inline std::string GroupUrlPath(const std::string& rg) {
  return std::string("/subscriptions/") + kSub + "/resourceGroups/" + rg;
}
inline std::string NetPath(const std::string& rg, const std::string& type, const std::string& name) {
  return GroupUrlPath(rg) + "/providers/Microsoft.Network/" + type + "/" + name;
}

}  // namespace isthmus::cli::testing
