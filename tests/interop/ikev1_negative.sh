#!/bin/bash
# owner: v1-interop
# IKEv1 cases that must NOT establish, against strongSwan's charon (topology in ikev2_lib.sh,
# IKEv1 steps in ikev1_lib.sh). Usage: ikev1_negative.sh HOST_BINARY MODE ROLE KIND
#   MODE main|aggressive; ROLE initiator (we initiate) | responder (charon initiates)
#   KIND wrong-psk: the two PSKs differ in their last character (main mode: the encrypted
#        ID/HASH of message 5 does not decrypt; aggressive mode: HASH_R does not verify);
#        ike-proposal: no common phase-1 proposal (NO_PROPOSAL_CHOSEN);
#        esp-proposal: phase 1 succeeds, no common quick-mode proposal (NO_PROPOSAL_CHOSEN).
# Passes when no Child SA exists on either side, no ping crosses, and the side that can tell
# what went wrong says so: our host with an event carrying the expected error code, charon in
# its log. With a wrong PSK only one side has the proof (the other sees a message it cannot
# decrypt or verify, or no answer at all): in main mode the responder (message 5), in
# aggressive mode the initiator (HASH_R). What the other side reported is printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
. "$(dirname "$0")/ikev1_lib.sh"
[ $# -eq 4 ] || { echo "usage: $0 HOST MODE ROLE KIND"; exit 2; }
HOST_BIN=$1 MODE=$2 ROLE=$3 KIND=$4
ivpn_require_root_and_charon
[ -x "$HOST_BIN" ] || ivpn_skip "ipsecvpn_host is not built ($HOST_BIN)"
command -v ping >/dev/null || ivpn_skip "no ping (iputils-ping)"

ike_prop=aes128-sha256-modp2048 esp_prop=aes128-sha256
ours=(aes sha256 group14 aes sha256 disabled)
host_psk=$IKEV2_PSK
need_ours=yes need_charon=yes
case $KIND in
wrong-psk)
    host_psk="${IKEV2_PSK%?}X"
    want_code=-402 # IPSECVPN_ERR_IKE_AUTH
    want_charon='decryption failed|HASH does not match|AUTHENTICATION_FAILED|INVALID_HASH'
    case $MODE/$ROLE in
    main/responder | aggressive/initiator) need_charon= ;; # we hold the proof
    *) need_ours= ;;                                      # charon does
    esac ;;
ike-proposal)
    ours=(aes sha1 group2 aes sha256 disabled)
    want_code=-401 # IPSECVPN_ERR_IKE_NO_PROPOSAL
    want_charon='NO_PROPOSAL_CHOSEN|no acceptable proposal|no proposal found|proposals unacceptable' ;;
esp-proposal)
    ours=(aes sha256 group14 3des md5 disabled)
    want_code=-401
    want_charon='NO_PROPOSAL_CHOSEN|no acceptable proposal|no matching proposal|proposals unacceptable' ;;
*) echo "unknown KIND $KIND"; exit 2 ;;
esac
echo "case: IKEv1 $MODE mode, we are $ROLE, $KIND"

ikev1_begin v1n "$MODE" "$ike_prop" "$esp_prop"
IKEV2_PSK=$host_psk ikev1_host_conf "$MODE" "${ours[@]}" >"$IVPN_WORK/host.conf"
args=()
[ "$ROLE" = initiator ] && args=(--initiate)
ikev1_start_ours -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 -v "${args[@]}" ||
    { IKEV2_FAILURES=1; ikev1_finish; }
if [ "$ROLE" = responder ]; then
    ivpn_swanctl "$C" --initiate --child ivpn --timeout 3 >"$IVPN_WORK/initiate.out" 2>&1 &&
        ikev2_fail "charon's initiation succeeded"
fi

# give the exchange time to finish (or to fail): until each side that must say so has
ours_said() { grep -q "reason=$want_code" "$HOSTLOG"; }
charon_said() { grep -Eq "$want_charon" "$C/charon.log"; }
for i in $(seq 1 50); do
    { [ -z "$need_ours" ] || ours_said; } && { [ -z "$need_charon" ] || charon_said; } && break
    sleep 0.1
done
sleep 0.3
# all checks of our host's events come before the ping: a ping from our side would start a
# negotiation of its own
grep -q '^event CHILD_UP' "$HOSTLOG" && ikev2_fail "our host reported a Child SA"
[ "$KIND" != esp-proposal ] && grep -q '^event IKE_UP' "$HOSTLOG" &&
    ikev2_fail "our host reported an ISAKMP SA"
[ -n "$(ikev2_charon_child "$C")" ] && ikev2_fail "charon has an INSTALLED Child SA"
if ours_said; then
    echo "ours: $(grep "reason=$want_code" "$HOSTLOG" | head -n1)"
elif [ -n "$need_ours" ]; then
    ikev2_fail "our host reported no event with reason $want_code"
else
    echo "ours (no proof on this side): $(grep -Em2 '^\[warning\]|reason=' "$HOSTLOG" | tr '\n' ' ')"
fi
if charon_said; then
    echo "charon: $(grep -Em1 "$want_charon" "$C/charon.log")"
elif [ -n "$need_charon" ]; then
    ikev2_fail "charon's log does not show /$want_charon/"
else
    echo "charon (no proof on this side): $(grep -Em1 'retransmit|N\(' "$C/charon.log")"
fi
ip netns exec "$NS_H" ping -n -q -c 1 -W 1 -I $IKEV2_H_INNER $IKEV2_C_INNER >/dev/null 2>&1 &&
    ikev2_fail "a ping crossed without a tunnel"
ikev1_finish "$KIND refused in $MODE mode as $ROLE"
