// Microsoft's JavaScript SDK against a running isthmusd, as a user's program would use it: a service
// principal signs in with ClientSecretCredential against isthmusd's AD FS-shaped authority, then the
// VNet-to-VNet sequence goes through @azure/arm-resources and @azure/arm-network, every result checked.
// Usage: node sdk_test.mjs ENDPOINT SUBSCRIPTION APP_ID SECRET READER_APP_ID READER_SECRET SIGNING_KEY
// (NODE_EXTRA_CA_CERTS must name isthmusd's CA; SIGNING_KEY is isthmusd's token-signing key, with which
// the test signs tokens that are valid but for one claim). isthmusd runs with a small --page-size, so
// every list the SDK reads comes in pages joined by nextLink. Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";
import { NetworkManagementClient } from "@azure/arm-network";

const [endpoint, subscription, appId, secret, readerId, readerSecret, signingKey] = process.argv.slice(2);
// arm-resources 6 (AutoRest) reads credentialScopes; arm-network 39 (TypeSpec) reads credentials.scopes.
const options = { endpoint, credentialScopes: [`${endpoint}/.default`], credentials: { scopes: [`${endpoint}/.default`] } };
const credential = (id, pw) =>
  new ClientSecretCredential("adfs", id, pw, { authorityHost: endpoint, disableInstanceDiscovery: true });

const step = (what) => console.log(`sdk: ${what}`);
const owner = credential(appId, secret);
const resources = new ResourceManagementClient(owner, subscription, options);
const network = new NetworkManagementClient(owner, subscription, options);

step("sign in and create two resource groups");
const token = await owner.getToken(`${endpoint}/.default`);
assert.ok(token.token.split(".").length === 3, "a JWT");
for (const [rg, location] of [["SdkRG1", "eastus"], ["SdkRG4", "westus"]]) {
  const g = await resources.resourceGroups.createOrUpdate(rg, { location, tags: { by: "sdk" } });
  assert.equal(g.name, rg);
  assert.equal(g.location, location);
  assert.equal(g.properties.provisioningState, "Succeeded");
}

step("VNets with subnets, public IPs, gateways");
const vnets = { SdkRG1: ["VNet1", "10.11.0.0/16", "10.12.255.0/27"], SdkRG4: ["VNet4", "10.41.0.0/16", "10.42.255.0/27"] };
const gateways = {};
for (const [rg, [name, space, gwPrefix]] of Object.entries(vnets)) {
  const location = rg === "SdkRG1" ? "eastus" : "westus";
  const v = await network.virtualNetworks.beginCreateOrUpdateAndWait(rg, name, {
    location,
    addressSpace: { addressPrefixes: [space, gwPrefix.replace(/\.255\.0\/27$/, ".0.0/16")] },
    subnets: [{ name: "FrontEnd", addressPrefix: space.replace(/\.0\.0\/16$/, ".0.0/24") }],
  });
  assert.equal(v.provisioningState, "Succeeded");
  const s = await network.subnets.beginCreateOrUpdateAndWait(rg, name, "GatewaySubnet", { addressPrefix: gwPrefix });
  assert.equal(s.addressPrefix, gwPrefix);
  const ip = await network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, `${name}GWIP`, {
    location,
    sku: { name: "Standard" },
    publicIPAllocationMethod: "Static",
  });
  assert.equal(ip.provisioningState, "Succeeded");
  const gw = await network.virtualNetworkGateways.beginCreateOrUpdateAndWait(rg, `${name}GW`, {
    location,
    gatewayType: "Vpn",
    vpnType: "RouteBased",
    sku: { name: "VpnGw1", tier: "VpnGw1" },
    ipConfigurations: [
      { name: "gwipconfig", subnet: { id: s.id }, publicIPAddress: { id: ip.id }, privateIPAllocationMethod: "Dynamic" },
    ],
  });
  assert.equal(gw.provisioningState, "Succeeded");
  assert.equal(gw.sku.name, "VpnGw1");
  gateways[rg] = gw;
}

step("both connections, shared keys");
const key = "SdkKey" + Math.random().toString(36).slice(2, 10);
for (const [rg, here, there, name] of [
  ["SdkRG1", "SdkRG1", "SdkRG4", "VNet1ToVNet4"],
  ["SdkRG4", "SdkRG4", "SdkRG1", "VNet4ToVNet1"],
]) {
  const c = await network.virtualNetworkGatewayConnections.beginCreateOrUpdateAndWait(rg, name, {
    location: gateways[here].location,
    connectionType: "Vnet2Vnet",
    virtualNetworkGateway1: gateways[here],  // the SDK serializes whole gateway objects
    virtualNetworkGateway2: gateways[there],
    sharedKey: key,
  });
  assert.equal(c.provisioningState, "Succeeded");
  assert.equal(c.sharedKey, undefined, "a plain read never shows the key");
}
assert.equal((await network.virtualNetworkGatewayConnections.getSharedKey("SdkRG1", "VNet1ToVNet4")).value, key);
const set = await network.virtualNetworkGatewayConnections.beginSetSharedKeyAndWait("SdkRG1", "VNet1ToVNet4", { value: key + "2" });
assert.equal(set.value, key + "2");
assert.equal((await network.virtualNetworkGatewayConnections.getSharedKey("SdkRG1", "VNet1ToVNet4")).value, key + "2");
const r = await network.virtualNetworkGatewayConnections.beginResetSharedKeyAndWait("SdkRG1", "VNet1ToVNet4", { keyLength: 64 });
assert.equal(r.keyLength, 64);
const reset = (await network.virtualNetworkGatewayConnections.getSharedKey("SdkRG1", "VNet1ToVNet4")).value;
assert.equal(reset.length, 64);

step("lists, in pages");
const listed = [];
for await (const v of network.virtualNetworks.listAll()) listed.push(v.name);
assert.deepEqual(listed.sort(), ["VNet1", "VNet4"]);
const pages = [];
for await (const page of network.publicIPAddresses.listAll().byPage()) pages.push(page.map((p) => p.name));
assert.ok(pages.length >= 2, `public IPs came in ${pages.length} page(s): the server's nextLink was not followed`);
assert.deepEqual(pages.flat().sort(), ["VNet1GWIP", "VNet4GWIP"]);
const connections = [];
for await (const c of network.virtualNetworkGatewayConnections.list("SdkRG1")) connections.push(c.name);
assert.deepEqual(connections, ["VNet1ToVNet4"]);
const groups = [];
for await (const g of resources.resourceGroups.list()) groups.push(g.name);
assert.ok(groups.includes("SdkRG1") && groups.includes("SdkRG4"), groups.join(","));

step("a Reader reads but cannot write (403)");
const reader = new NetworkManagementClient(credential(readerId, readerSecret), subscription, options);
assert.equal((await reader.virtualNetworks.get("SdkRG1", "VNet1")).name, "VNet1");
await assert.rejects(
  reader.virtualNetworks.beginCreateOrUpdateAndWait("SdkRG1", "Nope", { location: "eastus", addressSpace: { addressPrefixes: ["10.99.0.0/16"] } }),
  (e) => e.statusCode === 403 && e.code === "AuthorizationFailed",
);

step("expired, foreign-audience, unsigned and forged tokens are refused (401)");
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
const [h, p] = token.token.split(".");
const header = JSON.parse(Buffer.from(h, "base64url"));
const claims = JSON.parse(Buffer.from(p, "base64url"));
const sign = (hdr, body, key) => {
  const input = `${b64(hdr)}.${b64(body)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(key).toString("base64url")}`;
};
const realKey = readFileSync(signingKey);
const now = Math.floor(Date.now() / 1000);
// The real key reproduces a token isthmusd accepts, so each refusal below is for its one changed claim.
const refusedWith = async (jwt, code) => {
  const c = { getToken: async () => ({ token: jwt, expiresOnTimestamp: Date.now() + 3600e3 }) };
  await assert.rejects(
    new NetworkManagementClient(c, subscription, options).virtualNetworks.get("SdkRG1", "VNet1"),
    (e) => e.statusCode === 401 && e.code === code,
    code,
  );
};
const resigned = new NetworkManagementClient(
  { getToken: async () => ({ token: sign(header, claims, realKey), expiresOnTimestamp: Date.now() + 3600e3 }) },
  subscription, options);
assert.equal((await resigned.virtualNetworks.get("SdkRG1", "VNet1")).name, "VNet1");
await refusedWith(sign(header, { ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }, realKey), "ExpiredAuthenticationToken");
await refusedWith(sign(header, { ...claims, aud: "https://management.azure.com/" }, realKey), "InvalidAuthenticationTokenAudience");
await refusedWith(`${b64({ ...header, alg: "none" })}.${b64(claims)}.`, "InvalidAuthenticationToken");
const { privateKey: otherKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
await refusedWith(sign(header, claims, otherKey), "InvalidAuthenticationToken");
await refusedWith(`${h}.${p}.AAAA`, "InvalidAuthenticationToken");

step("deletes");
for (const [rg, name] of [["SdkRG1", "VNet1ToVNet4"], ["SdkRG4", "VNet4ToVNet1"]]) {
  await network.virtualNetworkGatewayConnections.beginDeleteAndWait(rg, name);
}
await network.virtualNetworkGateways.beginDeleteAndWait("SdkRG4", "VNet4GW");
await assert.rejects(network.virtualNetworkGateways.get("SdkRG4", "VNet4GW"), (e) => e.statusCode === 404);
await network.publicIPAddresses.beginDeleteAndWait("SdkRG4", "VNet4GWIP");
await network.subnets.beginDeleteAndWait("SdkRG4", "VNet4", "GatewaySubnet");
assert.deepEqual((await network.virtualNetworks.get("SdkRG4", "VNet4")).subnets.map((x) => x.name), ["FrontEnd"]);
await resources.resourceGroups.beginDeleteAndWait("SdkRG1");
await resources.resourceGroups.beginDeleteAndWait("SdkRG4");
assert.equal(await resources.resourceGroups.checkExistence("SdkRG1").then((r) => r.body), false);
assert.equal(await resources.resourceGroups.checkExistence("SdkRG4").then((r) => r.body), false);
const left = [];
for await (const v of network.virtualNetworks.listAll()) left.push(v.name);
assert.deepEqual(left, [], "a group's delete takes its resources");
step("all checks passed");
