#!/bin/bash
# IKEv2 life after establishment, against strongSwan's charon (topology in ikev2_lib.sh).
# Usage: ikev2_lifecycle.sh HOST_BINARY ROLE KIND [EXPORT_BINARY]
#   (ROLE: who establishes, as in ikev2_case.sh; EXPORT_BINARY: ikev2_export_swanctl, needed
#   by exported-swanctl)
#   child-rekey-ours  our Child SA lifetime is 8 s: we rekey it (CREATE_CHILD_SA with PFS)
#   ike-rekey-ours    our IKE SA lifetime is 8 s: we rekey the IKE SA; charon then rekeys the
#                     Child SA under the new IKE SA (proves the new keys on both sides)
#   ike-rekey-charon  charon rekeys the IKE SA, then the Child SA under it
#   dpd-charon        charon checks liveness every second (dpd_delay); the SAs must survive
#   dpd-ours          our host does (dpd.interval 1 s); the SAs must survive
#   peer-dead         our host runs DPD and charon is killed: the host must report PEER_DEAD
#   delete-charon     charon deletes the IKE SA: our host must report it and stop carrying
#   delete-ours       our host exits: charon must receive our delete and drop the SAs
#   acquire           no --initiate: our first outbound packet starts the negotiation
#   effective-immediately  no --initiate, effective_immediately=yes: we initiate at once
#   response-only     traffic from our side must not start a negotiation; charon's does
#   exported-swanctl  charon runs on the swanctl.conf our exporter writes for the peer of our
#                     own connection, loaded as is (ipsecvpn_connection_export, SWANCTL)
#   rekey-under-ping  our IKE SA lives 10 s and our Child SA 6 s: both are rekeyed (the Child
#                     SA twice) during a ping each way every 0.2 s, and no reply may be lost
# Every kind ends with traffic checked on both sides' counters where a tunnel should exist.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: $0 HOST ROLE KIND [EXPORT_BINARY]"; exit 2; }
HOST_BIN=$1 ROLE=$2 KIND=$3 EXPORT_BIN=${4:-}
ivpn_require_root_and_charon
[ -x "$HOST_BIN" ] || ivpn_skip "ipsecvpn_host is not built ($HOST_BIN): the IKE engine" \
    "(ipsecvpn_engine_new) is not in lib/ yet"

extra_host=() charon_extra=
case $KIND in
child-rekey-ours) extra_host=(ipsec.lifetime=8) ;;
ike-rekey-ours) extra_host=(ike.lifetime=8) ;;
dpd-charon) charon_extra="dpd_delay = 1s" ;;
dpd-ours | peer-dead) extra_host=(dpd.enabled=on dpd.interval=1 dpd.timeout=4) ;;
ike-rekey-charon | delete-charon | delete-ours | acquire) ;;
effective-immediately) extra_host=(effective_immediately=yes) ;;
response-only) extra_host=(initiator=response-only) ;;
rekey-under-ping) extra_host=(ike.lifetime=10 ipsec.lifetime=6) ;;
exported-swanctl)
    [ -x "$EXPORT_BIN" ] || { echo "exported-swanctl needs the export binary"; exit 2; }
    # charon's whole file is our exporter's output for the peer of our host's connection
    ikev2_case_swanctl() {
        write_host_conf
        "$EXPORT_BIN" "$IVPN_WORK/host.conf"
    }
    ;;
*) echo "unknown KIND $KIND"; exit 2 ;;
esac
write_host_conf() {
    ikev2_host_conf lines aes sha256 group14 aes sha256 group14 >"$IVPN_WORK/host.conf"
    printf '%s\n' "${extra_host[@]}" >>"$IVPN_WORK/host.conf"
}
echo "case: we are $ROLE, $KIND"
ikev2_begin v2l aes128-sha256-modp2048 aes128-sha256-modp2048 "$charon_extra"
write_host_conf
args=()
case "$ROLE/$KIND" in
*/acquire | */effective-immediately | */response-only) ;; # no --initiate: that is the point
initiator/*) args=(--initiate) ;;
esac
ikev2_start_host "$NS_H" "$HOST_BIN" "$HOSTLOG" -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 -v \
    "${args[@]}" || { IKEV2_FAILURES=1; ikev2_finish; }
case $KIND in
acquire | response-only)
    # traffic from our side is the only trigger: negotiation starts (acquire) or must not
    # (the engine drops the triggering packet; were it to queue it, the ping could succeed)
    if ip netns exec "$NS_H" ping -n -q -c 1 -W 1 -I $IKEV2_H_INNER $IKEV2_C_INNER >/dev/null 2>&1; then
        [ "$KIND" = acquire ] && echo "note: the triggering packet was delivered"
        [ "$KIND" = response-only ] && ikev2_fail "a packet crossed without a tunnel"
    fi
    if [ "$KIND" = response-only ]; then
        sleep 0.5
        grep -q 'IKE_SA_INIT' "$C/charon.log" &&
            ikev2_fail "our response-only host initiated: $(grep -m1 IKE_SA_INIT "$C/charon.log")"
        grep -q '^event ACQUIRE' "$HOSTLOG" && echo "note: ACQUIRE reported while response-only"
    else
        grep -q '^event ACQUIRE' "$HOSTLOG" || ikev2_fail "our host reported no ACQUIRE event"
    fi
    ;;
esac
ikev2_establish "$ROLE" || ikev2_finish
read -r first_child _ <<<"$(ikev2_charon_child "$C")"
first_ike=$(ikev2_charon_ike_spis)
echo "charon IKE SPIs: $first_ike"

# wait_for SECONDS CONDITION...: poll every 0.1 s
wait_for() {
    local n=$(($1 * 10)) i
    shift
    for i in $(seq 1 $n); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
child_changed() {
    local si
    read -r si _ <<<"$(ikev2_charon_child "$C")"
    [ -n "$si" ] && [ "$si" != "$first_child" ]
}
ike_changed() {
    local spis
    spis=$(ikev2_charon_ike_spis)
    [ -n "$spis" ] && [ "$spis" != "$first_ike" ]
}
# rekey_child_by_charon: charon rekeys the Child SA (with PFS), which must then carry traffic
rekey_child_by_charon() {
    read -r first_child _ <<<"$(ikev2_charon_child "$C")"
    ivpn_swanctl "$C" --rekey --child ivpn >/dev/null 2>&1 || ikev2_fail "swanctl --rekey failed"
    wait_for 5 child_changed || ikev2_fail "charon could not rekey the Child SA"
}
traffic_ok() {
    ikev2_ping_both 2
    ikev2_check_counters 4
    ikev2_stop_host
    ikev2_check_our_counters 4
}

case $KIND in
child-rekey-ours)
    wait_for 12 grep -q '^event CHILD_REKEYED' "$HOSTLOG" ||
        ikev2_fail "our host did not rekey the Child SA"
    wait_for 3 child_changed || ikev2_fail "charon shows no new Child SA"
    grep '^event CHILD_REKEYED' "$HOSTLOG" | head -n1
    grep -q 'rekeying CHILD_SA\|CHILD_SA .* rekeyed\|rekeyed CHILD_SA' "$C/charon.log" ||
        echo "note: charon's log does not say 'rekey' in the words expected"
    traffic_ok
    case "$CHARON_ALG" in */MODP_2048) ;; *) ikev2_fail "rekeyed Child SA without PFS: $CHARON_ALG" ;; esac
    ;;
ike-rekey-ours | ike-rekey-charon)
    if [ "$KIND" = ike-rekey-charon ]; then
        ivpn_swanctl "$C" --rekey --ike ivpn >/dev/null 2>&1 || ikev2_fail "swanctl --rekey --ike failed"
        wait_for 5 ike_changed || ikev2_fail "charon's IKE SA was not rekeyed"
    else
        wait_for 12 ike_changed || ikev2_fail "our host did not rekey the IKE SA"
    fi
    echo "charon IKE SPIs now: $(ikev2_charon_ike_spis)"
    [ "$(ivpn_swanctl "$C" --list-sas --ike ivpn | grep -c '^ivpn: .*ESTABLISHED')" = 1 ] ||
        ikev2_fail "charon does not have exactly one established IKE SA"
    ikev2_ping_both 1
    rekey_child_by_charon
    traffic_ok
    ;;
dpd-charon | dpd-ours)
    # a side sends liveness checks only while it hears nothing, so each direction on its own
    sleep 4
    if [ "$KIND" = dpd-charon ]; then
        n=$(grep -c 'sending DPD request' "$C/charon.log")
        echo "charon sent $n DPD requests"
    else
        n=$(grep -Ec 'parsed INFORMATIONAL request [0-9]+ \[ \]' "$C/charon.log")
        echo "charon answered $n liveness checks from our host"
    fi
    [ "$n" -ge 2 ] || ikev2_fail "$n liveness checks in 4 s with a 1 s interval"
    [ "$first_ike" = "$(ikev2_charon_ike_spis)" ] || ikev2_fail "the IKE SA did not survive"
    grep -q '^event PEER_DEAD' "$HOSTLOG" && ikev2_fail "our host declared charon dead"
    traffic_ok
    ;;
peer-dead)
    ivpn_stop_charon "$C" # SIGKILL: charon vanishes without a word
    wait_for 15 grep -q '^event PEER_DEAD' "$HOSTLOG" ||
        ikev2_fail "our host did not declare the dead peer dead (dpd.timeout 4 s)"
    grep -E '^event (PEER_DEAD|IKE_DOWN)' "$HOSTLOG"
    kill -0 "$IKEV2_HOST_PID" 2>/dev/null || ikev2_fail "our host died"
    ;;
delete-charon)
    ivpn_swanctl "$C" --terminate --ike ivpn --timeout 5 >/dev/null 2>&1 ||
        ikev2_fail "swanctl --terminate failed"
    wait_for 3 grep -q '^event IKE_DOWN' "$HOSTLOG" || ikev2_fail "our host reported no IKE_DOWN"
    grep -q '^event CHILD_DOWN' "$HOSTLOG" || ikev2_fail "our host reported no CHILD_DOWN"
    ip netns exec "$NS_C" ping -n -q -c 1 -W 1 -I $IKEV2_C_INNER $IKEV2_H_INNER >/dev/null 2>&1 &&
        ikev2_fail "a ping crossed after the delete"
    kill -0 "$IKEV2_HOST_PID" 2>/dev/null || ikev2_fail "our host died"
    grep -E '^event (IKE|CHILD)_DOWN' "$HOSTLOG"
    ;;
acquire | effective-immediately | response-only)
    grep -m1 '^event ACQUIRE' "$HOSTLOG"
    traffic_ok
    ;;
exported-swanctl)
    echo "charon loaded our exported swanctl.conf:"
    sed 's/secret = .*/secret = (hidden)/' "$IVPN_WORK/swanctl.conf"
    ivpn_swanctl "$C" --list-conns 2>/dev/null | grep -q '^ivpn:' ||
        ikev2_fail "charon does not list the exported connection"
    traffic_ok
    ;;
rekey-under-ping)
    # a continuous ping each way across both lifetimes; every reply must come back
    ip netns exec "$NS_H" ping -n -q -c 60 -i 0.2 -W 2 -I $IKEV2_H_INNER $IKEV2_C_INNER \
        >"$IVPN_WORK/ping-ours.out" 2>&1 &
    ping_ours=$!
    ip netns exec "$NS_C" ping -n -q -c 60 -i 0.2 -W 2 -I $IKEV2_C_INNER $IKEV2_H_INNER \
        >"$IVPN_WORK/ping-charon.out" 2>&1 &
    ping_charon=$!
    wait "$ping_ours" || ikev2_fail "the ping from our side failed"
    wait "$ping_charon" || ikev2_fail "the ping from charon's side failed"
    for side in ours charon; do
        sum=$(grep -E 'transmitted' "$IVPN_WORK/ping-$side.out")
        echo "ping from $side: $sum"
        case "$sum" in *" 0% packet loss"*) ;; *) ikev2_fail "ping from $side lost replies: $sum" ;; esac
    done
    n_child=$(grep -c '^event CHILD_REKEYED' "$HOSTLOG")
    echo "our host reported $n_child CHILD_REKEYED events"
    [ "$n_child" -ge 1 ] || ikev2_fail "our host did not rekey the Child SA"
    child_changed || ikev2_fail "charon shows no new Child SA"
    ike_changed || ikev2_fail "charon's IKE SA was not rekeyed (SPIs still $first_ike)"
    echo "charon IKE SPIs now: $(ikev2_charon_ike_spis)"
    grep -E 'rekey(ing|ed) (IKE|CHILD)_SA|(IKE|CHILD)_SA .* rekeyed' "$C/charon.log" | head -n 6
    traffic_ok
    ;;
delete-ours)
    ikev2_ping_both 1
    ikev2_stop_host
    wait_for 3 sh -c "! $IVPN_SWANCTL --list-sas --ike ivpn --uri unix://$C/charon.vici | grep -q ESTABLISHED" ||
        ikev2_fail "charon still has the IKE SA after our host exited"
    grep -Em1 'received DELETE for IKE_SA|deleting IKE_SA' "$C/charon.log" ||
        ikev2_fail "charon's log shows no delete from us"
    ;;
esac
ikev2_finish "$KIND as $ROLE"
