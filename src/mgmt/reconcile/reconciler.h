// Reconciler: level-triggered loop that drives every pending resource (provisioningState Updating or
// Deleting) to its goal through a Realizer and writes the outcome back. It keeps no state of its own
// beyond what it reads each pass, so a restart simply resumes (DESIGN.md §2).
#pragma once

#include <atomic>
#include <thread>

#include "mgmt/reconcile/realizer.h"
#include "mgmt/service/resource_service.h"

namespace isthmus::mgmt {

class Reconciler {
 public:
  Reconciler(ResourceService& service, Realizer& realizer) : service_(service), realizer_(realizer) {}
  ~Reconciler() { Stop(); }

  // One pass: returns how many resources it moved forward. Deterministic; what tests call.
  int RunOnce();

  void Start();  // a background thread that runs a pass after each change (and periodically)
  void Stop();

 private:
  ResourceService& service_;
  Realizer& realizer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace isthmus::mgmt
