#include "cli/settings.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/errors.h"
#include "cli/json.h"

namespace isthmus::cli {

namespace fs = std::filesystem;

Settings Settings::FromEnvironment(const std::function<const char*(const char*)>& getenv) {
  Settings s;
  auto get = [&](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  if (auto v = get("ISTHMUS_ENDPOINT")) {
    s.endpoint = *v;
    while (s.endpoint.size() > 1 && s.endpoint.back() == '/') s.endpoint.pop_back();
  }
  s.token = get("ISTHMUS_TOKEN");
  if (auto v = get("ISTHMUS_STATE_DIR")) s.state_dir = *v;
  if (auto v = get("ISTHMUS_CA_BUNDLE")) {
    s.ca_bundle = *v;
  } else {
    std::error_code ec;
    const std::string own = s.state_dir + "/tls/ca.pem";
    if (fs::exists(own, ec)) s.ca_bundle = own;
  }
  if (auto v = get("ISTHMUS_CONFIG_DIR")) {
    s.config_dir = *v;
  } else if (auto home = get("HOME")) {
    s.config_dir = *home + "/.isthmus";
  } else {
    s.config_dir = ".isthmus";
  }
  if (auto v = get("ISTHMUS_WAIT_TIMEOUT")) {
    try {
      s.wait_timeout = std::chrono::seconds(std::stol(*v));
    } catch (const std::exception&) {
      // A malformed override keeps the default rather than making every command fail.
    }
  }
  std::error_code ec;
  s.working_dir = fs::current_path(ec).string();
  return s;
}

std::map<std::string, std::string> Settings::IsthmusVariables(char** environment) {
  std::map<std::string, std::string> out;
  for (char** e = environment; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && entry.starts_with("ISTHMUS_"))
      out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

Result<std::string> LoadToken(const Settings& s) {
  if (s.token) return *s.token;
  const std::string path = s.state_dir + "/token";
  std::ifstream in(path);
  if (!in) {
    return Fail(
        ClientError(fmt::format("cannot read the isthmusd token from {}: {}; set ISTHMUS_TOKEN, or "
                                "ISTHMUS_STATE_DIR to isthmusd's --state-dir",
                                path, std::strerror(errno))));
  }
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return Fail(ClientError(fmt::format("the token file {} is empty", path)));
  return token;
}

Result<std::optional<std::string>> LoadSelectedSubscription(const Settings& s) {
  const std::string path = s.config_dir + "/config.json";
  std::ifstream in(path);
  if (!in) return std::optional<std::string>{};  // nothing selected yet
  std::stringstream buf;
  buf << in.rdbuf();
  auto j = Json::parse(buf.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ClientError(fmt::format("{} is not valid JSON; fix or delete it", path)));
  }
  auto it = j.find("subscription");
  if (it == j.end() || !it->is_string()) return std::optional<std::string>{};
  return std::optional<std::string>(it->get<std::string>());
}

Status SaveSelectedSubscription(const Settings& s, const std::string& subscription_id) {
  std::error_code ec;
  fs::create_directories(s.config_dir, ec);
  if (ec) return Fail(ClientError(fmt::format("cannot create {}: {}", s.config_dir, ec.message())));
  fs::permissions(s.config_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  const std::string path = s.config_dir + "/config.json";
  Json j = Json::object();
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream buf;
      buf << in.rdbuf();
      auto old = Json::parse(buf.str(), nullptr, false);
      if (!old.is_discarded() && old.is_object()) j = old;  // keep settings other tools may add
    }
  }
  j["subscription"] = subscription_id;
  // Write-then-rename so a crash never leaves a truncated config behind.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Fail(ClientError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno))));
    out << j.dump(2) << "\n";
    if (!out) return Fail(ClientError(fmt::format("cannot write {}", tmp)));
  }
  fs::rename(tmp, path, ec);
  if (ec) return Fail(ClientError(fmt::format("cannot write {}: {}", path, ec.message())));
  return {};
}

}  // namespace isthmus::cli
