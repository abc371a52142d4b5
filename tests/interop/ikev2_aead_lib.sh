# owner: ike-aead
# AEAD (aes128gcm16 / aes256gcm16) and ECP / X25519 groups in the IKEv2 interop cases: the
# strongSwan proposal and status spellings that differ from the CBC/HMAC + MODP ones.
# Sourced by ikev2_case.sh after ikev2_lib.sh; every function leaves non-AEAD cases alone.

ikev2_is_aead() { case $1 in *gcm*) return 0 ;; *) return 1 ;; esac; }

# Our group spelling (group19.., ecp256.., x25519) -> strongSwan's keyword, else unchanged.
ikev2_aead_sw_dh() {
    case $1 in
    group19) echo ecp256 ;; group20) echo ecp384 ;; group21) echo ecp521 ;;
    group31 | x25519) echo curve25519 ;; *) ikev2_sw_dh "$1" ;;
    esac
}

# Rewrite ike_prop / esp_prop of ikev2_case.sh: with an AEAD IKE cipher strongSwan needs the
# PRF named (aes128gcm16-prfsha256-curve25519, RFC 5282 has no INTEG transform to derive it
# from); an AEAD ESP proposal carries no integrity algorithm (aes256gcm16-ecp256).
ikev2_aead_adjust() {
    local enc=$1 integ=$2 dh=$3 eenc=$4 einteg=$5 pfs=$6
    if ikev2_is_aead "$enc"; then
        ike_prop="$(ikev2_sw_encr "$enc")-prf$integ-$(ikev2_aead_sw_dh "$dh")"
    else
        ike_prop="$(ikev2_sw_encr "$enc")-$integ-$(ikev2_aead_sw_dh "$dh")"
    fi
    if ikev2_is_aead "$eenc"; then
        esp_prop="$(ikev2_sw_encr "$eenc")"
    else
        esp_prop="$(ikev2_sw_encr "$eenc")-$einteg"
    fi
    [ "$pfs" != disabled ] && esp_prop="$esp_prop-$(ikev2_aead_sw_dh "$pfs")"
    return 0
}

# charon's status name of an ESP cipher (swanctl --list-sas): AES_GCM_16-256; else $2.
ikev2_aead_charon_encr() {
    case $1 in aes128gcm16) echo AES_GCM_16-128 ;; aes256gcm16) echo AES_GCM_16-256 ;;
    *) echo "$2" ;; esac
}

# charon's status name of a group: ECP_256, CURVE_25519; else $2.
ikev2_aead_charon_dh() {
    case $(ikev2_aead_sw_dh "$1") in
    ecp256) echo ECP_256 ;; ecp384) echo ECP_384 ;; ecp521) echo ECP_521 ;;
    curve25519) echo CURVE_25519 ;; *) echo "$2" ;;
    esac
}

# With an AEAD IKE cipher: charon's IKE SA runs it, with a PRF, no integrity, and the group.
ikev2_aead_check_ike() {
    ikev2_is_aead "$1" || return 0
    local algs
    algs=$(ikev2_charon_ike_algs "$C")
    case "$algs" in
    "$(ikev2_aead_charon_encr "$1")"/PRF_*/"$(ikev2_aead_charon_dh "$2")") ;;
    *) ikev2_fail "charon's IKE SA uses $algs" ;;
    esac
}
