// Realizer: what makes desired resources exist on hosts. The reconciler calls it; the single-host
// fabric (a later issue) implements it with namespaces and isthmus-gateway processes, and a
// multi-host agent would implement it per host.
#pragma once

#include <optional>

#include "base/result.h"
#include "mgmt/model/state.h"
#include "mgmt/service/resource_service.h"

namespace isthmus::mgmt {

class Realizer {
 public:
  virtual ~Realizer() = default;
  // Makes the observed state of `r` equal its desired document. Idempotent: it may be called again
  // for a resource that is already realized (after a restart, say).
  virtual Status Apply(const Resource& r) = 0;
  // Removes everything `r` made. Idempotent.
  virtual Status Remove(const Resource& r) = 0;
  // Live status of a realized connection; nullopt when nothing is observed (status stays as is).
  virtual std::optional<ConnectionObservation> Observe(const Resource& connection) = 0;
};

// The management plane alone, with no fabric: resources are stored and go through ARM's provisioning
// lifecycle, but nothing is realized, so connections report "Unknown" status.
class StoreOnlyRealizer final : public Realizer {
 public:
  Status Apply(const Resource&) override { return {}; }
  Status Remove(const Resource&) override { return {}; }
  std::optional<ConnectionObservation> Observe(const Resource&) override { return std::nullopt; }
};

}  // namespace isthmus::mgmt
