#include "cli/resource_id.h"

#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "cli/errors.h"

namespace isthmus::cli {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool LooksLikeResourceId(std::string_view v) {
  return v.size() > 15 && EqualsIgnoreCase(v.substr(0, 15), "/subscriptions/");
}

Result<ResourceId> ParseResourceId(std::string_view id) {
  std::vector<std::string> seg;
  std::size_t pos = 0;
  while (pos < id.size()) {
    if (id[pos] == '/') {
      ++pos;
      continue;
    }
    std::size_t end = id.find('/', pos);
    if (end == std::string_view::npos) end = id.size();
    seg.emplace_back(id.substr(pos, end - pos));
    pos = end;
  }
  auto bad = [&] { return Fail(UsageError(fmt::format("'{}' is not a valid resource ID", id))); };
  if (seg.size() < 2 || !EqualsIgnoreCase(seg[0], "subscriptions")) return bad();
  ResourceId r;
  r.subscription = seg[1];
  if (seg.size() == 2) return r;
  if (seg.size() < 4 || !EqualsIgnoreCase(seg[2], "resourceGroups")) return bad();
  r.resource_group = seg[3];
  if (seg.size() == 4) return r;
  if (seg.size() != 8 && seg.size() != 10) return bad();
  if (!EqualsIgnoreCase(seg[4], "providers")) return bad();
  r.provider = seg[5];
  r.type = seg[6];
  r.name = seg[7];
  if (seg.size() == 10) {
    r.child_type = seg[8];
    r.child_name = seg[9];
  }
  return r;
}

std::string EncodeSegment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '(' || c == ')') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string SubscriptionPath(std::string_view sub) {
  return fmt::format("/subscriptions/{}", EncodeSegment(sub));
}

std::string GroupPath(std::string_view sub, std::string_view rg) {
  return fmt::format("/subscriptions/{}/resourceGroups/{}", EncodeSegment(sub), EncodeSegment(rg));
}

std::string NetworkPath(std::string_view sub, std::string_view rg, std::string_view type,
                        std::string_view name) {
  return ProviderPath(sub, rg, "Microsoft.Network", type, name);
}

std::string ProviderPath(std::string_view sub, std::string_view rg, std::string_view provider,
                         std::string_view type, std::string_view name) {
  std::string p = fmt::format("{}/providers/{}/{}", GroupPath(sub, rg), provider, type);
  if (!name.empty()) p += "/" + EncodeSegment(name);
  return p;
}

Result<std::string> ResolveNameOrId(std::string_view value, std::string_view sub, std::string_view rg,
                                    std::string_view type, std::string_view flag) {
  if (!LooksLikeResourceId(value)) {
    if (value.find('/') != std::string_view::npos) {
      return Fail(
          UsageError(fmt::format("argument {}: '{}' is neither a name nor a resource ID", flag, value)));
    }
    return NetworkPath(sub, rg, type, value);
  }
  auto id = ParseResourceId(value);
  if (!id || !EqualsIgnoreCase(id->provider, "Microsoft.Network") || !EqualsIgnoreCase(id->type, type) ||
      !id->child_type.empty()) {
    return Fail(UsageError(fmt::format("argument {}: '{}' is not the ID of a Microsoft.Network/{} resource",
                                       flag, value, type)));
  }
  return std::string(value);
}

}  // namespace isthmus::cli
