// Microsoft's JavaScript SDK against a running isthmusd, as a user's program would use it: a service
// principal signs in with ClientSecretCredential against isthmusd's AD FS-shaped authority, then the
// VNet-to-VNet sequence goes through @azure/arm-resources and @azure/arm-network, every result checked.
// Usage: node sdk_test.mjs ENDPOINT SUBSCRIPTION APP_ID SECRET READER_APP_ID READER_SECRET
// (NODE_EXTRA_CA_CERTS must name isthmusd's CA). Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";
import { NetworkManagementClient } from "@azure/arm-network";

const [endpoint, subscription, appId, secret, readerId, readerSecret] = process.argv.slice(2);
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
await network.virtualNetworkGatewayConnections.beginSetSharedKeyAndWait("SdkRG1", "VNet1ToVNet4", { value: key + "2" });
assert.equal((await network.virtualNetworkGatewayConnections.getSharedKey("SdkRG1", "VNet1ToVNet4")).value, key + "2");
await network.virtualNetworkGatewayConnections.beginResetSharedKeyAndWait("SdkRG1", "VNet1ToVNet4", { keyLength: 64 });
const reset = (await network.virtualNetworkGatewayConnections.getSharedKey("SdkRG1", "VNet1ToVNet4")).value;
assert.equal(reset.length, 64);

step("lists");
const listed = [];
for await (const v of network.virtualNetworks.listAll()) listed.push(v.name);
assert.deepEqual(listed.sort(), ["VNet1", "VNet4"]);
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

step("a forged token is refused (401)");
const [h, p] = token.token.split(".");
const forged = { getToken: async () => ({ token: `${h}.${p}.AAAA`, expiresOnTimestamp: Date.now() + 3600e3 }) };
await assert.rejects(
  new NetworkManagementClient(forged, subscription, options).virtualNetworks.get("SdkRG1", "VNet1"),
  (e) => e.statusCode === 401 && e.code === "InvalidAuthenticationToken",
);

step("deletes");
for (const [rg, name] of [["SdkRG1", "VNet1ToVNet4"], ["SdkRG4", "VNet4ToVNet1"]]) {
  await network.virtualNetworkGatewayConnections.beginDeleteAndWait(rg, name);
}
await resources.resourceGroups.beginDeleteAndWait("SdkRG1");
await resources.resourceGroups.beginDeleteAndWait("SdkRG4");
assert.equal(await resources.resourceGroups.checkExistence("SdkRG1").then((r) => r.body), false);
step("all checks passed");
