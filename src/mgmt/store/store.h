// The store: durable rows of (key, kind, body). An interface, because SQLite is only the embedded
// default; a multi-host deployment keeps the same rows in etcd (DESIGN.md §2 growth path).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace isthmus::mgmt {

struct StoredRow {
  std::string key;   // unique, e.g. a lowercased resource ID or "op:<guid>"
  std::string kind;  // "resource", "operation", "subscription"
  std::string body;  // JSON text
};

struct RowChange {
  std::string key;
  std::string kind;
  std::optional<std::string> body;  // empty: delete the row
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::vector<StoredRow>> LoadAll() = 0;
  // All changes or none; returns only once they are durable (they survive kill -9 and power loss).
  virtual Status Commit(const std::vector<RowChange>& changes) = 0;
};

}  // namespace isthmus::mgmt
