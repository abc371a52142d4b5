#!/bin/bash
# Two Child SAs under one IKE SA, against strongSwan's charon (topology in ikev2_lib.sh, plus
# a second pair of inner networks). Usage: ikev2_children.sh HOST_BINARY
#
#   charon                                   our host
#   child ivpn   10.1.0.0/24  <-- pair 1 -->  10.2.0.0/24   (IKE_AUTH)
#   child ivpn2  10.1.1.0/24  <-- pair 2 -->  10.2.1.0/24   (CREATE_CHILD_SA, no REKEY_SA)
#
# Our host protects both flows (two CIDRs each side) and is the responder; charon initiates
# both children. Each flow must travel on its own pair (both sides' counters per pair); then
# charon rekeys pair 2 while pair 1 keeps its SPIs and carries on, and charon deletes pair 2:
# our host reports CHILD_DOWN for it only, the IKE SA and pair 1 stay up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 HOST"; exit 2; }
HOST_BIN=$1
ivpn_require_root_and_charon
[ -x "$HOST_BIN" ] || ivpn_skip "ipsecvpn_host is not built ($HOST_BIN)"

C2_INNER=10.1.1.1 H2_INNER=10.2.1.1 C2_NET=10.1.1.0/24 H2_NET=10.2.1.0/24

# charon's file: the usual connection with a second child for the second flow
ikev2_case_swanctl() {
    ikev2_swanctl_conf aes128-sha256-modp2048 aes128-sha256-modp2048 |
        awk -v c2="$C2_NET" -v h2="$H2_NET" '
            { print }
            /^        children \{/ { inchildren = 1 }
            inchildren && /^            }$/ && !done {
                print "            ivpn2 {"
                print "                local_ts = " c2
                print "                remote_ts = " h2
                print "                esp_proposals = aes128-sha256-modp2048"
                print "                mode = tunnel"
                print "                start_action = none"
                print "            }"
                done = 1
            }'
}

# charon's pair of child NAME: "SPI_IN BYTES_IN PKTS_IN SPI_OUT BYTES_OUT PKTS_OUT" of the
# newest INSTALLED one, or nothing
charon_pair() {
    ivpn_swanctl "$C" --list-sas --ike ivpn 2>/dev/null | awk -v name="$1:" '
        $1 == name && /INSTALLED/ { inst = 1; next }
        /INSTALLED/ { inst = 0 }
        inst && $1 == "in"  { gsub(",", ""); si = $2; bi = $3; pi = $5 }
        inst && $1 == "out" { gsub(",", ""); print si, bi, pi, $2, $3, $5; inst = 0 }' |
        tail -n1
}
wait_for() {
    local n=$(($1 * 10)) i
    shift
    for i in $(seq 1 $n); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
# ping_flow K COUNT: COUNT echo requests each way on flow K (1 or 2), all answered
ping_flow() {
    local h=$IKEV2_H_INNER c=$IKEV2_C_INNER
    [ "$1" = 2 ] && h=$H2_INNER c=$C2_INNER
    ip netns exec "$NS_H" ping -n -q -c "$2" -i 0.2 -W 2 -I $h $c >"$IVPN_WORK/ping.out" 2>&1 ||
        ikev2_fail "flow $1: ping $h -> $c: $(grep -E 'transmitted|rror' "$IVPN_WORK/ping.out")"
    ip netns exec "$NS_C" ping -n -q -c "$2" -i 0.2 -W 2 -I $c $h >"$IVPN_WORK/ping.out" 2>&1 ||
        ikev2_fail "flow $1: ping $c -> $h: $(grep -E 'transmitted|rror' "$IVPN_WORK/ping.out")"
}
# pair_counts NAME MIN: charon's pair NAME counted at least MIN packets each way; prints it
pair_counts() {
    local si bi pi so bo po
    read -r si bi pi so bo po <<<"$(charon_pair "$1")"
    echo "charon $1: in $si $pi packets, out $so $po packets"
    [ "${pi:-0}" -ge "$2" ] && [ "${po:-0}" -ge "$2" ] ||
        ikev2_fail "charon's $1 counted in=${pi:-?} out=${po:-?} packets, expected >= $2 each"
}
two_children() { [ -n "$(charon_pair ivpn)" ] && [ -n "$(charon_pair ivpn2)" ] &&
    [ "$(grep -c '^event CHILD_UP' "$HOSTLOG")" -ge 2 ]; }
pair2_changed() {
    local si
    read -r si _ <<<"$(charon_pair ivpn2)"
    [ -n "$si" ] && [ "$si" != "$pair2_in" ]
}
pair2_gone() { [ -z "$(charon_pair ivpn2)" ] && grep -q '^event CHILD_DOWN' "$HOSTLOG"; }

echo "case: charon opens two Child SAs for two flows; we are the responder"
ikev2_begin v2c aes128-sha256-modp2048 aes128-sha256-modp2048
ip -n "$NS_C" addr add $C2_INNER/24 dev lo
ip -n "$NS_H" addr add $H2_INNER/24 dev lo
ip -n "$NS_C" route add unreachable $H2_NET metric 4000
ip -n "$NS_H" route add unreachable $C2_NET metric 4000
{
    ikev2_host_conf lines aes sha256 group14 aes sha256 group14 |
        grep -v '^local_cidrs=\|^remote_cidrs='
    echo "local_cidrs=$IKEV2_H_NET,$H2_NET"
    echo "remote_cidrs=$IKEV2_C_NET,$C2_NET"
} >"$IVPN_WORK/host.conf"
ikev2_start_host "$NS_H" "$HOST_BIN" "$HOSTLOG" -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 -v ||
    { IKEV2_FAILURES=1; ikev2_finish; }
ikev2_establish responder || ikev2_finish
ivpn_swanctl "$C" --initiate --child ivpn2 --timeout 10 >"$IVPN_WORK/initiate2.out" 2>&1 ||
    ikev2_fail "charon's second child failed: $(tail -n 3 "$IVPN_WORK/initiate2.out")"
wait_for 5 two_children || { ikev2_fail "no second Child SA on both sides"; ikev2_finish; }
[ "$(ivpn_swanctl "$C" --list-sas --ike ivpn | grep -c '^ivpn: .*ESTABLISHED')" = 1 ] ||
    ikev2_fail "charon does not have exactly one IKE SA for both children"
grep -q 'CREATE_CHILD_SA' "$C/charon.log" || ikev2_fail "no CREATE_CHILD_SA in charon's log"
grep '^event CHILD_UP' "$HOSTLOG"
read -r pair1_in _ _ pair1_out _ <<<"$(charon_pair ivpn)"
read -r pair2_in _ <<<"$(charon_pair ivpn2)"
[ "$pair1_in" != "$pair2_in" ] || ikev2_fail "both children on one SPI"

# each flow on its own pair
ping_flow 1 2
ping_flow 2 3
pair_counts ivpn 4
pair_counts ivpn2 6
read -r _ _ p1 _ <<<"$(charon_pair ivpn)"
[ "$p1" -le 4 ] || ikev2_fail "flow 2 went through pair 1 ($p1 packets in)"

# charon rekeys pair 2; pair 1 is not touched and both flows go on
ivpn_swanctl "$C" --rekey --child ivpn2 >/dev/null 2>&1 || ikev2_fail "swanctl --rekey failed"
wait_for 5 pair2_changed || ikev2_fail "charon could not rekey the second Child SA"
wait_for 3 grep -q '^event CHILD_REKEYED' "$HOSTLOG" || ikev2_fail "our host reported no rekey"
read -r si _ <<<"$(charon_pair ivpn)"
[ "$si" = "$pair1_in" ] || ikev2_fail "pair 1 changed with pair 2's rekey ($pair1_in -> $si)"
ping_flow 1 1
ping_flow 2 2
pair_counts ivpn2 4

# charon deletes pair 2: only it goes
ivpn_swanctl "$C" --terminate --child ivpn2 --timeout 5 >/dev/null 2>&1 ||
    ikev2_fail "swanctl --terminate --child failed"
wait_for 5 pair2_gone || ikev2_fail "pair 2 not gone on both sides after charon's delete"
grep -q '^event IKE_DOWN' "$HOSTLOG" && ikev2_fail "our host took the IKE SA down"
[ "$(ivpn_swanctl "$C" --list-sas --ike ivpn | grep -c '^ivpn: .*ESTABLISHED')" = 1 ] ||
    ikev2_fail "the IKE SA did not survive the delete of one child"
ip netns exec "$NS_C" ping -n -q -c 1 -W 1 -I $C2_INNER $H2_INNER >/dev/null 2>&1 &&
    ikev2_fail "flow 2 crossed after its Child SA was deleted"
ping_flow 1 2
pair_counts ivpn 7
CHARON_SPI_IN=$pair1_in CHARON_SPI_OUT=$pair1_out
ikev2_stop_host
ikev2_check_our_counters 7
ikev2_finish "two Child SAs, rekey and delete of one"
