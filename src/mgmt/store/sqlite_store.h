// SQLite implementation of Store: one file, WAL journal, synchronous=FULL, one transaction per commit.
#pragma once

#include <memory>
#include <string>

#include "mgmt/store/store.h"

struct sqlite3;

namespace isthmus::mgmt {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::vector<StoredRow>> LoadAll() override;
  Status Commit(const std::vector<RowChange>& changes) override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  sqlite3* db_;
};

}  // namespace isthmus::mgmt
