#!/usr/bin/env bash
# az habits with `isthmus` against a real isthmusd (no root, no fabric; issue 15):
#   - generic update arguments on a VNet: --set/--add/--remove on tags, address prefixes and subnets,
#     and a bad path refused with az's error, exit 1 and the VNet unchanged;
#   - `vnet-gateway create --no-wait` then `vnet-gateway wait --created` returning once provisioning
#     ended; --timeout honoured with az's outcome (`{}`, exit 0); --deleted after a delete;
#   - `-o yaml` read back by Python's yaml (PyYAML, what az itself uses) as the same data as `-o json`;
#   - defaults from `configure --defaults group=… location=…` used when -g/-l are left out and
#     overridden when given; ISTHMUS_DEFAULTS_GROUP over the file.
# Usage: tests/e2e/cli_habits_test.sh ISTHMUS ISTHMUSD
set -euo pipefail
ISTHMUS=${1:?usage: cli_habits_test.sh ISTHMUS ISTHMUSD}
ISTHMUSD=${2:?usage: cli_habits_test.sh ISTHMUS ISTHMUSD}
# Debian's python3 (the first python3 on PATH may be another one without PyYAML).
PY=/usr/bin/python3
"$PY" -c "import yaml" 2>/dev/null || { echo "FAIL: python3-yaml is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
source "$(dirname "$0")/../lib/client_daemon.sh"
client_daemon_init cli-habits
client_daemon_start

isthmus() { "$ISTHMUS" "$@"; }
# must_fail RC SUBSTRING CMD...: exits RC, SUBSTRING on stderr, nothing on stdout.
must_fail() {
  local want_rc=$1 want=$2 out rc=0
  shift 2
  out=$("$ISTHMUS" "$@" 2>"$STATE/err") || rc=$?
  [[ $rc -eq $want_rc ]] || fail "isthmus $*: exit $rc, wanted $want_rc ($(cat "$STATE/err"))"
  grep -qF -- "$want" "$STATE/err" || fail "isthmus $*: stderr lacks [$want]: $(cat "$STATE/err")"
  [[ -z $out ]] || fail "isthmus $*: printed [$out] on error"
}
# same_json A B WHAT: the two JSON documents are equal as data.
same_json() {
  "$PY" -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]) == json.loads(sys.argv[2]) else 1)' "$1" "$2" ||
    fail "$3: [$1] is not [$2]"
}

echo "setup: groups, a VNet with two subnets"
isthmus group create -n HabitsRG -l eastus -o none
isthmus group create -n OtherRG -l westus -o none
isthmus network vnet create -g HabitsRG -n V1 --address-prefixes 10.20.0.0/16 --subnet-name FrontEnd \
  --subnet-prefixes 10.20.1.0/24 -o none
isthmus network vnet subnet create -g HabitsRG --vnet-name V1 -n GatewaySubnet --address-prefixes 10.20.255.0/27 -o none

echo "generic update: --set, --add, --remove"
isthmus network vnet update -g HabitsRG -n V1 --set tags.env=dev tags.owner=net -o none
expect_eq "$(isthmus network vnet show -g HabitsRG -n V1 --query tags.env -o tsv)" "dev" "--set tags.env"
isthmus network vnet update -g HabitsRG -n V1 --add addressSpace.addressPrefixes 10.21.0.0/16 -o none
expect_eq "$(isthmus network vnet show -g HabitsRG -n V1 --query "join(',', addressSpace.addressPrefixes)" -o tsv)" \
  "10.20.0.0/16,10.21.0.0/16" "--add addressSpace.addressPrefixes"
isthmus network vnet update -g HabitsRG -n V1 --add subnets name=BackEnd addressPrefix=10.21.1.0/24 -o none
expect_eq "$(isthmus network vnet subnet show -g HabitsRG --vnet-name V1 -n BackEnd --query addressPrefix -o tsv)" \
  "10.21.1.0/24" "--add subnets name=BackEnd"
isthmus network vnet update -g HabitsRG -n V1 --set "subnets[name=BackEnd].addressPrefix=10.21.2.0/24" -o none
expect_eq "$(isthmus network vnet subnet show -g HabitsRG --vnet-name V1 -n BackEnd --query addressPrefix -o tsv)" \
  "10.21.2.0/24" "--set subnets[name=BackEnd].addressPrefix"
isthmus network vnet update -g HabitsRG -n V1 --remove tags.owner -o none
expect_eq "$(isthmus network vnet show -g HabitsRG -n V1 --query "keys(tags)" -o tsv)" "env" "--remove tags.owner"
idx=$(isthmus network vnet show -g HabitsRG -n V1 --query "subnets[].name" -o json |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin).index("BackEnd"))')
isthmus network vnet update -g HabitsRG -n V1 --remove subnets "$idx" -o none
expect_eq "$(isthmus network vnet show -g HabitsRG -n V1 --query "sort(subnets[].name) | join(' ', @)" -o tsv)" \
  "FrontEnd GatewaySubnet" "--remove subnets $idx"
isthmus network vnet update -g HabitsRG -n V1 --set "addressSpace.addressPrefixes=[\"10.20.0.0/16\"]" -o none
expect_eq "$(isthmus network vnet show -g HabitsRG -n V1 --query "length(addressSpace.addressPrefixes)")" "1" \
  "--set a JSON list"
isthmus network vnet subnet update -g HabitsRG --vnet-name V1 -n FrontEnd --set addressPrefix=10.20.2.0/24 -o none
expect_eq "$(isthmus network vnet subnet show -g HabitsRG --vnet-name V1 -n FrontEnd --query addressPrefix -o tsv)" \
  "10.20.2.0/24" "subnet update --set addressPrefix"

echo "generic update: bad paths change nothing"
before=$(isthmus network vnet show -g HabitsRG -n V1 -o json)
must_fail 1 "Couldn't find 'nosuch' in ''. Available options: [" \
  network vnet update -g HabitsRG -n V1 --set tags.x=1 --set nosuch.thing=1
must_fail 1 "index 9 doesn't exist on subnets" network vnet update -g HabitsRG -n V1 --set "subnets[9].name=x"
must_fail 1 "index 7 doesn't exist on addressPrefixes" \
  network vnet update -g HabitsRG -n V1 --remove addressSpace.addressPrefixes 7
must_fail 1 "invalid syntax: --add property.listProperty" network vnet update -g HabitsRG -n V1 --add name x
same_json "$(isthmus network vnet show -g HabitsRG -n V1 -o json)" "$before" "the VNet after refused updates"

echo "wait: vnet-gateway create --no-wait, then wait --created"
isthmus network public-ip create -g HabitsRG -n GWIP -o none
isthmus network vnet-gateway create -g HabitsRG -n GW --public-ip-address GWIP --vnet V1 --no-wait -o none
start=$SECONDS
isthmus network vnet-gateway wait -g HabitsRG -n GW --created --interval 1 --timeout 120
expect_eq "$(isthmus network vnet-gateway show -g HabitsRG -n GW --query provisioningState -o tsv)" "Succeeded" \
  "provisioningState after wait --created"
echo "  (returned after $((SECONDS - start)) s)"
isthmus network vnet wait -g HabitsRG -n V1 --exists --interval 1
isthmus network vnet wait -g HabitsRG -n V1 --custom "length(subnets) == \`2\`" --interval 1 --timeout 5
isthmus group wait -n HabitsRG --created --interval 1 --timeout 5

echo "wait: --timeout honoured with az's outcome"
start=$SECONDS
out=$(isthmus network vnet-gateway wait -g HabitsRG -n GW --custom "provisioningState=='Nope'" --interval 1 \
  --timeout 3 2>"$STATE/err") || fail "a timed-out wait exited $? (az exits 0)"
expect_eq "$out" "{}" "a timed-out wait's output"
grep -q "Wait operation timed-out after 3 seconds" "$STATE/err" || fail "no timeout warning: $(cat "$STATE/err")"
((SECONDS - start >= 2 && SECONDS - start < 30)) || fail "a 3 s timeout took $((SECONDS - start)) s"
must_fail 1 "incorrect usage: --created | --updated | --deleted | --exists | --custom JMESPATH" \
  network vnet-gateway wait -g HabitsRG -n GW
must_fail 1 "(ResourceNotFound)" network vnet-gateway wait -g HabitsRG -n NoSuchGW --updated --interval 1

echo "wait: --deleted"
isthmus network public-ip create -g HabitsRG -n Spare -o none
isthmus network public-ip delete -g HabitsRG -n Spare --no-wait
isthmus network public-ip wait -g HabitsRG -n Spare --deleted --interval 1 --timeout 60
must_fail 1 "(ResourceNotFound)" network public-ip show -g HabitsRG -n Spare

echo "-o yaml read back by PyYAML as -o json"
for cmd in "network vnet show -g HabitsRG -n V1" "network vnet-gateway show -g HabitsRG -n GW" \
  "group list" "network vnet list -g HabitsRG" "version"; do
  # shellcheck disable=SC2086
  isthmus $cmd -o yaml >"$STATE/out.yaml"
  # shellcheck disable=SC2086
  isthmus $cmd -o json >"$STATE/out.json"
  # shellcheck disable=SC2086
  isthmus $cmd -o yamlc >"$STATE/outc.yaml"  # not a terminal: no colour
  "$PY" - "$STATE/out.yaml" "$STATE/out.json" "$STATE/outc.yaml" <<'PY' || fail "-o yaml of '$cmd' differs from -o json"
import json, sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
j = json.load(open(sys.argv[2]))
yc = yaml.safe_load(open(sys.argv[3]))
sys.exit(0 if y == j and yc == j and json.dumps(y, sort_keys=True) == json.dumps(j, sort_keys=True) else 1)
PY
done
expect_eq "$(isthmus network vnet show -g HabitsRG -n V1 --query name -o yaml)" $'V1\n...' "a scalar in yaml"

echo "configure: defaults for -g and -l"
isthmus configure --defaults group=HabitsRG location=westus
expect_eq "$(isthmus configure --list-defaults --query "[?name=='group'].value | [0]" -o tsv)" "HabitsRG" \
  "configure --list-defaults"
grep -q "^group = HabitsRG$" "$ISTHMUS_CONFIG_DIR/config" || fail "no 'group = HabitsRG' in $ISTHMUS_CONFIG_DIR/config"
expect_eq "$(isthmus network vnet show -n V1 --query resourceGroup -o tsv)" "HabitsRG" "show without -g"
isthmus network vnet create -n V2 --address-prefixes 10.30.0.0/16 -o none
expect_eq "$(isthmus network vnet show -n V2 --query "[resourceGroup, location] | join(' ', @)" -o tsv)" \
  "HabitsRG westus" "create without -g and -l"
isthmus network vnet create -g OtherRG -n V3 -l eastus --address-prefixes 10.40.0.0/16 -o none
expect_eq "$(isthmus network vnet show -g OtherRG -n V3 --query location -o tsv)" "eastus" "explicit -g/-l win"
must_fail 1 "(ResourceNotFound)" network vnet show -n V3
expect_eq "$(ISTHMUS_DEFAULTS_GROUP=OtherRG "$ISTHMUS" network vnet show -n V3 --query name -o tsv)" "V3" \
  "ISTHMUS_DEFAULTS_GROUP overrides the file"
isthmus config unset defaults.group
must_fail 2 "the following arguments are required: --resource-group/-g" network vnet show -n V1

echo "PASS: cli_habits"
