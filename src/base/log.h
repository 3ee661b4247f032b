// Logging: spdlog behind one function so every module logs the same way. Never pass a secret.
#pragma once

#include <spdlog/spdlog.h>

namespace isthmus::log {

// Sets up the process-wide logger: "isthmusd", "isthmus-gateway", ... ; level from ISTHMUS_LOG or "info".
void Init(const char* process_name);

}  // namespace isthmus::log
