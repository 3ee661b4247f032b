// The IKEv2 message codec (RFC 7296 §3): include this to parse, verify and build messages.
#pragma once

#include "ike/wire/bytes.h"           // IWYU pragma: export
#include "ike/wire/error.h"           // IWYU pragma: export
#include "ike/wire/exchange_rules.h"  // IWYU pragma: export
#include "ike/wire/header.h"          // IWYU pragma: export
#include "ike/wire/message.h"         // IWYU pragma: export
#include "ike/wire/payload.h"         // IWYU pragma: export
#include "ike/wire/types.h"           // IWYU pragma: export
