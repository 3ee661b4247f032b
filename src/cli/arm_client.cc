#include "cli/arm_client.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "cli/errors.h"

namespace isthmus::cli {

namespace {

// Implementation choices for polling: when the server gives no Retry-After we poll every second
// (isthmusd is on loopback and realizes gateways in seconds, unlike Azure's minutes); a Retry-After is
// honoured but never below 100 ms (a "0" must not become a busy loop) nor above 60 s.
constexpr Duration kDefaultPollInterval = std::chrono::seconds(1);
constexpr Duration kMinPollInterval = std::chrono::milliseconds(100);
constexpr Duration kMaxPollInterval = std::chrono::seconds(60);

ErrorKind KindForStatus(int status) {
  switch (status) {
    case 400:
      return ErrorKind::kInvalidArgument;
    case 401:
    case 403:
      return ErrorKind::kUnauthorized;
    case 404:
      return ErrorKind::kNotFound;
    case 409:
      return ErrorKind::kConflict;
    case 412:
      return ErrorKind::kPreconditionFailed;
    case 413:
      return ErrorKind::kTooLarge;
    case 503:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

std::optional<Duration> ParseRetryAfter(const std::string& v) {
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;  // HTTP-date form is not used by isthmusd; fall back to the default
  }
  long secs = 0;
  try {
    secs = std::stol(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return std::chrono::seconds(secs);
}

}  // namespace

void ThreadSleeper::Sleep(Duration d) {
  std::this_thread::sleep_for(d);
}

Error ErrorFromResponse(int status, const std::string& body) {
  auto j = Json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
    const Json& e = j["error"];
    Error err{KindForStatus(status), e.value("code", std::string("HttpError")),
              e.value("message", std::string()), e.value("target", std::string())};
    if (err.message.empty()) err.message = fmt::format("the server answered HTTP {}", status);
    return err;
  }
  return Error{KindForStatus(status),
               "HttpError",
               fmt::format("Operation returned an invalid status code {}", status),
               {}};
}

std::string ArmClient::AbsoluteUrl(std::string_view path_or_url, std::string_view api_version) const {
  std::string url = path_or_url.starts_with("http://") || path_or_url.starts_with("https://")
                        ? std::string(path_or_url)
                        : options_.endpoint + std::string(path_or_url);
  if (url.find("api-version=") == std::string::npos && !api_version.empty()) {
    url += (url.find('?') == std::string::npos ? "?" : "&");
    url += "api-version=" + std::string(api_version);
  }
  return url;
}

Result<ArmResponse> ArmClient::Send(std::string_view method, std::string_view path,
                                    std::string_view api_version, const Json* body) {
  HttpRequest req;
  req.method = std::string(method);
  req.url = AbsoluteUrl(path, api_version);
  req.headers.emplace_back("Authorization", "Bearer " + options_.token);
  req.headers.emplace_back("Accept", "application/json");
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  if (options_.debug) *options_.debug << fmt::format("DEBUG: Request: {} {}\n", req.method, req.url);
  auto res = transport_.Send(req);
  if (!res) return Fail(res.error());
  if (options_.debug) *options_.debug << fmt::format("DEBUG: Response status: {}\n", res->status);
  if (res->status >= 400) return Fail(ErrorFromResponse(res->status, res->body));
  if (options_.warnings) {
    // isthmusd sends accepted-but-noteworthy findings as `Warning: 299 - "text"` (RFC 7234 §5.5).
    for (const auto& [name, value] : res->headers) {
      if (name.size() < 7 || !std::equal(name.begin(), name.begin() + 7, "warning", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          })) {
        continue;
      }
      auto open = value.find('"'), close = value.rfind('"');
      std::string text =
          open != std::string::npos && close > open ? value.substr(open + 1, close - open - 1) : value;
      *options_.warnings << "WARNING: " << text << "\n";
    }
  }

  ArmResponse out;
  out.status = res->status;
  if (!res->body.empty()) {
    out.body = Json::parse(res->body, nullptr, false);
    if (out.body.is_discarded()) {
      return Fail(
          Error::Internal(fmt::format("isthmusd answered {} {} with a body that is not JSON", method, path)));
    }
  }
  if (auto a = res->Header("Azure-AsyncOperation"); !a.empty()) out.async_url = AbsoluteUrl(a, "");
  if (auto l = res->Header("Location"); !l.empty()) out.location = AbsoluteUrl(l, "");
  out.retry_after = ParseRetryAfter(res->Header("Retry-After"));
  return out;
}

Result<Json> ArmClient::Get(std::string_view path, std::string_view api_version) {
  auto r = Send("GET", path, api_version);
  if (!r) return Fail(r.error());
  Json body = std::move(r->body);
  // A list longer than a page continues at its nextLink; the pages are joined into one "value". The
  // bearer token goes only where the endpoint is (a nextLink elsewhere is refused, not followed).
  for (int pages = 1; body.is_object() && body.contains("nextLink") && body["value"].is_array(); ++pages) {
    if (!body["nextLink"].is_string() || body["nextLink"].get<std::string>().empty()) {
      body.erase("nextLink");
      break;
    }
    const std::string next = body["nextLink"].get<std::string>();
    if (!next.starts_with(options_.endpoint + "/")) {
      return Fail(Error::Internal(
          fmt::format("isthmusd answered GET {} with a nextLink to another server: {}", path, next)));
    }
    if (pages >= kMaxListPages) {
      return Fail(Error::Internal(fmt::format("GET {}: more than {} pages of results", path, kMaxListPages)));
    }
    auto more = Send("GET", next, "");
    if (!more) return Fail(more.error());
    if (!more->body.is_object() || !more->body.contains("value") || !more->body["value"].is_array()) {
      return Fail(
          Error::Internal(fmt::format("isthmusd answered a nextLink of GET {} without a list", path)));
    }
    for (auto& item : more->body["value"]) body["value"].push_back(std::move(item));
    if (more->body.contains("nextLink")) {
      body["nextLink"] = std::move(more->body["nextLink"]);
    } else {
      body.erase("nextLink");
    }
  }
  return body;
}

Status ArmClient::Wait(const ArmResponse& accepted) {
  const bool use_async = !accepted.async_url.empty();
  const std::string url = use_async ? accepted.async_url : accepted.location;
  if (url.empty()) return {};
  const TimePoint deadline = clock_.Now() + options_.wait_timeout;
  std::optional<Duration> retry_after = accepted.retry_after;
  while (true) {
    Duration delay =
        std::clamp(retry_after.value_or(kDefaultPollInterval), kMinPollInterval, kMaxPollInterval);
    if (clock_.Now() + delay > deadline) {
      return Fail(Error{
          ErrorKind::kUnavailable,
          "OperationTimedOut",
          fmt::format("the operation did not finish within {} s; it continues in the background "
                      "(poll {} or use `show`)",
                      std::chrono::duration_cast<std::chrono::seconds>(options_.wait_timeout).count(), url),
          {}});
    }
    sleeper_.Sleep(delay);
    auto r = Send("GET", url, "");
    if (!r) return Fail(r.error());
    retry_after = r->retry_after;
    if (!use_async) {
      if (r->status == 202) continue;
      return {};
    }
    std::string status = r->body.is_object() ? r->body.value("status", std::string()) : std::string();
    if (status == "Succeeded") return {};
    if (status == "Failed" || status == "Canceled") {
      const Json& e =
          r->body.contains("error") && r->body["error"].is_object() ? r->body["error"] : Json::object();
      return Fail(Error{ErrorKind::kInternal,
                        e.value("code", status == "Failed" ? "OperationFailed" : "Canceled"),
                        e.value("message", fmt::format("the operation ended with status {}", status)),
                        {}});
    }
    // InProgress (or anything not terminal): keep polling.
  }
}

}  // namespace isthmus::cli
