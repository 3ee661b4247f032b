#include "mgmt/auth/principals.h"

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "base/secret.h"
#include "mgmt/model/resource_id.h"

namespace isthmus::mgmt::auth {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// az's generated secrets are 40 characters from this alphabet.
constexpr std::string_view kSecretAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-";
constexpr std::size_t kSecretLength = 40;

std::string Hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::vector<std::uint8_t> Unhex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  if (hex.size() % 2) return out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    for (char c : hex.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else
        return {};
    }
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

std::array<std::uint8_t, kHashBytes> HashSecret(std::string_view secret, std::span<const std::uint8_t> salt,
                                                int rounds) {
  std::array<std::uint8_t, kHashBytes> out{};
  PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), salt.data(),
                    static_cast<int>(salt.size()), rounds, EVP_sha256(), static_cast<int>(out.size()),
                    out.data());
  return out;
}

std::string IsoTime(std::chrono::system_clock::time_point t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// A scope path's segments as spelled, empty ones (doubled or trailing '/') dropped.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Scope paths as lowercase segment lists, for containment.
std::vector<std::string> LowerSegments(std::string_view path) {
  auto out = Segments(path);
  for (auto& s : out) s = ToLower(s);
  return out;
}

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool Allows(Role role, Access access) {
  switch (access) {
    case Access::kRead:
      return true;
    case Access::kWrite:
      return role != Role::kReader;
    case Access::kManagePrincipals:
      return role == Role::kOwner;
  }
  return false;
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kOwner:
      return "Owner";
    case Role::kContributor:
      return "Contributor";
    case Role::kReader:
      return "Reader";
  }
  return "Reader";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kOwner, Role::kContributor, Role::kReader}) {
    if (IEquals(name, RoleName(r))) return r;
  }
  return Fail(Error::Invalid("RoleDefinitionDoesNotExist",
                             fmt::format("The role '{}' does not exist; the roles are Owner, Contributor "
                                         "and Reader.",
                                         name),
                             "role"));
}

Result<std::string> ParseScope(std::string_view scope) {
  auto seg = LowerSegments(scope);
  auto bad = [&] {
    return Fail(Error::Invalid("InvalidScope",
                               fmt::format("The scope '{}' is not valid: use /subscriptions/{{id}} or "
                                           "/subscriptions/{{id}}/resourceGroups/{{name}}.",
                                           scope),
                               "scopes"));
  };
  if (scope == "/") return std::string("/");
  if (scope.empty() || scope[0] != '/' || seg.empty() || seg[0] != "subscriptions") return bad();
  if (seg.size() != 2 && seg.size() != 4) return bad();
  if (seg.size() == 4 && seg[2] != "resourcegroups") return bad();
  // Keep the user's spelling of names; normalize the fixed words.
  const auto kept = Segments(scope);
  std::string out = "/subscriptions/" + kept[1];
  if (kept.size() == 4) out += "/resourceGroups/" + kept[3];
  return out;
}

bool Permits(const std::vector<RoleAssignment>& roles, std::string_view path, Access access) {
  const auto target = LowerSegments(path);
  for (const auto& a : roles) {
    if (Allows(a.role, access) && IsPrefix(LowerSegments(a.scope), target)) return true;
  }
  return false;
}

bool Sees(const std::vector<RoleAssignment>& roles, std::string_view path) {
  const auto target = LowerSegments(path);
  for (const auto& a : roles) {
    const auto scope = LowerSegments(a.scope);
    if (IsPrefix(scope, target) || IsPrefix(target, scope)) return true;
  }
  return false;
}

Json Principal::ToJson() const {
  Json creds = Json::array();
  for (const auto& c : credentials) {
    creds.push_back(
        {{"keyId", c.key_id}, {"hint", c.hint}, {"startDateTime", c.start}, {"endDateTime", c.end}});
  }
  Json assignments = Json::array();
  for (const auto& r : roles) {
    assignments.push_back({{"id", r.id}, {"roleDefinitionName", RoleName(r.role)}, {"scope", r.scope}});
  }
  return {{"appId", app_id},
          {"id", object_id},
          {"displayName", display_name},
          {"appDisplayName", display_name},
          {"servicePrincipalType", "Application"},
          {"servicePrincipalNames", Json::array({app_id})},
          {"accountEnabled", true},
          {"createdDateTime", created},
          {"passwordCredentials", creds},
          {"roleAssignments", assignments}};
}

Result<std::unique_ptr<PrincipalDirectory>> PrincipalDirectory::Load(const std::vector<StoredRow>& rows,
                                                                     Commit commit, Rng& rng, Now now) {
  std::unique_ptr<PrincipalDirectory> d(new PrincipalDirectory(std::move(commit), rng, std::move(now)));
  for (const auto& row : rows) {
    if (row.kind != kRowKind) continue;
    auto e = FromRow(row);
    if (!e) return Fail(e.error());
    d->by_app_id_[ToLower(e->principal.app_id)] = std::move(*e);
  }
  return d;
}

Json PrincipalDirectory::ToRow(const Entry& e) {
  Json j = e.principal.ToJson();
  Json secrets = Json::array();
  for (const auto& s : e.secrets) {
    secrets.push_back({{"keyId", s.info.key_id},
                       {"hint", s.info.hint},
                       {"startDateTime", s.info.start},
                       {"endDateTime", s.info.end},
                       {"salt", s.salt},
                       {"hash", s.hash},
                       {"rounds", s.rounds}});
  }
  j["secrets"] = secrets;
  j.erase("passwordCredentials");
  return j;
}

Result<PrincipalDirectory::Entry> PrincipalDirectory::FromRow(const StoredRow& row) {
  Json j = Json::parse(row.body, nullptr, false);
  auto bad = [&] {
    return Fail(Error::Internal(fmt::format("store row '{}' is not a valid principal", row.key)));
  };
  if (!j.is_object() || !j.contains("appId") || !j["appId"].is_string()) return bad();
  Entry e;
  try {
    e.principal.app_id = j.at("appId").get<std::string>();
    e.principal.object_id = j.value("id", "");
    e.principal.display_name = j.value("displayName", "");
    e.principal.created = j.value("createdDateTime", "");
    for (const auto& r : j.value("roleAssignments", Json::array())) {
      auto role = ParseRole(r.value("roleDefinitionName", ""));
      if (!role) return bad();
      e.principal.roles.push_back({r.value("id", ""), *role, r.value("scope", "")});
    }
    for (const auto& s : j.value("secrets", Json::array())) {
      StoredCredential c;
      c.info = {s.value("keyId", ""), s.value("hint", ""), s.value("startDateTime", ""),
                s.value("endDateTime", "")};
      c.salt = s.value("salt", "");
      c.hash = s.value("hash", "");
      c.rounds = s.value("rounds", kHashRounds);
      if (Unhex(c.salt).size() != kSaltBytes || Unhex(c.hash).size() != kHashBytes || c.rounds < 1)
        return bad();
      e.principal.credentials.push_back(c.info);
      e.secrets.push_back(std::move(c));
    }
  } catch (const Json::exception&) {
    return bad();
  }
  return e;
}

Status PrincipalDirectory::Save(const Entry& e) {
  return commit_({{"sp:" + ToLower(e.principal.app_id), kRowKind, ToRow(e).dump()}});
}

const PrincipalDirectory::Entry* PrincipalDirectory::FindLocked(std::string_view id) const {
  if (auto it = by_app_id_.find(ToLower(id)); it != by_app_id_.end()) return &it->second;
  for (const auto& [k, e] : by_app_id_) {
    if (IEquals(e.principal.object_id, id) || IEquals(e.principal.display_name, id)) return &e;
  }
  return nullptr;
}

Result<std::string> PrincipalDirectory::NewSecret(Entry& e, int years, bool append) {
  if (years < 1 || years > 100) {
    return Fail(
        Error::Invalid("InvalidYears", fmt::format("--years must be 1 to 100, not {}.", years), "years"));
  }
  std::string secret(kSecretLength, ' ');
  std::array<std::uint8_t, kSecretLength> raw{};
  rng_.Fill(raw);
  for (std::size_t i = 0; i < kSecretLength; ++i)
    secret[i] = kSecretAlphabet[raw[i] % kSecretAlphabet.size()];
  SecureWipe(raw.data(), raw.size());
  std::array<std::uint8_t, kSaltBytes> salt{};
  rng_.Fill(salt);
  const auto now = now_();
  StoredCredential c;
  c.info.key_id = NewGuid(rng_);
  c.info.hint = secret.substr(0, 3);
  c.info.start = IsoTime(now);
  c.info.end = IsoTime(now + std::chrono::hours(24 * 365) * years);
  c.salt = Hex(salt);
  c.hash = Hex(HashSecret(secret, salt, kHashRounds));
  if (!append) e.secrets.clear();
  e.secrets.push_back(c);
  e.principal.credentials.clear();
  for (const auto& s : e.secrets) e.principal.credentials.push_back(s.info);
  return secret;
}

Result<IssuedSecret> PrincipalDirectory::CreateOrPatch(const PrincipalRequest& request) {
  if (request.display_name.empty() || request.display_name.size() > 120) {
    return Fail(
        Error::Invalid("InvalidDisplayName", "The display name must be 1 to 120 characters.", "name"));
  }
  std::lock_guard lock(mu_);
  Entry e;
  bool patch = false;
  if (const Entry* found = FindLocked(request.display_name);
      found && IEquals(found->principal.display_name, request.display_name)) {
    e = *found;
    patch = true;
  } else {
    e.principal.app_id = NewGuid(rng_);
    e.principal.object_id = NewGuid(rng_);
    e.principal.display_name = request.display_name;
    e.principal.created = IsoTime(now_());
  }
  for (auto r : request.roles) {
    auto scope = ParseScope(r.scope);
    if (!scope) return Fail(scope.error());
    r.scope = *scope;
    bool have = std::any_of(e.principal.roles.begin(), e.principal.roles.end(), [&](const RoleAssignment& x) {
      return x.role == r.role && IEquals(x.scope, r.scope);
    });
    if (have) continue;
    if (r.id.empty()) r.id = NewGuid(rng_);
    e.principal.roles.push_back(r);
  }
  auto secret = NewSecret(e, request.years, false);
  if (!secret) return Fail(secret.error());
  if (auto s = Save(e); !s) return Fail(s.error());
  spdlog::info("{} service principal '{}' (appId {})", patch ? "patched" : "created",
               e.principal.display_name, e.principal.app_id);
  by_app_id_[ToLower(e.principal.app_id)] = e;
  return IssuedSecret{e.principal, std::move(*secret)};
}

Result<IssuedSecret> PrincipalDirectory::ResetCredential(std::string_view id, bool append, int years) {
  std::lock_guard lock(mu_);
  const Entry* found = FindLocked(id);
  if (!found)
    return Fail(Error::NotFound("PrincipalNotFound", fmt::format("No service principal '{}'.", id)));
  Entry e = *found;
  auto secret = NewSecret(e, years, append);
  if (!secret) return Fail(secret.error());
  if (auto s = Save(e); !s) return Fail(s.error());
  spdlog::info("new secret for service principal '{}' (appId {})", e.principal.display_name,
               e.principal.app_id);
  by_app_id_[ToLower(e.principal.app_id)] = e;
  return IssuedSecret{e.principal, std::move(*secret)};
}

Status PrincipalDirectory::Delete(std::string_view id) {
  std::lock_guard lock(mu_);
  const Entry* found = FindLocked(id);
  if (!found)
    return Fail(Error::NotFound("PrincipalNotFound", fmt::format("No service principal '{}'.", id)));
  const std::string key = ToLower(found->principal.app_id);
  if (auto s = commit_({{"sp:" + key, kRowKind, std::nullopt}}); !s) return s;
  spdlog::info("deleted service principal '{}' (appId {})", found->principal.display_name,
               found->principal.app_id);
  by_app_id_.erase(key);
  return {};
}

std::vector<Principal> PrincipalDirectory::List() const {
  std::lock_guard lock(mu_);
  std::vector<Principal> out;
  for (const auto& [k, e] : by_app_id_) out.push_back(e.principal);
  return out;
}

Result<Principal> PrincipalDirectory::Find(std::string_view id) const {
  std::lock_guard lock(mu_);
  const Entry* found = FindLocked(id);
  if (!found)
    return Fail(Error::NotFound("PrincipalNotFound", fmt::format("No service principal '{}'.", id)));
  return found->principal;
}

std::optional<Principal> PrincipalDirectory::Authenticate(std::string_view client_id,
                                                          std::string_view secret) const {
  // A fixed salt for unknown clients: the hash is computed as for a real one, and never matches.
  static constexpr std::array<std::uint8_t, kSaltBytes> kNoSalt{};
  Entry e;
  {
    std::lock_guard lock(mu_);
    if (auto it = by_app_id_.find(ToLower(client_id)); it != by_app_id_.end()) e = it->second;
  }
  const std::string now = IsoTime(now_());
  bool ok = false;
  if (e.secrets.empty()) {
    (void)HashSecret(secret, kNoSalt, kHashRounds);
    return std::nullopt;
  }
  for (const auto& c : e.secrets) {
    auto salt = Unhex(c.salt);
    auto want = Unhex(c.hash);
    auto got = HashSecret(secret, salt, c.rounds);
    // ISO 8601 UTC strings of one format order as times do.
    if (CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0 && c.info.start <= now && now < c.info.end)
      ok = true;
  }
  if (!ok) return std::nullopt;
  return e.principal;
}

}  // namespace isthmus::mgmt::auth
