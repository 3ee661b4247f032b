// The template expression language (mgmt/template/expression.cc, functions.cc) fed arbitrary bytes
// against the unit tests' fake context. The first byte picks the form: 0 the rest is a template string
// as written ("[concat(...)]", "[[x", "plain"); 1 the rest is wrapped in brackets (so mutations stay
// expressions); 2 the rest is template JSON walked by EvaluateDeep (keys included). Seeds:
// fuzz/corpus/template_expr.
#include <cstddef>
#include <cstdint>
#include <string>

#include "mgmt/template/expression.h"
// The unit tests' fake context (header-only), shared rather than copied.
#include "../tests/unit/mgmt/template_fake_context.h"

namespace {

using isthmus::mgmt::Json;
using isthmus::mgmt::tmpl::testing::FakeContext;

void Fill(FakeContext& ctx) {
  ctx.parameters["name"] = "vnet1";
  ctx.parameters["n"] = 3;
  ctx.parameters["flag"] = true;
  ctx.parameters["obj"] = Json{{"a", Json::array({Json{{"b", "x"}}, 2})}, {"c", nullptr}};
  ctx.parameters["arr"] = Json::array({"10.0.0.0/16", "10.1.0.0/16"});
  ctx.variables["prefix"] = "gw";
  ctx.variables["cfg"] = Json{{"sku", "VpnGw1"}, {"subnets", Json::array({"GatewaySubnet"})}};
  ctx.resources["r1"] = Json{{"id", "/x/r1"}, {"properties", {{"ipAddress", "198.51.100.7"}}}};
  ctx.index = 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  FakeContext ctx;
  Fill(ctx);
  switch (data[0] % 3) {
    case 0:
      (void)isthmus::mgmt::tmpl::Evaluate(Json(input), ctx, "fuzz");
      break;
    case 1:
      (void)isthmus::mgmt::tmpl::Evaluate(Json("[" + input + "]"), ctx, "fuzz");
      break;
    default: {
      const Json doc = Json::parse(input, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_discarded()) (void)isthmus::mgmt::tmpl::EvaluateDeep(doc, ctx, "resources[0]");
      break;
    }
  }
  return 0;
}
