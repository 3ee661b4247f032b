// Pre-shared key authentication (RFC 7296 §2.15):
//   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets> )
//   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI,  MACedIDForI = prf(SK_pi,
//   RestOfInitIDPayload) ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR,  MACedIDForR =
//   prf(SK_pr, RestOfRespIDPayload)
// RestOfXIDPayload is "ID Type | RESERVED | Identification Data" (wire::IdPayload::Body()).
#pragma once

#include "base/result.h"
#include "base/secret.h"
#include "ike/sa/ike_sa.h"
#include "ike/wire/wire.h"

namespace isthmus::ike::tasks {

// §2.15: the pad string, 17 ASCII octets without a terminator.
inline constexpr char kKeyPad[] = "Key Pad for IKEv2";

// The AUTH data the original initiator (`of_initiator`) or responder of `sa` must send for `id`.
Result<SecretBytes> PskAuthData(const sa::IkeSa& sa, bool of_initiator, const wire::IdPayload& id,
                                const SecretBytes& psk);

// Constant-time comparison of the received AUTH with the expected value.
bool VerifyPskAuth(const sa::IkeSa& sa, bool of_initiator, const wire::IdPayload& id, const SecretBytes& psk,
                   const wire::AuthPayload& auth);

}  // namespace isthmus::ike::tasks
