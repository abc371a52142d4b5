#!/bin/bash
# owner: v1-interop
# One IKEv1 interop case against strongSwan's charon (topology in ikev2_lib.sh, IKEv1 steps in
# ikev1_lib.sh).
# Usage: ikev1_case.sh HOST_BINARY MODE ROLE ENC INTEG DH ESP_ENC ESP_INTEG PFS [FAMILY]
#   MODE main|aggressive (phase 1); ROLE initiator: our ipsecvpn_host initiates; responder:
#   charon initiates. ENC aes|aes192|aes256|des|3des, INTEG (the IKEv1 hash / ESP
#   authentication) md5|sha1|sha256|sha384|sha512, DH / PFS group1|group2|group5|group14
#   (PFS also disabled): our configuration's spelling. FAMILY 4 (default) or 6: IPv4 or
#   IPv6, outer and inner addresses alike (ikev2_family).
# Passes only if phase 1 runs in MODE, floats to 4500 (NAT-T: charon's kernel-libipsec always
# claims a NAT) and ends with the case's IKE algorithms, quick mode installs the ESP SA pair
# with the case's cipher (and PFS group), pings cross the tunnel both ways (plaintext paths
# are unreachable) and both sides count them on the same SPIs. With PFS, charon then rekeys
# the pair in a new quick mode with a fresh KE, which must carry traffic as well.
# IKEV1_PEER=charon runs the case between two charons (harness self-test, ikev1_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
. "$(dirname "$0")/ikev1_lib.sh"
[ $# -eq 9 ] || [ $# -eq 10 ] ||
    { echo "usage: $0 HOST MODE ROLE ENC INTEG DH ESP_ENC ESP_INTEG PFS [4|6]"; exit 2; }
HOST_BIN=$1 MODE=$2 ROLE=$3 ENC=$4 INTEG=$5 DH=$6 EENC=$7 EINTEG=$8 PFS=$9 FAMILY=${10:-4}
ivpn_require_root_and_charon
[ "$IKEV1_PEER" = charon ] || [ -x "$HOST_BIN" ] ||
    ivpn_skip "ipsecvpn_host is not built ($HOST_BIN)"
command -v ping >/dev/null || ivpn_skip "no ping (iputils-ping)"

ike_prop="$(ikev2_sw_encr "$ENC")-$INTEG-$(ikev2_sw_dh "$DH")"
esp_prop="$(ikev2_sw_encr "$EENC")-$EINTEG"
[ "$PFS" != disabled ] && esp_prop="$esp_prop-$(ikev2_sw_dh "$PFS")"
echo "case: IKEv1 $MODE mode, we are $ROLE; IKE $ike_prop, ESP $esp_prop; IPv$FAMILY (peer: $IKEV1_PEER)"
ikev2_family "$FAMILY"
ikev1_begin v1 "$MODE" "$ike_prop" "$esp_prop"
ikev1_host_conf "$MODE" "$ENC" "$INTEG" "$DH" "$EENC" "$EINTEG" "$PFS" >"$IVPN_WORK/host.conf"
host_args=()
[ "$ROLE" = initiator ] && host_args=(--initiate)
ikev1_start_ours -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 -v "${host_args[@]}" ||
    { IKEV2_FAILURES=1; ikev1_finish; }
ikev1_establish "$ROLE" || ikev1_finish

# phase 1 algorithms as charon negotiated them: AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048
ike_algs=$(ikev2_charon_ike_algs "$C")
case "$ike_algs" in
"$(ikev1_sw_encr_status "$ENC")"/*/"$(ikev1_sw_dh_status "$DH")") ;;
*) ikev2_fail "charon's IKE SA uses $ike_algs" ;;
esac

# check_child: charon's Child SA runs the case's ESP cipher and (IKEv1 quick mode: already the
# first pair) the PFS group
check_child() {
    local want_encr
    want_encr=$(ikev1_sw_encr_status "$EENC")
    case "$CHARON_ALG" in ESP:"$want_encr"/*) ;; *) ikev2_fail "charon's Child SA uses $CHARON_ALG" ;; esac
    if [ "$PFS" != disabled ]; then
        case "$CHARON_ALG" in */"$(ikev1_sw_dh_status "$PFS")") ;;
        *) ikev2_fail "charon's Child SA uses $CHARON_ALG, expected PFS $(ikev1_sw_dh_status "$PFS")" ;;
        esac
    else
        case "$CHARON_ALG" in */MODP_*) ikev2_fail "Child SA with PFS ($CHARON_ALG), none configured" ;; esac
    fi
}
ikev2_ping_both 3
ikev2_check_counters 6
check_child
first_spi=$CHARON_SPI_IN

if [ "$PFS" != disabled ]; then
    # charon rekeys the pair: a quick mode of its own, with KE payloads (PFS)
    ivpn_swanctl "$C" --rekey --child ivpn >/dev/null 2>&1 || ikev2_fail "swanctl --rekey failed"
    for i in $(seq 1 50); do
        read -r si _ <<<"$(ikev2_charon_child "$C")"
        [ -n "$si" ] && [ "$si" != "$first_spi" ] && break
        sleep 0.1
    done
    [ "$si" != "$first_spi" ] || ikev2_fail "the Child SA was not rekeyed"
    # the quick mode responder installs the new pair only on the third message: until then
    # its packets still (correctly) use the old pair
    sleep 0.3
    ikev2_ping_both 2
    ikev2_check_counters 4
    check_child
fi

ikev1_check_peer_counters 4
ikev1_finish "IKEv1 $MODE mode as $ROLE, IKE $ike_prop, ESP $esp_prop, IPv$FAMILY"
