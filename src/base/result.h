// Result<T>: the control and management planes' error channel (STYLE.md "Errors").
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace isthmus {

// Broad classes of failure. Each plane maps them to its own vocabulary (HTTP status, IKE NOTIFY, ...).
enum class ErrorKind {
  kInvalidArgument,  // the caller's input is malformed or breaks a rule
  kNotFound,
  kConflict,            // the request contradicts existing state (in use, overlapping, duplicate)
  kPreconditionFailed,  // an optimistic-concurrency check (ETag) failed
  kUnauthorized,        // who is asking is not known (HTTP 401)
  kForbidden,           // who is asking may not do this (HTTP 403)
  kTooLarge,
  kUnavailable,  // a transient condition: retry may succeed
  kInternal,
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;     // a stable machine-readable code, e.g. "InvalidAddressPrefixFormat"
  std::string message;  // for humans; names what is wrong; never contains a secret
  std::string target;   // optional: which field or resource the error is about

  static Error Invalid(std::string code, std::string message, std::string target = {}) {
    return {ErrorKind::kInvalidArgument, std::move(code), std::move(message), std::move(target)};
  }
  static Error NotFound(std::string code, std::string message, std::string target = {}) {
    return {ErrorKind::kNotFound, std::move(code), std::move(message), std::move(target)};
  }
  static Error Conflict(std::string code, std::string message, std::string target = {}) {
    return {ErrorKind::kConflict, std::move(code), std::move(message), std::move(target)};
  }
  static Error Unavailable(std::string code, std::string message, std::string target = {}) {
    return {ErrorKind::kUnavailable, std::move(code), std::move(message), std::move(target)};
  }
  static Error Internal(std::string message) {
    return {ErrorKind::kInternal, "InternalServerError", std::move(message), {}};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}

}  // namespace isthmus
