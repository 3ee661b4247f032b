#include "mgmt/rest/api_versions.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "mgmt/model/resource_id.h"

namespace isthmus::mgmt {
namespace {

// Microsoft.Network from 2018-11-01 (the hybrid profile's) to 2026-01-01 (@azure/arm-network 39.0.0).
constexpr std::string_view kNetwork[] = {
    "2018-11-01", "2018-12-01", "2019-02-01", "2019-04-01", "2019-06-01", "2019-07-01", "2019-08-01",
    "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01", "2020-04-01", "2020-05-01", "2020-06-01",
    "2020-07-01", "2020-08-01", "2020-11-01", "2021-02-01", "2021-03-01", "2021-05-01", "2021-08-01",
    "2022-01-01", "2022-05-01", "2022-07-01", "2022-09-01", "2022-11-01", "2023-02-01", "2023-04-01",
    "2023-05-01", "2023-06-01", "2023-09-01", "2023-11-01", "2024-01-01", "2024-03-01", "2024-05-01",
    "2024-07-01", "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01", "2025-07-01", "2026-01-01"};
// az 2.4x-2.6x and current SDKs for virtualMachines.
constexpr std::string_view kCompute[] = {"2020-06-01", "2021-03-01", "2021-07-01", "2021-11-01", "2022-03-01",
                                         "2022-08-01", "2022-11-01", "2023-03-01", "2023-07-01", "2023-09-01",
                                         "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01"};
// Microsoft.Resources: the hybrid profile sends 2019-10-01, az's latest 2021-04-01 or 2022-09-01,
// @azure/arm-resources 6.1.0 2025-03-01 (6.x later 2025-04-01).
constexpr std::string_view kResources[] = {
    "2016-09-01", "2017-05-10", "2018-02-01", "2018-05-01", "2019-03-01", "2019-05-01",
    "2019-05-10", "2019-07-01", "2019-08-01", "2019-10-01", "2020-06-01", "2020-08-01",
    "2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01",
    "2024-07-01", "2024-11-01", "2025-01-01", "2025-03-01", "2025-04-01"};
// The subscription API (az login lists subscriptions at 2019-11-01; arm-resources-subscriptions at
// 2022-12-01); ARM also accepts the resources versions on these paths.
constexpr std::string_view kSubscriptionsOwn[] = {"2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01",
                                                  "2020-01-01", "2021-01-01", "2022-01-01", "2022-12-01"};
constexpr std::string_view kMetadata[] = {"2015-01-01", "2019-05-01", "2020-06-01", "2022-09-01"};

std::vector<std::string_view> Merge(std::initializer_list<std::span<const std::string_view>> lists) {
  std::vector<std::string_view> out;
  for (auto l : lists) out.insert(out.end(), l.begin(), l.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::string_view ApiFamilyName(ApiFamily f) {
  switch (f) {
    case ApiFamily::kNetwork:
      return "Microsoft.Network";
    case ApiFamily::kCompute:
      return "Microsoft.Compute";
    case ApiFamily::kResources:
      return "Microsoft.Resources";
    case ApiFamily::kSubscriptions:
      return "Microsoft.Resources/subscriptions";
    case ApiFamily::kMetadata:
      return "metadata";
    case ApiFamily::kIsthmus:
      return "Isthmus";
  }
  return "";
}

std::span<const std::string_view> SupportedApiVersions(ApiFamily f) {
  static const std::vector<std::string_view> subscriptions = Merge({kSubscriptionsOwn, kResources});
  static const std::vector<std::string_view> any = Merge({kNetwork, kCompute, kResources, kSubscriptionsOwn});
  switch (f) {
    case ApiFamily::kNetwork:
      return kNetwork;
    case ApiFamily::kCompute:
      return kCompute;
    case ApiFamily::kResources:
      return kResources;
    case ApiFamily::kSubscriptions:
      return subscriptions;
    case ApiFamily::kMetadata:
      return kMetadata;
    case ApiFamily::kIsthmus:
      return any;
  }
  return {};
}

ApiFamily ApiFamilyOf(const std::vector<std::string>& seg) {
  if (seg.empty()) return ApiFamily::kSubscriptions;
  if (IEquals(seg[0], "metadata")) return ApiFamily::kMetadata;
  if (IEquals(seg[0], "tenants")) return ApiFamily::kSubscriptions;
  // The provider namespace decides: /providers/{ns}/…, /subscriptions/{s}/providers/{ns}/…, or
  // /subscriptions/{s}/resourceGroups/{g}/providers/{ns}/….
  std::size_t p = 0;
  while (p < seg.size() && !IEquals(seg[p], "providers")) ++p;
  // A provider's registration document: clients send the providers API's versions; the namespace's own
  // are accepted too, as the path names it.
  if (p + 2 == seg.size()) return ApiFamily::kIsthmus;
  if (p + 1 < seg.size()) {
    const std::string& ns = seg[p + 1];
    // Operation status URLs are ARM's to write and clients' to follow: they carry the version of the
    // request that started the operation (a resource group's delete polls under Microsoft.Network).
    if (p + 2 < seg.size() && IEquals(seg[p + 2], "locations")) return ApiFamily::kIsthmus;
    if (IEquals(ns, "Microsoft.Network")) return ApiFamily::kNetwork;
    if (IEquals(ns, "Microsoft.Compute")) return ApiFamily::kCompute;
    if (IEquals(ns, "Microsoft.Resources")) return ApiFamily::kResources;
    if (ns.size() >= 8 && IEquals(std::string_view(ns).substr(0, 8), "Isthmus.")) return ApiFamily::kIsthmus;
    return ApiFamily::kIsthmus;  // a namespace Isthmus does not serve: routing answers 404
  }
  if (p < seg.size()) return ApiFamily::kResources;  // /providers, /subscriptions/{s}/providers
  if (IEquals(seg[0], "subscriptions") && (seg.size() <= 2 || IEquals(seg[2], "locations"))) {
    return ApiFamily::kSubscriptions;
  }
  return ApiFamily::kResources;  // resource groups
}

Status CheckApiVersion(ApiFamily family, const std::optional<std::string>& version) {
  if (!version || version->empty()) {
    return Fail(
        Error::Invalid("MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests."));
  }
  auto versions = SupportedApiVersions(family);
  if (std::find(versions.begin(), versions.end(), *version) != versions.end()) return {};
  std::vector<std::string_view> newest_first(versions.rbegin(), versions.rend());
  return Fail(
      Error::Invalid("InvalidApiVersionParameter",
                     fmt::format("The api-version '{}' is invalid. The supported versions for {} are '{}'.",
                                 *version, ApiFamilyName(family), fmt::join(newest_first, ","))));
}

}  // namespace isthmus::mgmt
