#!/bin/bash
# IKEv2 interop cases that must NOT establish, against strongSwan's charon (topology in
# ikev2_lib.sh). Usage: ikev2_negative.sh HOST_BINARY ROLE KIND
#   ROLE initiator (we initiate) | responder (charon initiates)
#   KIND wrong-psk: the two PSKs differ in one character;
#        ike-proposal: no common IKE proposal; esp-proposal: no common ESP proposal.
# Passes when no Child SA exists on either side, no ping crosses, our host reports the
# failure as an event with the expected error code, and charon logs the expected reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
[ $# -eq 3 ] || { echo "usage: $0 HOST ROLE KIND"; exit 2; }
HOST_BIN=$1 ROLE=$2 KIND=$3
ivpn_require_root_and_charon
[ -x "$HOST_BIN" ] || ivpn_skip "ipsecvpn_host is not built ($HOST_BIN): the IKE engine" \
    "(ipsecvpn_engine_new) is not in lib/ yet"

# what each side is configured with, what our host must report, what charon must log
ike_prop=aes128-sha256-modp2048 esp_prop=aes128-sha256
ours=(aes sha256 group14 aes sha256 disabled)
host_psk=$IKEV2_PSK
case $KIND in
wrong-psk)
    host_psk="${IKEV2_PSK%?}X"
    want_code=-402 # IPSECVPN_ERR_IKE_AUTH
    want_charon='AUTHENTICATION_FAILED|tried .* shared key|verification failed' ;;
ike-proposal)
    ours=(aes sha1 group2 aes sha256 disabled)
    want_code=-401 # IPSECVPN_ERR_IKE_NO_PROPOSAL
    want_charon='NO_PROPOSAL_CHOSEN|no acceptable proposal|proposals unacceptable|N\(NO_PROP\)' ;;
esp-proposal)
    ours=(aes sha256 group14 3des md5 disabled)
    want_code=-401
    want_charon='NO_PROPOSAL_CHOSEN|no acceptable proposal|proposals unacceptable|N\(NO_PROP\)' ;;
*) echo "unknown KIND $KIND"; exit 2 ;;
esac
echo "case: we are $ROLE, $KIND"

ikev2_begin v2n "$ike_prop" "$esp_prop"
IKEV2_PSK=$host_psk ikev2_host_conf lines "${ours[@]}" >"$IVPN_WORK/host.conf"
args=()
[ "$ROLE" = initiator ] && args=(--initiate)
ikev2_start_host "$NS_H" "$HOST_BIN" "$HOSTLOG" -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 \
    "${args[@]}" || { echo "FAIL: host did not start"; exit 1; }
if [ "$ROLE" = responder ]; then
    ivpn_swanctl "$C" --initiate --child ivpn --timeout 5 >"$IVPN_WORK/initiate.out" 2>&1 &&
        ikev2_fail "charon's initiation succeeded"
fi
# give the exchange time to finish (or to fail). An initiator told NO_PROPOSAL_CHOSEN in the
# unprotected IKE_SA_INIT answer waits out its retransmissions before failing (RFC 7296
# §2.21.1): 500 ms doubling, 5 retransmissions, 31.5 s.
for i in $(seq 1 450); do
    grep -q "reason=$want_code" "$HOSTLOG" && grep -Eq "$want_charon" "$C/charon.log" && break
    sleep 0.1
done
sleep 0.3

grep -q '^event CHILD_UP' "$HOSTLOG" && ikev2_fail "our host reported a Child SA"
[ -n "$(ikev2_charon_child "$C")" ] && ikev2_fail "charon has an INSTALLED Child SA"
ip netns exec "$NS_H" ping -n -q -c 1 -W 1 -I $IKEV2_H_INNER $IKEV2_C_INNER >/dev/null 2>&1 &&
    ikev2_fail "a ping crossed without a tunnel"
if grep -q "reason=$want_code" "$HOSTLOG"; then
    echo "ours: $(grep "reason=$want_code" "$HOSTLOG" | head -n1)"
else
    ikev2_fail "our host reported no event with reason $want_code"
fi
if line=$(grep -Em1 "$want_charon" "$C/charon.log"); then
    echo "charon: $line"
else
    ikev2_fail "charon's log does not show /$want_charon/"
fi
ikev2_finish "$KIND refused as $ROLE"
