// Microsoft's JavaScript SDK against a running isthmusd, as a user's program would use it: a service
// principal signs in with ClientSecretCredential against isthmusd's AD FS-shaped authority, then the
// VNet-to-VNet sequence goes through @azure/arm-resources and @azure/arm-network, every result checked.
// Then examples/vnet-to-vnet deploys as an ARM template through Microsoft.Resources/deployments (create,
// get, list, operations, validate, whatIf, exportTemplate, delete), its resources checked through
// arm-network and its secure parameter looked for in the text of every answer.
// Usage: node sdk_test.mjs ENDPOINT SUBSCRIPTION APP_ID SECRET READER_APP_ID READER_SECRET SIGNING_KEY
//        TEMPLATE_KEY
// (NODE_EXTRA_CA_CERTS must name isthmusd's CA; SIGNING_KEY is isthmusd's token-signing key, with which
// the test signs tokens that are valid but for one claim; TEMPLATE_KEY is the template's sharedKey, 8 to
// 128 characters). isthmusd runs with a small --page-size, so every list the SDK reads comes in pages
// joined by nextLink. Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";
import { NetworkManagementClient } from "@azure/arm-network";

const [endpoint, subscription, appId, secret, readerId, readerSecret, signingKey, templateKey] = process.argv.slice(2);
assert.ok(templateKey?.length >= 8, "usage: node sdk_test.mjs … SIGNING_KEY TEMPLATE_KEY (8 characters or more)");
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

step("a template deployment: examples/vnet-to-vnet with its parameters file, no VMs");
// Every answer's text as it came off the wire: the secure parameter is looked for in all of it, not only
// in what the SDK's models keep.
const wire = [];
const recorder = {
  position: "perCall",
  policy: {
    name: "wireRecorder",
    sendRequest: async (request, next) => {
      const record = (response) =>
        wire.push({ method: request.method, url: request.url, status: response.status, text: response.bodyAsText ?? "" });
      try {
        const response = await next(request);
        record(response);
        return response;
      } catch (e) {
        if (e.response) record(e.response);  // an error status: the SDK throws, with what was answered
        throw e;
      }
    },
  },
};
const recorded = { ...options, additionalPolicies: [recorder] };
const deployer = new ResourceManagementClient(owner, subscription, recorded);
const observer = new NetworkManagementClient(owner, subscription, recorded);
const noKeyOnWire = (what) => {
  assert.ok(wire.some((w) => w.text.length > 0), `${what}: no answer recorded`);
  for (const w of wire) assert.ok(!w.text.includes(templateKey), `${what}: ${w.method} ${w.url} answered the shared key`);
  wire.length = 0;
};
const example = new URL("../../../examples/vnet-to-vnet/", import.meta.url);
const template = JSON.parse(readFileSync(new URL("azuredeploy.json", example), "utf8"));
const parameters = {
  ...JSON.parse(readFileSync(new URL("azuredeploy.parameters.json", example), "utf8")).parameters,
  sharedKey: { value: templateKey },
  deployVms: { value: false },
};
// The template names no resource group in its resourceId()s: all of it goes into the one deployed to.
const tplRg = "SdkTplRG";
const group = await deployer.resourceGroups.createOrUpdate(tplRg, { location: parameters.location1.value });
assert.equal(group.properties.provisioningState, "Succeeded");
const groupId = `/subscriptions/${subscription}/resourceGroups/${tplRg}`;
const idOf = (type, name) => `${groupId}/providers/Microsoft.Network/${type}/${name}`;
const sameId = (a, b) => a.toLowerCase() === b.toLowerCase();  // ARM's IDs are case-insensitive
const sites = [
  { n: "1", location: parameters.location1.value, prefixes: template.parameters.vnet1AddressPrefixes.defaultValue },
  { n: "4", location: parameters.location2.value, prefixes: template.parameters.vnet2AddressPrefixes.defaultValue },
];
const expectedIds = [
  ...sites.flatMap(({ n }) => [
    idOf("virtualNetworks", `VNet${n}`),
    idOf("publicIPAddresses", `VNet${n}GWIP`),
    idOf("virtualNetworkGateways", `VNet${n}GW`),
  ]),
  idOf("connections", "VNet1ToVNet4"),
  idOf("connections", "VNet4ToVNet1"),
].map((x) => x.toLowerCase()).sort();
const deployment = { properties: { mode: "Incremental", template, parameters } };

const deployed = await deployer.deployments.beginCreateOrUpdateAndWait(tplRg, "v2v", deployment, { updateIntervalInMs: 200 });
assert.equal(deployed.name, "v2v");
assert.equal(deployed.properties.provisioningState, "Succeeded", JSON.stringify(deployed.properties.error));
assert.equal(deployed.properties.mode, "Incremental");
assert.deepEqual(deployed.properties.outputResources.map((r) => r.id.toLowerCase()).sort(), expectedIds,
  "outputResources: the 8 resources, no NIC or VM (deployVms false)");
const outputs = deployed.properties.outputs;
assert.deepEqual(Object.keys(outputs).sort(), Object.keys(template.outputs).sort(), "the template's outputs");
for (const [name, declared] of Object.entries(template.outputs)) {
  assert.equal(outputs[name].type.toLowerCase(), declared.type.toLowerCase(), `output ${name}'s type`);
}
assert.equal(outputs.connection1Id.value, idOf("connections", "VNet1ToVNet4"), "resourceId() as ARM writes it");
for (const { n } of sites) {
  const ip = await observer.publicIPAddresses.get(tplRg, `VNet${n}GWIP`);
  assert.match(ip.ipAddress, /^198\.1[89]\./, "an address of the underlay pool");
  assert.equal(outputs[`gateway${n}Address`].value, ip.ipAddress, `output gateway${n}Address: reference() of VNet${n}GWIP`);
}
noKeyOnWire("the deployment's PUT, polls and final GET");

step("the template's resources through arm-network");
for (const { n, location, prefixes } of sites) {
  const v = await observer.virtualNetworks.get(tplRg, `VNet${n}`);
  assert.equal(v.location, location);
  assert.equal(v.provisioningState, "Succeeded");
  assert.deepEqual(v.addressSpace.addressPrefixes, prefixes);
  const subnets = Object.fromEntries(v.subnets.map((s) => [s.name, s.addressPrefix]));
  assert.deepEqual(subnets, {
    FrontEnd: prefixes[0].replace(".0.0/16", ".0.0/24"),
    BackEnd: prefixes[0].replace(".0.0/16", ".1.0/24"),
    GatewaySubnet: prefixes[1].replace(".0.0/16", ".255.0/27"),
  });
  const gw = await observer.virtualNetworkGateways.get(tplRg, `VNet${n}GW`);
  assert.equal(gw.provisioningState, "Succeeded");
  assert.equal(gw.location, location);
  assert.deepEqual([gw.gatewayType, gw.vpnType, gw.sku.name], ["Vpn", "RouteBased", template.parameters.gatewaySku.defaultValue]);
  assert.ok(sameId(gw.ipConfigurations[0].publicIPAddress.id, idOf("publicIPAddresses", `VNet${n}GWIP`)));
  assert.ok(sameId(gw.ipConfigurations[0].subnet.id, `${idOf("virtualNetworks", `VNet${n}`)}/subnets/GatewaySubnet`));
}
for (const [name, from, to, location] of [
  ["VNet1ToVNet4", "VNet1GW", "VNet4GW", sites[0].location],
  ["VNet4ToVNet1", "VNet4GW", "VNet1GW", sites[1].location],
]) {
  const c = await observer.virtualNetworkGatewayConnections.get(tplRg, name);
  assert.equal(c.provisioningState, "Succeeded");
  assert.equal(c.location, location);
  assert.equal(c.connectionType, "Vnet2Vnet");
  assert.ok(sameId(c.virtualNetworkGateway1.id, idOf("virtualNetworkGateways", from)), c.virtualNetworkGateway1.id);
  assert.ok(sameId(c.virtualNetworkGateway2.id, idOf("virtualNetworkGateways", to)), c.virtualNetworkGateway2.id);
  assert.equal(c.sharedKey, undefined, "a plain read never shows the key");
  // The key's own call (not recorded: it is the one answer that carries the key) has the parameter's value.
  assert.equal((await network.virtualNetworkGatewayConnections.getSharedKey(tplRg, name)).value, templateKey);
}
const tplConnections = [];
for await (const c of observer.virtualNetworkGatewayConnections.list(tplRg)) tplConnections.push(c.name);
assert.deepEqual(tplConnections.sort(), ["VNet1ToVNet4", "VNet4ToVNet1"]);
noKeyOnWire("GETs and the list of the template's resources");

step("the deployment record: get, list, operations hide the shared key");
const got = await deployer.deployments.get(tplRg, "v2v");
assert.equal(got.properties.provisioningState, "Succeeded");
assert.deepEqual(got.properties.outputs, outputs);
const shownKey = got.properties.parameters.sharedKey;
assert.equal(shownKey.type.toLowerCase(), "securestring", "the secure parameter shows its type");
assert.equal(shownKey.value, undefined, "and no value");
assert.equal(got.properties.parameters.location2.value, parameters.location2.value, "a plain parameter shows its value");
const deploymentNames = [];
for await (const x of deployer.deployments.listByResourceGroup(tplRg)) deploymentNames.push(x.name);
assert.deepEqual(deploymentNames, ["v2v"]);
const operations = [];
for await (const o of deployer.deploymentOperations.list(tplRg, "v2v")) operations.push(o);
assert.deepEqual(operations.map((o) => o.properties.targetResource.id.toLowerCase()).sort(), expectedIds,
  "one operation per resource");
for (const o of operations) {
  assert.equal(o.properties.provisioningState, "Succeeded", o.properties.targetResource.id);
}
noKeyOnWire("deployments.get, listByResourceGroup, deploymentOperations.list");

step("validate refuses a too-short shared key without repeating it");
const shortKey = randomBytes(8).toString("base64url").slice(0, template.parameters.sharedKey.minLength - 1);
const tooShort = { properties: { mode: "Incremental", template, parameters: { ...parameters, sharedKey: { value: shortKey } } } };
await assert.rejects(deployer.deployments.beginValidateAndWait(tplRg, "short", tooShort), (e) => {
  assert.equal(e.statusCode, 400, e.message);
  assert.equal(e.code, "InvalidTemplate", e.message);
  assert.match(e.message, /sharedKey/, "the error names the parameter");
  assert.ok(!e.message.includes(shortKey), `the error repeats the secure value: ${e.message}`);
  return true;
});
for (const w of wire) assert.ok(!w.text.includes(shortKey), `${w.method} ${w.url} answered the short key`);
const valid = await deployer.deployments.beginValidateAndWait(tplRg, "valid", deployment);
assert.equal(valid.properties.provisioningState, "Succeeded");
await assert.rejects(deployer.deployments.get(tplRg, "short"), (e) => e.statusCode === 404, "validate made a deployment");
noKeyOnWire("deployments.validate");

step("whatIf after the deployment: nothing to create or modify");
const whatIf = await deployer.deployments.beginWhatIfAndWait(tplRg, "v2v-whatif", deployment, { updateIntervalInMs: 200 });
assert.equal(whatIf.status, "Succeeded");
for (const c of whatIf.changes) {
  assert.ok(["NoChange", "Ignore"].includes(c.changeType), `${c.resourceId}: ${c.changeType}`);
}
assert.deepEqual(whatIf.changes.filter((c) => c.changeType === "NoChange").map((c) => c.resourceId.toLowerCase()).sort(),
  expectedIds, "every resource of the template unchanged");
noKeyOnWire("deployments.whatIf");

step("exportTemplate gives back the template");
assert.deepEqual((await deployer.deployments.exportTemplate(tplRg, "v2v")).template, template);

step("deleting the deployment keeps its resources");
await deployer.deployments.beginDeleteAndWait(tplRg, "v2v", { updateIntervalInMs: 200 });
await assert.rejects(deployer.deployments.get(tplRg, "v2v"), (e) => e.statusCode === 404 && e.code === "DeploymentNotFound");
const afterDelete = [];
for await (const x of deployer.deployments.listByResourceGroup(tplRg)) afterDelete.push(x.name);
assert.deepEqual(afterDelete, []);
const kept = [];
for await (const v of observer.virtualNetworks.list(tplRg)) kept.push(v.name);
for await (const ip of observer.publicIPAddresses.list(tplRg)) kept.push(ip.name);
for await (const g of observer.virtualNetworkGateways.list(tplRg)) kept.push(g.name);
for await (const c of observer.virtualNetworkGatewayConnections.list(tplRg)) kept.push(c.name);
assert.deepEqual(kept.sort(), ["VNet1", "VNet1GW", "VNet1GWIP", "VNet1ToVNet4", "VNet4", "VNet4GW", "VNet4GWIP", "VNet4ToVNet1"]);
noKeyOnWire("the deployment's delete and the reads after it");
await deployer.resourceGroups.beginDeleteAndWait(tplRg);
const tplLeft = [];
for await (const v of network.virtualNetworks.listAll()) tplLeft.push(v.name);
assert.deepEqual(tplLeft, [], "the group's delete takes the template's resources");
step("all checks passed");
