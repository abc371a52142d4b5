#!/bin/bash
# Interop: every exported swanctl.conf (and its mirror, our side) loads into a real strongSwan
# charon without errors, shows up in --list-conns, and charon parsed the proposals we meant
# (its cfg log spells them out; the expected spellings come from export_configs' manifest).
# Usage: swanctl_load.sh EXPORT_CONFIGS_BINARY
. "$(dirname "$0")/lib.sh"
ivpn_require_root_and_charon
[ -x "$1" ] || { echo "usage: $0 EXPORT_CONFIGS_BINARY"; exit 2; }

ivpn_workdir_create
mkdir -p "$IVPN_WORK/out"
"$1" "$IVPN_WORK/out" || { echo "FAIL: export_configs"; exit 1; }

NS=ivpn-exp-$$
ivpn_netns_create "$NS" || { echo "FAIL: cannot create namespace $NS"; exit 1; }
DIR=$IVPN_WORK/charon
ivpn_start_charon "$NS" "$DIR" || { echo "FAIL: charon did not start"; exit 1; }

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# load FILE NAME IKE ESP: load one file and check what charon made of it
check_load() {
    local file=$1 name=$2 ike=$3 esp=$4 out before new
    before=$(stat -c %s "$DIR/charon.log")
    if ! out=$(ivpn_swanctl "$DIR" --load-all --noprompt --file "$file" 2>&1); then
        fail "$file: swanctl --load-all exited non-zero:"$'\n'"$out"
        return
    fi
    # --file also scans the file's folder for x509/, private/... which this test does not use
    out=$(grep -vE "^opening directory '.*' failed: No such file or directory$" <<<"$out")
    if grep -qiE 'fail|error|invalid|unknown|ignored' <<<"$out"; then
        fail "$file: swanctl reported a problem:"$'\n'"$out"
        return
    fi
    grep -q "loaded ike secret 'ike-$name'" <<<"$out" || { fail "$file: secret not loaded: $out"; return; }
    grep -q "loaded connection '$name'" <<<"$out" || { fail "$file: connection not loaded: $out"; return; }
    ivpn_swanctl "$DIR" --list-conns | grep -q "^$name: IKEv" ||
        { fail "$file: $name missing from --list-conns"; return; }
    # charon logs what it parsed while it handles the request; allow a moment for the lines
    for _ in $(seq 1 40); do
        new=$(tail -c +"$((before + 1))" "$DIR/charon.log")
        grep -qF "proposals = $esp" <<<"$new" && grep -qF "proposals = $ike" <<<"$new" && break
        sleep 0.05
    done
    grep -qF "proposals = $ike" <<<"$new" ||
        { fail "$file: charon did not parse IKE proposal $ike:"$'\n'"$(grep 'proposals =' <<<"$new")"; return; }
    grep -qF "proposals = $esp" <<<"$new" ||
        { fail "$file: charon did not parse ESP proposal $esp:"$'\n'"$(grep 'proposals =' <<<"$new")"; return; }
    echo "ok: $(basename "$file")"
}

count=0
while IFS='|' read -r name ike esp _psk _us _them; do
    check_load "$IVPN_WORK/out/$name.conf" "$name" "$ike" "$esp"
    check_load "$IVPN_WORK/out/$name.self.conf" "$name" "$ike" "$esp"
    count=$((count + 1))
done <"$IVPN_WORK/out/manifest"

[ "$count" -gt 0 ] || fail "no configurations in the manifest"
if [ "$failures" -ne 0 ]; then
    echo "charon log:"; cat "$DIR/charon.log"
    exit 1
fi
echo "PASS: $count connections, both sides, loaded into strongSwan"
