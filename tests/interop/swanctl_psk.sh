#!/bin/bash
# Interop: strongSwan reads the exported PSK as exactly the key we hold, for keys with every
# special character of the products' alphabet and keys that look like swanctl's 0x/0s prefixes.
# Two charons in two namespaces joined by a veth pair: the peer device loads the exported
# <name>.conf as is; our side loads <name>.self.conf (the mirror) with its secret replaced by
# the key in 0x hex form taken from the manifest, which needs no quoting at all. The IKE SA
# establishes only if both read the same key. A wrong key must fail (the test can fail).
# Usage: swanctl_psk.sh EXPORT_CONFIGS_BINARY
. "$(dirname "$0")/lib.sh"
ivpn_require_root_and_charon
[ -x "$1" ] || { echo "usage: $0 EXPORT_CONFIGS_BINARY"; exit 2; }

ivpn_workdir_create
mkdir -p "$IVPN_WORK/out"
"$1" "$IVPN_WORK/out" || { echo "FAIL: export_configs"; exit 1; }

PEER_NS=ivpn-exp-$$-p
SELF_NS=ivpn-exp-$$-s
ivpn_netns_create "$PEER_NS" && ivpn_netns_create "$SELF_NS" || { echo "FAIL: namespaces"; exit 1; }
ip link add ivpn-p netns "$PEER_NS" type veth peer name ivpn-s netns "$SELF_NS" ||
    { echo "FAIL: veth"; exit 1; }
# export_configs uses 10.99.0.1 / fd99::1 for our side and .2 / ::2 for the peer device
ip -n "$PEER_NS" addr add 10.99.0.2/24 dev ivpn-p
ip -n "$PEER_NS" addr add fd99::2/64 dev ivpn-p nodad
ip -n "$SELF_NS" addr add 10.99.0.1/24 dev ivpn-s
ip -n "$SELF_NS" addr add fd99::1/64 dev ivpn-s nodad
ip -n "$PEER_NS" link set ivpn-p up
ip -n "$SELF_NS" link set ivpn-s up

PEER=$IVPN_WORK/peer
SELF=$IVPN_WORK/self
ivpn_start_charon "$PEER_NS" "$PEER" && ivpn_start_charon "$SELF_NS" "$SELF" ||
    { echo "FAIL: charon did not start"; exit 1; }

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# established DIR NAME: is an IKE SA of connection NAME established in that instance?
established() {
    ivpn_swanctl "$1" --list-sas --ike "$2" 2>/dev/null | grep -q "^$2: .*ESTABLISHED"
}

# try NAME HEX EXPECT(yes|no): load both ends, initiate from our side
try_case() {
    local name=$1 hex=$2 expect=$3 out i ok=no
    sed -E "s/^( *secret = ).*/\\10x$hex/" "$IVPN_WORK/out/$name.self.conf" >"$IVPN_WORK/$name.self.conf"
    out=$(ivpn_swanctl "$SELF" --load-all --noprompt --file "$IVPN_WORK/$name.self.conf" 2>&1) ||
        { fail "$name: our side does not load: $out"; return; }
    out=$(ivpn_swanctl "$PEER" --load-all --noprompt --file "$IVPN_WORK/out/$name.conf" 2>&1) ||
        { fail "$name: peer side does not load: $out"; return; }
    ivpn_swanctl "$SELF" --initiate --child "$name" --timeout 8 >/dev/null 2>&1
    for i in $(seq 1 20); do
        if established "$SELF" "$name" && established "$PEER" "$name"; then
            ok=yes
            break
        fi
        [ "$expect" = no ] && [ "$i" -ge 6 ] && break
        sleep 0.25
    done
    ivpn_swanctl "$SELF" --terminate --ike "$name" --timeout 2 >/dev/null 2>&1
    ivpn_swanctl "$PEER" --terminate --ike "$name" --timeout 2 >/dev/null 2>&1
    if [ "$ok" != "$expect" ]; then
        fail "$name: IKE SA established=$ok, expected $expect"
    else
        echo "ok: $name (established=$ok)"
    fi
}

count=0
while IFS='|' read -r name _ike _esp hex _us _them; do
    try_case "$name" "$hex" yes
    count=$((count + 1))
done <"$IVPN_WORK/out/manifest"
# negative control: a key that differs in its last character
first=$(head -n1 "$IVPN_WORK/out/manifest" | cut -d'|' -f1)
wrong=$(head -n1 "$IVPN_WORK/out/manifest" | cut -d'|' -f4 | sed -E 's/..$/21/')
try_case "$first" "$wrong" no

[ "$count" -gt 0 ] || fail "no configurations in the manifest"
if [ "$failures" -ne 0 ]; then
    echo "--- peer charon log"; tail -n 200 "$PEER/charon.log"
    echo "--- our charon log"; tail -n 200 "$SELF/charon.log"
    exit 1
fi
echo "PASS: $count PSKs read identically by strongSwan, wrong key refused"
