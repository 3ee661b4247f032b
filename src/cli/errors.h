// How CLI failures are classified, because the class decides the exit code (as in az):
// the user typed something wrong → 2; the server or the connection failed → 1.
#pragma once

#include <string>

#include "base/result.h"

namespace isthmus::cli {

// Error::code values produced by the CLI itself (az's error class names, so they read familiarly).
inline constexpr char kUsageErrorCode[] = "ArgumentUsageError";
inline constexpr char kConnectionErrorCode[] = "ClientConnectionError";
inline constexpr char kClientErrorCode[] = "ClientError";  // local trouble: token file, config file

inline Error UsageError(std::string message) {
  return Error::Invalid(kUsageErrorCode, std::move(message));
}
inline Error ClientError(std::string message) {
  return {ErrorKind::kUnavailable, kClientErrorCode, std::move(message), {}};
}

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

inline bool IsUsageError(const Error& e) {
  return e.code == kUsageErrorCode;
}

}  // namespace isthmus::cli
