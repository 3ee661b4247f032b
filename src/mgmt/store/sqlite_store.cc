#include "mgmt/store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sqlite3.h>

namespace isthmus::mgmt {
namespace {

constexpr int kSchemaVersion = 1;

Error DbError(sqlite3* db, const char* what) {
  return {ErrorKind::kInternal, "StoreError", fmt::format("store: {}: {}", what, sqlite3_errmsg(db)), {}};
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// The store holds shared keys: it is made (or, from an older isthmusd, narrowed to) mode 0600 before
// SQLite opens it. SQLite gives its -wal and -shm files the main file's mode; older ones are narrowed too.
Status RestrictMode(const std::string& path) {
  if (path == ":memory:" || path.starts_with("file:")) return {};
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return Fail(Error{ErrorKind::kUnavailable,
                      "StoreError",
                      fmt::format("store: cannot create {} with mode 0600: {}", path, std::strerror(err)),
                      {}});
  }
  ::close(fd);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string side = path + suffix;
    if (::chmod(side.c_str(), 0600) != 0 && errno != ENOENT) {
      return Fail(Error{ErrorKind::kUnavailable,
                        "StoreError",
                        fmt::format("store: cannot set mode 0600 on {}: {}", side, std::strerror(errno)),
                        {}});
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (auto s = RestrictMode(path); !s) return Fail(s.error());
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e{ErrorKind::kUnavailable,
            "StoreError",
            fmt::format("store: cannot open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"),
            {}};
    sqlite3_close(db);
    return Fail(std::move(e));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_busy_timeout(db, 5000);
  // WAL + synchronous=FULL: a commit is on disk (fsync of the WAL) before sqlite3_step returns, and a
  // crash at any point rolls back to the last complete transaction.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                          "CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
                          "body TEXT NOT NULL) WITHOUT ROWID",
                          "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"}) {
    if (auto s = store->Exec(sql); !s) return Fail(s.error());
  }
  if (auto s = store->Exec(
          fmt::format("INSERT OR IGNORE INTO meta VALUES ('schema', '{}')", kSchemaVersion).c_str());
      !s) {
    return Fail(s.error());
  }
  return store;
}

SqliteStore::~SqliteStore() {
  sqlite3_close(db_);
}

Status SqliteStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    Error e{ErrorKind::kInternal, "StoreError", fmt::format("store: {}", err ? err : "error"), {}};
    sqlite3_free(err);
    return Fail(std::move(e));
  }
  return {};
}

Result<std::vector<StoredRow>> SqliteStore::LoadAll() {
  Stmt st;
  if (sqlite3_prepare_v2(db_, "SELECT key, kind, body FROM rows ORDER BY key", -1, &st.s, nullptr) !=
      SQLITE_OK) {
    return Fail(DbError(db_, "load"));
  }
  std::vector<StoredRow> rows;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    auto col = [&](int i) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.s, i)));
    };
    rows.push_back({col(0), col(1), col(2)});
  }
  if (rc != SQLITE_DONE) return Fail(DbError(db_, "load"));
  return rows;
}

Status SqliteStore::Commit(const std::vector<RowChange>& changes) {
  if (changes.empty()) return {};
  if (auto s = Exec("BEGIN IMMEDIATE"); !s) return s;
  Stmt put, del;
  bool ok = sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO rows (key, kind, body) VALUES (?, ?, ?)", -1,
                               &put.s, nullptr) == SQLITE_OK &&
            sqlite3_prepare_v2(db_, "DELETE FROM rows WHERE key = ?", -1, &del.s, nullptr) == SQLITE_OK;
  for (const auto& c : changes) {
    if (!ok) break;
    sqlite3_stmt* s = c.body ? put.s : del.s;
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, c.key.c_str(), -1, SQLITE_TRANSIENT);
    if (c.body) {
      sqlite3_bind_text(s, 2, c.kind.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(s, 3, c.body->c_str(), -1, SQLITE_TRANSIENT);
    }
    ok = sqlite3_step(s) == SQLITE_DONE;
  }
  if (!ok) {
    Error e = DbError(db_, "commit");
    (void)Exec("ROLLBACK");
    return Fail(std::move(e));
  }
  if (auto s = Exec("COMMIT"); !s) {
    // A failed COMMIT (disk full, I/O error) can leave the transaction open; end it so the next
    // request starts clean instead of failing on BEGIN forever.
    (void)Exec("ROLLBACK");
    return s;
  }
  return {};
}

}  // namespace isthmus::mgmt
