// ARM-style requests to isthmusd: bearer token, api-version, `{"error":{code,message}}` → Error, and
// ARM's long-running-operation pattern (Azure-AsyncOperation / Location + Retry-After polling).
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "cli/json.h"
#include "cli/transport.h"

namespace isthmus::cli {

inline constexpr char kNetworkApiVersion[] = "2023-09-01";
inline constexpr char kResourcesApiVersion[] = "2022-09-01";
// Microsoft.Compute (virtualMachines): what az 2.45, the release of the VNet-to-VNet tutorial, sends.
inline constexpr char kComputeApiVersion[] = "2022-11-01";

// Waiting is an interface so that polling is tested with a manual clock and no real sleeps.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void Sleep(Duration d) = 0;
};

class ThreadSleeper final : public Sleeper {
 public:
  void Sleep(Duration d) override;
};

struct ArmResponse {
  int status = 0;
  Json body;              // null when the body was empty
  std::string async_url;  // Azure-AsyncOperation, absolute
  std::string location;   // Location, absolute
  std::optional<Duration> retry_after;

  bool IsLongRunning() const {
    return (status == 201 || status == 202) && (!async_url.empty() || !location.empty());
  }
};

struct ArmClientOptions {
  std::string endpoint;  // "http://127.0.0.1:7480"
  std::string token;
  Duration wait_timeout = std::chrono::minutes(30);
  std::ostream* debug = nullptr;     // --debug: request lines and statuses, never bodies (they may hold keys)
  std::ostream* warnings = nullptr;  // the server's Warning headers, printed as az prints warnings
};

class ArmClient {
 public:
  ArmClient(Transport& transport, const Clock& clock, Sleeper& sleeper, ArmClientOptions options)
      : transport_(transport), clock_(clock), sleeper_(sleeper), options_(std::move(options)) {}

  // `path` starts with "/subscriptions" (or is an absolute URL from a polling header); `api_version` is
  // appended unless the URL already carries one. HTTP statuses >= 400 come back as errors carrying the
  // server's code and message.
  Result<ArmResponse> Send(std::string_view method, std::string_view path, std::string_view api_version,
                           const Json* body = nullptr);

  // A GET; a list answered in pages (nextLink) comes back whole.
  Result<Json> Get(std::string_view path, std::string_view api_version);
  static constexpr int kMaxListPages = 10000;

  // Polls an accepted long-running operation until it ends: Succeeded → ok; Failed/Canceled → the
  // operation's error; no end before the wait timeout → an error saying it continues in the background.
  Status Wait(const ArmResponse& accepted);

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  std::string AbsoluteUrl(std::string_view path_or_url, std::string_view api_version) const;

  Transport& transport_;
  const Clock& clock_;
  Sleeper& sleeper_;
  ArmClientOptions options_;
};

// Maps an HTTP error answer to an Error (ARM body if present, else a generic one naming the status).
Error ErrorFromResponse(int status, const std::string& body);

}  // namespace isthmus::cli
