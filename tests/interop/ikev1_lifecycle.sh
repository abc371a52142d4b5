#!/bin/bash
# owner: v1-interop
# The life of an IKEv1 tunnel after establishment, against strongSwan's charon (topology in
# ikev2_lib.sh, IKEv1 steps in ikev1_lib.sh). IKE aes256-sha256-modp2048, ESP
# aes128-sha256 with PFS modp2048 unless said otherwise.
# Usage: ikev1_lifecycle.sh HOST_BINARY MODE ROLE KIND [EXPORT_BINARY]
#   MODE main|aggressive, ROLE initiator|responder (who establishes, as in ikev1_case.sh)
#   rekey-under-ping         our Child SA lifetime is 6 s: we rekey it in a quick mode (with PFS)
#                            while a ping runs each way every 0.2 s for 7 s; no reply may be
#                            lost (our soft limit is 80-90 % of 6 s: one rekey in the window,
#                            none during the final counter checks)
#   rekey-under-ping-charon  the same with charon rekeying every 3 s (rekey_time): twice
#   peer-dead     our host runs DPD (RFC 3706, dpd.interval 1 s, dpd.timeout 4 s): charon
#                 must answer R-U-THERE while alive; once charon is killed the host must
#                 report PEER_DEAD
#   dpd-charon    charon sends R-U-THERE every second (dpd_delay): we must answer with
#                 R-U-THERE-ACK and the SAs must survive
#   isakmp-rekey-ours    our ISAKMP SA lifetime is 8 s: we replace it with a new phase 1
#                 before it expires; charon must end with one (new) ISAKMP SA, over which it
#                 then rekeys the Child SA, and traffic must flow
#   isakmp-rekey-charon  charon replaces the ISAKMP SA every 8 s (rekey_time): it runs a new
#                 phase 1 and deletes the old SA right away; we must follow, keep the Child
#                 SA, and end with one ISAKMP SA on charon over which traffic still flows
#   delete-charon-child  charon deletes the Child SA (INFORMATIONAL, Delete ESP): we must
#                 report CHILD_DOWN and keep the ISAKMP SA, over which charon then runs a
#                 new quick mode that must carry traffic
#   delete-charon-ike    charon deletes the ISAKMP SA (and its Child SA): we must report
#                 CHILD_DOWN and IKE_DOWN, and no ping may cross afterwards
#   delete-ours   our host exits: charon must receive our Delete payloads and drop the SAs
#   exported-swanctl     charon runs on the swanctl.conf our exporter writes for the peer of
#                 our own IKEv1 connection (ipsecvpn_connection_export, SWANCTL), as is
# IKEV1_PEER=charon runs the case between two charons (harness self-test, ikev1_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
. "$(dirname "$0")/ikev1_lib.sh"
[ $# -eq 4 ] || [ $# -eq 5 ] || { echo "usage: $0 HOST MODE ROLE KIND [EXPORT_BINARY]"; exit 2; }
HOST_BIN=$1 MODE=$2 ROLE=$3 KIND=$4 EXPORT_BIN=${5:-}
ivpn_require_root_and_charon
[ "$IKEV1_PEER" = charon ] || [ -x "$HOST_BIN" ] ||
    ivpn_skip "ipsecvpn_host is not built ($HOST_BIN)"
command -v ping >/dev/null || ivpn_skip "no ping (iputils-ping)"

ours=(aes256 sha256 group14 aes sha256 group14)
extra_host=() conn_extra="" child_extra=""
case $KIND in
rekey-under-ping)
    extra_host=(ipsec.lifetime=6)
    IKEV1_PEER_CHILD_EXTRA="rekey_time = 5s
                life_time = 6s
                rand_time = 0s" ;;
rekey-under-ping-charon)
    child_extra="rekey_time = 3s
                life_time = 30s
                rand_time = 0s" ;;
peer-dead)
    extra_host=(dpd.enabled=on dpd.interval=1 dpd.timeout=4)
    IKEV1_PEER_CONN_EXTRA="dpd_delay = 1s
        dpd_timeout = 4s" ;;
isakmp-rekey-ours)
    # charon replaces its IKEv1 SA with INITIAL_CONTACT, which drops the Child SA on the
    # other charon: nothing to compare our engine with
    [ "$IKEV1_PEER" = charon ] && ivpn_skip "isakmp-rekey-ours has no charon stand-in"
    extra_host=(ike.lifetime=8) ;;
isakmp-rekey-charon)
    [ "$IKEV1_PEER" = charon ] && ivpn_skip "isakmp-rekey-charon has no charon stand-in"
    conn_extra="rekey_time = 8s
        reauth_time = 0s
        rand_time = 0s" ;;
dpd-charon)
    conn_extra="dpd_delay = 1s
        dpd_timeout = 10s" ;;
delete-charon-child | delete-charon-ike | delete-ours) ;;
exported-swanctl)
    [ -x "$EXPORT_BIN" ] || { echo "exported-swanctl needs the export binary"; exit 2; }
    extra_host=(dpd.enabled=on dpd.interval=10 dpd.timeout=30)
    # charon's whole file is our exporter's output for the peer of our host's connection
    ikev2_case_swanctl() {
        write_host_conf
        "$EXPORT_BIN" "$IVPN_WORK/host.conf"
    } ;;
*) echo "unknown KIND $KIND"; exit 2 ;;
esac
write_host_conf() {
    ikev1_host_conf "$MODE" "${ours[@]}" >"$IVPN_WORK/host.conf"
    printf '%s\n' "${extra_host[@]}" >>"$IVPN_WORK/host.conf"
}
echo "case: IKEv1 $MODE mode, we are $ROLE, $KIND (peer: $IKEV1_PEER)"
ikev1_begin v1l "$MODE" aes256-sha256-modp2048 aes128-sha256-modp2048 "$conn_extra" "$child_extra"
write_host_conf
args=()
[ "$ROLE" = initiator ] && args=(--initiate)
ikev1_start_ours -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 -v "${args[@]}" ||
    { IKEV2_FAILURES=1; ikev1_finish; }
ikev1_establish "$ROLE" || ikev1_finish
read -r first_child _ <<<"$(ikev2_charon_child "$C")"
first_ike=$(ikev2_charon_ike_spis)
echo "charon IKE SPIs: $first_ike"

# ---- what our side did, from our host's events or (self-test) the peer charon's state -----
peer_sas() { ivpn_swanctl "$IKEV1_PEER_DIR" --list-sas --ike ivpn 2>/dev/null; }
ours_child_rekeyed() {
    if [ "$IKEV1_PEER" = charon ]; then
        grep -q 'state change: REKEYING => REKEYED' "$IKEV1_PEER_DIR/charon.log"
    else
        grep -q '^event CHILD_REKEYED' "$HOSTLOG"
    fi
}
ours_peer_dead() {
    if [ "$IKEV1_PEER" = charon ]; then
        ! peer_sas | grep -q ESTABLISHED
    else
        grep -q '^event PEER_DEAD' "$HOSTLOG"
    fi
}
ours_child_down() {
    if [ "$IKEV1_PEER" = charon ]; then
        [ -z "$(ikev2_charon_child "$IKEV1_PEER_DIR")" ]
    else
        grep -q '^event CHILD_DOWN' "$HOSTLOG"
    fi
}
ours_ike_down() {
    if [ "$IKEV1_PEER" = charon ]; then
        ! peer_sas | grep -q ESTABLISHED
    else
        grep -q '^event IKE_DOWN' "$HOSTLOG"
    fi
}
ours_alive() {
    [ "$IKEV1_PEER" = charon ] || kill -0 "$IKEV2_HOST_PID" 2>/dev/null
}
ours_events() { [ "$IKEV1_PEER" != charon ] && grep -E "^event ($1)" "$HOSTLOG"; }
child_changed() {
    local si
    read -r si _ <<<"$(ikev2_charon_child "$C")"
    [ -n "$si" ] && [ "$si" != "$first_child" ]
}
charon_ike_up() { ivpn_swanctl "$C" --list-sas --ike ivpn 2>/dev/null | grep -q ESTABLISHED; }
traffic_ok() {
    ikev2_ping_both 2
    ikev2_check_counters 4
    ikev1_check_peer_counters 4
}
# ping_both_continuously COUNT: a ping each way every 0.2 s at the same time; none may be lost
ping_both_continuously() {
    local p1 p2 side sum
    ip netns exec "$NS_H" ping -n -q -c "$1" -i 0.2 -W 2 -I $IKEV2_H_INNER $IKEV2_C_INNER \
        >"$IVPN_WORK/ping-ours.out" 2>&1 &
    p1=$!
    ip netns exec "$NS_C" ping -n -q -c "$1" -i 0.2 -W 2 -I $IKEV2_C_INNER $IKEV2_H_INNER \
        >"$IVPN_WORK/ping-charon.out" 2>&1 &
    p2=$!
    wait "$p1"
    wait "$p2"
    for side in ours charon; do
        sum=$(grep -E 'transmitted' "$IVPN_WORK/ping-$side.out")
        echo "ping from $side: $sum"
        case "$sum" in *" 0% packet loss"*) ;; *) ikev2_fail "ping from $side lost replies: $sum" ;; esac
    done
}

case $KIND in
rekey-under-ping | rekey-under-ping-charon)
    ping_both_continuously 35
    if [ "$KIND" = rekey-under-ping ]; then
        ours_child_rekeyed || ikev2_fail "our host did not rekey the Child SA (lifetime 6 s)"
        ours_events CHILD_REKEYED | head -n 2
    else
        n=$(grep -c 'parsed QUICK_MODE response' "$C/charon.log")
        echo "charon initiated $n quick modes (the first and its rekeys)"
        [ "$n" -ge 3 ] || ikev2_fail "charon did not rekey the Child SA twice (rekey_time 3 s)"
    fi
    child_changed || ikev2_fail "charon shows no new Child SA"
    [ "$first_ike" = "$(ikev2_charon_ike_spis)" ] || ikev2_fail "the ISAKMP SA changed"
    grep -E 'rekey(ing|ed) CHILD_SA|CHILD_SA .* rekeyed' "$C/charon.log" | head -n 4
    case "$(ikev2_charon_child "$C")" in */MODP_2048) ;;
    *) ikev2_fail "rekeyed Child SA without PFS: $(ikev2_charon_child "$C")" ;;
    esac
    traffic_ok
    ;;
peer-dead)
    # no traffic: our host checks liveness every second, charon must answer each time
    sleep 3.5
    n=$(grep -Ec 'parsed INFORMATIONAL_V1 request [0-9]+ \[ HASH N\(DPD\) \]' "$C/charon.log")
    a=$(grep -Ec 'generating INFORMATIONAL_V1 request [0-9]+ \[ HASH N\(DPD_ACK\) \]' "$C/charon.log")
    echo "charon received $n R-U-THERE and answered $a"
    [ "$n" -ge 2 ] && [ "$a" -ge 2 ] || ikev2_fail "$n R-U-THERE / $a ACKs in 3.5 s with a 1 s interval"
    ours_peer_dead && ikev2_fail "our side declared the live charon dead"
    ivpn_stop_charon "$C" # SIGKILL: charon vanishes without a word
    ikev1_wait_for 15 ours_peer_dead ||
        ikev2_fail "our side did not declare the dead peer dead (dpd.timeout 4 s)"
    ours_events 'PEER_DEAD|IKE_DOWN|CHILD_DOWN'
    ours_alive || ikev2_fail "our host died"
    ;;
dpd-charon)
    sleep 4
    n=$(grep -c 'sending DPD request' "$C/charon.log")
    a=$(grep -Ec 'parsed INFORMATIONAL_V1 request [0-9]+ \[ HASH N\(DPD_ACK\) \]' "$C/charon.log")
    echo "charon sent $n R-U-THERE and received $a R-U-THERE-ACK"
    [ "$n" -ge 2 ] && [ "$a" -ge 2 ] || ikev2_fail "$n R-U-THERE / $a ACKs in 4 s with dpd_delay 1 s"
    [ "$first_ike" = "$(ikev2_charon_ike_spis)" ] || ikev2_fail "the ISAKMP SA did not survive"
    ours_events PEER_DEAD && ikev2_fail "our host declared charon dead"
    traffic_ok
    ;;
isakmp-rekey-ours | isakmp-rekey-charon)
    ike_changed() {
        local spis
        spis=$(ikev2_charon_ike_spis)
        [ -n "$spis" ] && [ "$spis" != "$first_ike" ]
    }
    one_ike() { [ "$(ivpn_swanctl "$C" --list-sas --ike ivpn | grep -c '^ivpn: .*ESTABLISHED')" = 1 ]; }
    ikev2_ping_both 1
    ikev1_wait_for 14 ike_changed || ikev2_fail "the ISAKMP SA was not replaced ($KIND, 8 s)"
    echo "charon IKE SPIs now: $(ikev2_charon_ike_spis)"
    ikev1_wait_for 5 one_ike || ikev2_fail "charon does not have exactly one established ISAKMP SA"
    ours_events 'IKE_UP|IKE_DOWN|CHILD_'
    grep -Em3 'IKE_SA .* established|reauth|received DELETE for IKE_SA' "$C/charon.log"
    ikev2_ping_both 1
    read -r first_child _ <<<"$(ikev2_charon_child "$C")"
    ivpn_swanctl "$C" --rekey --child ivpn >/dev/null 2>&1 || ikev2_fail "swanctl --rekey failed"
    ikev1_wait_for 5 child_changed || ikev2_fail "charon could not rekey the Child SA"
    sleep 0.3
    traffic_ok
    ;;
delete-charon-child)
    ikev2_ping_both 1
    ivpn_swanctl "$C" --terminate --child ivpn --timeout 5 >/dev/null 2>&1 ||
        ikev2_fail "swanctl --terminate --child failed"
    ikev1_wait_for 3 ours_child_down || ikev2_fail "our side did not notice the Delete (ESP)"
    grep -Em1 'sending DELETE for ESP CHILD_SA|generating INFORMATIONAL_V1 .*D' "$C/charon.log"
    ours_events 'CHILD_DOWN|IKE_DOWN'
    ours_ike_down && ikev2_fail "our side dropped the ISAKMP SA too"
    charon_ike_up || ikev2_fail "charon's ISAKMP SA is gone"
    ip netns exec "$NS_C" ping -n -q -c 1 -W 1 -I $IKEV2_C_INNER $IKEV2_H_INNER >/dev/null 2>&1 &&
        ikev2_fail "a ping crossed after the delete"
    # a new quick mode over the same ISAKMP SA
    ivpn_swanctl "$C" --initiate --child ivpn --timeout 10 >"$IVPN_WORK/initiate.out" 2>&1 ||
        ikev2_fail "charon's new quick mode failed: $(tail -n 3 "$IVPN_WORK/initiate.out")"
    [ "$first_ike" = "$(ikev2_charon_ike_spis)" ] || ikev2_fail "the ISAKMP SA changed"
    ikev1_wait_for 3 child_changed || ikev2_fail "charon has no new Child SA"
    if [ "$IKEV1_PEER" != charon ]; then
        ikev1_wait_for 3 sh -c "[ \$(grep -c '^event CHILD_UP' '$HOSTLOG') -ge 2 ]" ||
            ikev2_fail "our host reported no second CHILD_UP"
    fi
    traffic_ok
    ;;
delete-charon-ike)
    ikev2_ping_both 1
    ivpn_swanctl "$C" --terminate --ike ivpn --timeout 5 >/dev/null 2>&1 ||
        ikev2_fail "swanctl --terminate --ike failed"
    ikev1_wait_for 3 ours_ike_down || ikev2_fail "our side did not notice the Delete (ISAKMP)"
    ours_child_down || ikev2_fail "our side still has the Child SA"
    grep -Em2 'sending DELETE for' "$C/charon.log"
    ours_events 'CHILD_DOWN|IKE_DOWN'
    ip netns exec "$NS_C" ping -n -q -c 1 -W 1 -I $IKEV2_C_INNER $IKEV2_H_INNER >/dev/null 2>&1 &&
        ikev2_fail "a ping crossed after the delete"
    ours_alive || ikev2_fail "our host died"
    ;;
delete-ours)
    ikev2_ping_both 1
    ikev2_check_counters 2
    if [ "$IKEV1_PEER" = charon ]; then
        ivpn_swanctl "$IKEV1_PEER_DIR" --terminate --ike ivpn --timeout 5 >/dev/null 2>&1
    else
        ikev2_stop_host
        ikev2_check_our_counters 2
    fi
    ikev1_wait_for 3 sh -c "! $IVPN_SWANCTL --list-sas --ike ivpn --uri unix://$C/charon.vici | grep -q ESTABLISHED" ||
        ikev2_fail "charon still has the ISAKMP SA after our side deleted it"
    grep -Em1 'received DELETE for (ESP )?CHILD_SA' "$C/charon.log" ||
        ikev2_fail "charon's log shows no Delete (ESP) from us"
    grep -Em1 'received DELETE for IKE_SA' "$C/charon.log" ||
        ikev2_fail "charon's log shows no Delete (ISAKMP) from us"
    ;;
exported-swanctl)
    echo "charon loaded our exported swanctl.conf:"
    sed 's/secret = .*/secret = (hidden)/' "$IVPN_WORK/swanctl.conf"
    ivpn_swanctl "$C" --list-conns 2>/dev/null | grep -q '^ivpn: IKEv1' ||
        ikev2_fail "charon does not list the exported connection as IKEv1"
    traffic_ok
    ;;
esac
ikev1_finish "IKEv1 $MODE mode as $ROLE: $KIND"
