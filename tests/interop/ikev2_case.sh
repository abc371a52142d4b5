#!/bin/bash
# One IKEv2 interop case against strongSwan's charon (see ikev2_lib.sh for the topology).
# Usage: ikev2_case.sh HOST_BINARY ROLE ENC INTEG DH ESP_ENC ESP_INTEG PFS [FAMILY]
#   ROLE initiator: our ipsecvpn_host initiates; responder: charon initiates.
#   ENC aes|aes192|aes256|des|3des, INTEG md5|sha1|sha256|sha384|sha512,
#   DH / PFS group1|group2|group5|group14 (PFS also disabled): our configuration spelling.
#   Also ENC / ESP_ENC aes128gcm16|aes256gcm16 (INTEG then names the IKE PRF, ESP has none)
#   and DH / PFS group19..21|ecp256..521|group31|x25519 (ikev2_aead_lib.sh).
#   FAMILY 4 (default) or 6: IPv4 or IPv6, outer and inner addresses alike.
# Passes only if the IKE and Child SAs come up with the case's algorithms, pings cross the
# tunnel both ways (plaintext paths are unreachable), both sides count ESP packets in and out
# on the same SPIs, and -- with PFS -- a Child SA rekeyed by charon with a fresh DH exchange
# carries traffic as well. Our side reads field=value lines as initiator and the cloud JSON
# as responder (unless IKEV2_HOST_JSON=no: a library without cJSON), so both configuration
# paths of the host are exercised.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
. "$(dirname "$0")/ikev2_aead_lib.sh"
[ $# -eq 8 ] || [ $# -eq 9 ] ||
    { echo "usage: $0 HOST ROLE ENC INTEG DH ESP_ENC ESP_INTEG PFS [4|6]"; exit 2; }
HOST_BIN=$1 ROLE=$2 ENC=$3 INTEG=$4 DH=$5 EENC=$6 EINTEG=$7 PFS=$8 FAMILY=${9:-4}
ivpn_require_root_and_charon
[ -x "$HOST_BIN" ] || ivpn_skip "ipsecvpn_host is not built ($HOST_BIN): the IKE engine" \
    "(ipsecvpn_engine_new) is not in lib/ yet, so nothing can establish a tunnel"
command -v ping >/dev/null || ivpn_skip "no ping (iputils-ping)"

ike_prop="$(ikev2_sw_encr "$ENC")-$INTEG-$(ikev2_sw_dh "$DH")"
esp_prop="$(ikev2_sw_encr "$EENC")-$EINTEG"
[ "$PFS" != disabled ] && esp_prop="$esp_prop-$(ikev2_sw_dh "$PFS")"
ikev2_aead_adjust "$ENC" "$INTEG" "$DH" "$EENC" "$EINTEG" "$PFS"
echo "case: we are $ROLE; IKE $ike_prop, ESP $esp_prop; IPv$FAMILY"
ikev2_family "$FAMILY"
ikev2_begin v2 "$ike_prop" "$esp_prop"

if [ "$ROLE" = initiator ] || [ "${IKEV2_HOST_JSON:-yes}" = no ]; then
    ikev2_host_conf lines "$ENC" "$INTEG" "$DH" "$EENC" "$EINTEG" "$PFS" >"$IVPN_WORK/host.conf"
else
    ikev2_host_conf json "$ENC" "$INTEG" "$DH" "$EENC" "$EINTEG" "$PFS" >"$IVPN_WORK/host.conf"
fi
host_args=()
[ "$ROLE" = initiator ] && host_args=(--initiate)
ikev2_start_host "$NS_H" "$HOST_BIN" "$HOSTLOG" -c "$IVPN_WORK/host.conf" --tun ipsecvpn0 -v \
    "${host_args[@]}" || { IKEV2_FAILURES=1; ikev2_finish; }
ikev2_establish "$ROLE" || ikev2_finish

ikev2_aead_check_ike "$ENC" "$DH"
ikev2_ping_both 3
ikev2_check_counters 6
first_spi=$CHARON_SPI_IN
expect_alg=$(echo "$EENC" | sed 's/^aes$/AES_CBC-128/; s/^aes\(...\)$/AES_CBC-\1/; s/^3des$/3DES_CBC/; s/^des$/DES_CBC/')
expect_alg=$(ikev2_aead_charon_encr "$EENC" "$expect_alg")
case "$CHARON_ALG" in ESP:"$expect_alg"/* | ESP:"$expect_alg") ;; *) ikev2_fail "charon's Child SA uses $CHARON_ALG" ;; esac

if [ "$PFS" != disabled ]; then
    # charon rekeys the Child SA in a CREATE_CHILD_SA exchange with a KE payload
    ivpn_swanctl "$C" --rekey --child ivpn >/dev/null 2>&1 || ikev2_fail "swanctl --rekey failed"
    for i in $(seq 1 50); do
        read -r si _ <<<"$(ikev2_charon_child "$C")"
        [ -n "$si" ] && [ "$si" != "$first_spi" ] && break
        sleep 0.1
    done
    [ "$si" != "$first_spi" ] || ikev2_fail "the Child SA was not rekeyed"
    ikev2_ping_both 2
    ikev2_check_counters 4
    pfs_name=$(ikev2_sw_dh "$PFS" | tr a-z A-Z | sed 's/MODP/MODP_/')
    pfs_name=$(ikev2_aead_charon_dh "$PFS" "$pfs_name")
    case "$CHARON_ALG" in */"$pfs_name") ;;
    *) ikev2_fail "rekeyed Child SA uses $CHARON_ALG, expected PFS $pfs_name" ;;
    esac
fi

ikev2_stop_host
ikev2_check_our_counters 4
ikev2_finish "IKEv2 $ROLE, IKE $ike_prop, ESP $esp_prop, IPv$FAMILY"
