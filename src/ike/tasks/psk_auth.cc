#include "ike/tasks/psk_auth.h"

#include <cstring>

#include "crypto/prf.h"

namespace isthmus::ike::tasks {

Result<SecretBytes> PskAuthData(const sa::IkeSa& sa, bool of_initiator, const wire::IdPayload& id,
                                const SecretBytes& psk) {
  if (!sa.suite || !sa.keys) return Fail(Error::Internal("AUTH before keys"));
  auto prf = crypto::Prf::Create(sa.suite->prf);
  if (!prf) return Fail(prf.error());
  const SecretBytes& sk_p = of_initiator ? sa.keys->sk_pi : sa.keys->sk_pr;
  const wire::Bytes id_body = id.Body();
  auto maced_id = (*prf)->Compute(sk_p.view(), id_body);
  if (!maced_id) return Fail(maced_id.error());
  const wire::Bytes& message = of_initiator ? sa.init_request : sa.init_response;
  const wire::Bytes& nonce = of_initiator ? sa.nr : sa.ni;
  const auto* pad = reinterpret_cast<const std::uint8_t*>(kKeyPad);
  auto key = (*prf)->Compute(psk.view(), crypto::ConstBytes(pad, std::strlen(kKeyPad)));
  if (!key) return Fail(key.error());
  return (*prf)->Compute(key->view(),
                         {crypto::ConstBytes(message), crypto::ConstBytes(nonce), maced_id->view()});
}

bool VerifyPskAuth(const sa::IkeSa& sa, bool of_initiator, const wire::IdPayload& id, const SecretBytes& psk,
                   const wire::AuthPayload& auth) {
  if (auth.method != wire::AuthMethod::kSharedKeyMic) return false;
  auto expected = PskAuthData(sa, of_initiator, id, psk);
  if (!expected) return false;
  return *expected == SecretBytes(std::span<const std::uint8_t>(auth.data));
}

}  // namespace isthmus::ike::tasks
