// FabricAdmin: what the REST layer may ask of the host's fabric (`isthmus fabric status|cleanup|
// resume`). isthmusd implements it over the single-host fabric; without a fabric the routes answer a
// clear error.
#pragma once

#include "base/result.h"
#include "mgmt/model/state.h"

namespace isthmus::mgmt {

class FabricAdmin {
 public:
  virtual ~FabricAdmin() = default;
  virtual Result<Json> Status() = 0;
  virtual Result<Json> Cleanup() = 0;
  virtual Result<Json> Resume() = 0;
};

}  // namespace isthmus::mgmt
