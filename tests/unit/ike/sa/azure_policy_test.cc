#include "ike/sa/azure_policy.h"

#include <gtest/gtest.h>

namespace isthmus::ike::sa {
namespace {

AzureIpsecPolicy Policy(std::string ipsec_enc, std::string ipsec_int, std::string ike_enc,
                        std::string ike_int, std::string dh, std::string pfs) {
  return {std::move(ipsec_enc), std::move(ipsec_int), std::move(ike_enc),
          std::move(ike_int),   std::move(dh),        std::move(pfs)};
}

std::string Ike(const AzureIpsecPolicy& p) {
  auto r = AzureIkeProposal(p);
  return r ? r->Describe() : "error: " + r.error().code + " " + r.error().target + ": " + r.error().message;
}
std::string Esp(const AzureIpsecPolicy& p) {
  auto r = AzureEspProposal(p);
  return r ? r->Describe() : "error: " + r.error().code + " " + r.error().target + ": " + r.error().message;
}

TEST(AzurePolicy, ClassicIkeUsesIkeIntegrityForIntegrityAndPrf) {
  auto p = Policy("AES256", "SHA256", "AES256", "SHA384", "DHGroup14", "None");
  EXPECT_EQ(Ike(p), "IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/MODP_2048");
  p.ike_integrity = "SHA256";
  p.ike_encryption = "AES128";
  p.dh_group = "DHGroup2";
  EXPECT_EQ(Ike(p), "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024");
  p.dh_group = "DHGroup2048";  // Azure's second name for group 14
  EXPECT_EQ(Ike(p), "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
}

TEST(AzurePolicy, GcmIkeUsesIkeIntegrityAsThePrf) {
  auto p = Policy("GCMAES256", "GCMAES256", "GCMAES256", "SHA384", "ECP384", "ECP384");
  EXPECT_EQ(Ike(p), "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384");
  p.ike_integrity = "SHA256";
  p.ike_encryption = "GCMAES128";
  p.dh_group = "ECP256";
  EXPECT_EQ(Ike(p), "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256");
  p.ike_integrity = "GCMAES128";
  EXPECT_EQ(Ike(p), "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256");
  p.ike_integrity = "GCMAES256";  // must match the encryption
  EXPECT_FALSE(AzureIkeProposal(p).has_value());
  EXPECT_EQ(AzureIkeProposal(p).error().target, "ikeIntegrity");
}

TEST(AzurePolicy, EspMapping) {
  auto p = Policy("GCMAES256", "GCMAES256", "AES256", "SHA256", "DHGroup14", "None");
  EXPECT_EQ(Esp(p), "ESP:AES_GCM_16_256/NO_EXT_SEQ");
  p.pfs_group = "PFS2048";
  EXPECT_EQ(Esp(p), "ESP:AES_GCM_16_256/MODP_2048/NO_EXT_SEQ");
  p.pfs_group = "PFS14";
  EXPECT_EQ(Esp(p), "ESP:AES_GCM_16_256/MODP_2048/NO_EXT_SEQ");
  p.pfs_group = "ECP384";
  EXPECT_EQ(Esp(p), "ESP:AES_GCM_16_256/ECP_384/NO_EXT_SEQ");
  p.pfs_group = "PFS2";
  EXPECT_EQ(Esp(p), "ESP:AES_GCM_16_256/MODP_1024/NO_EXT_SEQ");
  p = Policy("AES128", "SHA256", "AES256", "SHA256", "DHGroup14", "ECP256");
  EXPECT_EQ(Esp(p), "ESP:AES_CBC_128/HMAC_SHA2_256_128/ECP_256/NO_EXT_SEQ");
  p = Policy("gcmaes128", "gcmaes128", "aes256", "sha256", "dhgroup14", "none");  // case-insensitive
  EXPECT_EQ(Esp(p), "ESP:AES_GCM_16_128/NO_EXT_SEQ");
}

TEST(AzurePolicy, PairingRulesAndUnsupportedValues) {
  auto expect_error = [](Result<Proposal> r, std::string_view code, std::string_view target) {
    ASSERT_FALSE(r.has_value()) << r->Describe();
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_EQ(r.error().target, target) << r.error().message;
  };
  // GCM encryption needs the same GCM as integrity, and vice versa.
  expect_error(AzureEspProposal(Policy("GCMAES256", "SHA256", "AES256", "SHA256", "DHGroup14", "None")),
               "InvalidIpsecPolicy", "ipsecIntegrity");
  expect_error(AzureEspProposal(Policy("GCMAES256", "GCMAES128", "AES256", "SHA256", "DHGroup14", "None")),
               "InvalidIpsecPolicy", "ipsecIntegrity");
  expect_error(AzureEspProposal(Policy("AES256", "GCMAES256", "AES256", "SHA256", "DHGroup14", "None")),
               "InvalidIpsecPolicy", "ipsecIntegrity");
  expect_error(AzureIkeProposal(Policy("AES256", "SHA256", "AES256", "GCMAES256", "DHGroup14", "None")),
               "InvalidIpsecPolicy", "ikeIntegrity");
  // Real Azure values Isthmus does not implement.
  expect_error(AzureIkeProposal(Policy("AES256", "SHA256", "DES3", "SHA256", "DHGroup14", "None")),
               "UnsupportedIpsecPolicy", "ikeEncryption");
  expect_error(AzureIkeProposal(Policy("AES256", "SHA256", "AES256", "SHA1", "DHGroup14", "None")),
               "UnsupportedIpsecPolicy", "ikeIntegrity");
  expect_error(AzureIkeProposal(Policy("AES256", "SHA256", "AES256", "SHA256", "DHGroup24", "None")),
               "UnsupportedIpsecPolicy", "dhGroup");
  expect_error(AzureEspProposal(Policy("AES192", "SHA256", "AES256", "SHA256", "DHGroup14", "None")),
               "UnsupportedIpsecPolicy", "ipsecEncryption");
  expect_error(AzureEspProposal(Policy("AES256", "SHA256", "AES256", "SHA256", "DHGroup14", "PFSMM")),
               "UnsupportedIpsecPolicy", "pfsGroup");
  // Garbage names what is allowed.
  auto r = AzureIkeProposal(Policy("AES256", "SHA256", "AES256", "SHA256", "ECP521", "None"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "InvalidIpsecPolicy");
  EXPECT_NE(r.error().message.find("ECP384"), std::string::npos) << r.error().message;
}

TEST(AzurePolicy, MappedProposalsNegotiateWithTheSameStrongSwanString) {
  auto p = Policy("GCMAES256", "GCMAES256", "GCMAES256", "SHA256", "ECP256", "None");
  auto ike = AzureIkeProposal(p);
  auto esp = AzureEspProposal(p);
  ASSERT_TRUE(ike && esp);
  EXPECT_EQ(*ike, *ParseProposal("aes256gcm16-prfsha256-ecp256", wire::ProtocolId::kIke));
  EXPECT_EQ(*esp, *ParseProposal("aes256gcm16", wire::ProtocolId::kEsp));
}

}  // namespace
}  // namespace isthmus::ike::sa
