// Service principals: the identities Microsoft's SDKs and az sign in as (client id + secret), with the
// roles ARM grants them (Owner, Contributor, Reader) over a scope (the root, a subscription or a resource
// group). Secrets are stored only as salted PBKDF2 hashes; the cleartext exists once, in the answer to
// the call that made it. Rows live in the same store as resources (kind "principal").
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "mgmt/store/store.h"

namespace isthmus::mgmt::auth {

enum class Role { kOwner, kContributor, kReader };
std::string_view RoleName(Role r);
// "Owner", "Contributor", "Reader" (case-insensitive, as az accepts them); anything else is an error
// listing the roles.
Result<Role> ParseRole(std::string_view name);

struct RoleAssignment {
  std::string id;  // a GUID, as az prints role assignments
  Role role = Role::kReader;
  std::string scope;  // "/", "/subscriptions/{s}" or "/subscriptions/{s}/resourceGroups/{g}", as given
  bool operator==(const RoleAssignment&) const = default;
};

// A scope as users write it, checked and normalized ("/subscriptions/S/resourceGroups/G", no trailing
// slash). Anything deeper than a resource group, or not starting with /subscriptions, is an error.
Result<std::string> ParseScope(std::string_view scope);

enum class Access { kRead, kWrite, kManagePrincipals };

// Whether the assignments allow `access` on an ARM path ("/subscriptions/S/resourceGroups/G/..."):
// some assignment's scope contains the path and its role allows the access (Reader reads; Contributor
// reads and writes; Owner also manages principals). Paths compare case-insensitively, as ARM's do.
bool Permits(const std::vector<RoleAssignment>& roles, std::string_view path, Access access);
// Whether a principal may see anything under `path`: the path lies in a scope, or a scope lies under it
// (a group's reader sees its subscription and the group in lists).
bool Sees(const std::vector<RoleAssignment>& roles, std::string_view path);

struct CredentialInfo {  // what `ad sp credential list` shows: never the secret
  std::string key_id;
  std::string hint;  // the secret's first three characters, as Azure AD keeps them
  std::string start;
  std::string end;
};

struct Principal {
  std::string app_id;
  std::string object_id;
  std::string display_name;
  std::string created;
  std::vector<RoleAssignment> roles;
  std::vector<CredentialInfo> credentials;
  nlohmann::ordered_json ToJson() const;  // az's `ad sp show` shape, plus roleAssignments; no hashes
};

struct IssuedSecret {
  Principal principal;
  std::string secret;  // shown once
};

struct PrincipalRequest {
  std::string display_name;
  std::vector<RoleAssignment> roles;  // ids are filled in when empty
  int years = 1;                      // the credential's validity (az's --years, default 1)
};

class PrincipalDirectory {
 public:
  using Commit = std::function<Status(const std::vector<RowChange>&)>;
  using Now = std::function<std::chrono::system_clock::time_point()>;
  static constexpr const char* kRowKind = "principal";
  // PBKDF2-HMAC-SHA256 rounds (an implementation choice: the secrets are random 40-character strings,
  // so rounds only slow a stolen database's offline guessing; this costs a few ms per sign-in).
  static constexpr int kHashRounds = 20000;

  // `rows`: the store's rows of kind "principal"; bad rows are an error naming the row.
  static Result<std::unique_ptr<PrincipalDirectory>> Load(const std::vector<StoredRow>& rows, Commit commit,
                                                          Rng& rng, Now now);

  // az's create-for-rbac: a name that exists gets a new secret (replacing the old ones) and the new
  // role assignments added, as az patches an existing application of that display name.
  Result<IssuedSecret> CreateOrPatch(const PrincipalRequest& request);
  // az's `ad sp credential reset`: a new secret; `append` keeps the old ones valid.
  Result<IssuedSecret> ResetCredential(std::string_view id, bool append, int years);
  Status Delete(std::string_view id);
  std::vector<Principal> List() const;
  // By appId, objectId or display name (case-insensitive); NotFound names what was looked for.
  Result<Principal> Find(std::string_view id) const;
  // The principal whose unexpired secret this is. Takes the same time whether the client id is unknown
  // or the secret is wrong (a hash is computed either way), so responses reveal nothing.
  std::optional<Principal> Authenticate(std::string_view client_id, std::string_view secret) const;

 private:
  struct StoredCredential {
    CredentialInfo info;
    std::string salt;  // hex
    std::string hash;  // hex
    int rounds = kHashRounds;
  };
  struct Entry {
    Principal principal;
    std::vector<StoredCredential> secrets;
  };
  PrincipalDirectory(Commit commit, Rng& rng, Now now)
      : commit_(std::move(commit)), rng_(rng), now_(std::move(now)) {}
  static nlohmann::ordered_json ToRow(const Entry& e);
  static Result<Entry> FromRow(const StoredRow& row);
  const Entry* FindLocked(std::string_view id) const;
  Result<std::string> NewSecret(Entry& e, int years, bool append);
  Status Save(const Entry& e);

  Commit commit_;
  Rng& rng_;
  Now now_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> by_app_id_;  // lowercased appId
};

}  // namespace isthmus::mgmt::auth
