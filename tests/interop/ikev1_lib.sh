#!/bin/bash
# owner: v1-interop
# Shared steps of the IKEv1 interop cases: our ipsecvpn_host (ike.version=ikev1) against
# strongSwan's charon (`version = 1`), main or aggressive mode, in the topology of
# ikev2_lib.sh. Source after lib.sh and ikev2_lib.sh: the namespaces, our host's start/stop,
# the pings and both sides' SA counters do not depend on the IKE version and are reused from
# there; this file adds what does (charon's and our configuration, the establishment checks).
#
# IKEv1 specifics on charon's side: `version = 1`; `aggressive = yes` for aggressive mode
# (lib.sh's strongswan.conf already sets i_dont_care_about_security_and_use_aggressive_mode_psk,
# without which charon refuses aggressive mode with a PSK; a connection with aggressive = yes
# refuses main mode); DPD needs dpd_delay and dpd_timeout. charon's kernel-libipsec always
# claims to be behind a NAT, so our side must float to 4500 after the NAT-D exchange
# (RFC 3947) and carry ESP in UDP (UDP-Encapsulated-Tunnel mode).
#
# IKEV1_PEER=charon (self-test of this harness, no engine needed): a second charon in our
# namespace, configured as the mirror image of the first, plays our part. Every case then
# checks that charon itself does what the case expects, so a case failing against our
# engine is our engine's failure, not the harness's.

IKEV1_PEER=${IKEV1_PEER:-host}
IKEV1_MODE=main
IKEV1_CONN_EXTRA=
IKEV1_CHILD_EXTRA=
# the self-test's peer charon: what stands in for our host's settings (e.g. its DPD or its
# short Child SA lifetime), set by the case; empty by default
IKEV1_PEER_CONN_EXTRA=${IKEV1_PEER_CONN_EXTRA-}
IKEV1_PEER_CHILD_EXTRA=${IKEV1_PEER_CHILD_EXTRA-}
IKEV1_PEER_DIR=

# ikev1_swanctl_conf MODE IKE_PROPOSAL ESP_PROPOSAL [CONN_EXTRA] [CHILD_EXTRA] [MIRROR]:
# charon's connection "ivpn" (MIRROR=mirror: the same seen from our side, for the self-test).
ikev1_swanctl_conf() {
    local mode=$1 ike=$2 esp=$3 conn_extra=${4:-} child_extra=${5:-} mirror=${6:-}
    local la=$IKEV2_C_OUTER ra=$IKEV2_H_OUTER lts=$IKEV2_C_NET rts=$IKEV2_H_NET aggr=no
    [ "$mirror" = mirror ] && la=$IKEV2_H_OUTER ra=$IKEV2_C_OUTER lts=$IKEV2_H_NET rts=$IKEV2_C_NET
    [ "$mode" = aggressive ] && aggr=yes
    cat <<CONF
connections {
    ivpn {
        version = 1
        aggressive = $aggr
        local_addrs = $la
        remote_addrs = $ra
        proposals = $ike
        mobike = no
        $conn_extra
        local {
            auth = psk
            id = $la
        }
        remote {
            auth = psk
            id = $ra
        }
        children {
            ivpn {
                local_ts = $lts
                remote_ts = $rts
                esp_proposals = $esp
                mode = tunnel
                start_action = none
                $child_extra
            }
        }
    }
}
secrets {
    ike-ivpn {
        id-1 = $la
        id-2 = $ra
        secret = "$IKEV2_PSK"
    }
}
CONF
}

# ikev1_host_conf MODE ENC INTEG DH ESP_ENC ESP_INTEG PFS: our side, field=value lines.
ikev1_host_conf() {
    IKEV2_PSK=$IKEV2_PSK ikev2_host_conf lines "$2" "$3" "$4" "$5" "$6" "$7" |
        sed "s/^ike.version=.*/ike.version=ikev1\nike.mode=$1/"
}

# ikev1_begin TAG MODE IKE_PROPOSAL ESP_PROPOSAL [CONN_EXTRA] [CHILD_EXTRA]: ikev2_begin
# (work dir, namespaces, charon) with charon's IKEv1 connection loaded, unless the case
# defined ikev2_case_swanctl itself (the exported-swanctl case).
ikev1_begin() {
    IKEV1_MODE=$2 IKEV1_CONN_EXTRA=${5:-} IKEV1_CHILD_EXTRA=${6:-}
    IKEV1_IKE_PROP=$3 IKEV1_ESP_PROP=$4
    if ! declare -F ikev2_case_swanctl >/dev/null; then
        ikev2_case_swanctl() {
            ikev1_swanctl_conf "$IKEV1_MODE" "$IKEV1_IKE_PROP" "$IKEV1_ESP_PROP" \
                "$IKEV1_CONN_EXTRA" "$IKEV1_CHILD_EXTRA"
        }
    fi
    ikev2_begin "$1" "$3" "$4"
    [ -n "${IVPN_KEEP:-}" ] && echo "work dir (kept): $IVPN_WORK"
    [ "$IKEV1_PEER" = charon ] && IKEV1_PEER_DIR=$IVPN_WORK/peer
    return 0
}

# ikev1_start_ours ARGS...: our host with ARGS (ikev2_start_host), or the mirrored charon.
# With IKEV1_PEER=charon, --initiate among ARGS makes that charon initiate in
# ikev1_establish; other host arguments are ignored.
IKEV1_PEER_INITIATES=
ikev1_start_ours() {
    if [ "$IKEV1_PEER" != charon ]; then
        # IKEV1_DEBUG=1: our host with the library's debug log (-v -v)
        [ -n "${IKEV1_DEBUG:-}" ] && set -- "$@" -v
        ikev2_start_host "$NS_H" "$HOST_BIN" "$HOSTLOG" "$@"
        return
    fi
    local a out
    for a in "$@"; do [ "$a" = --initiate ] && IKEV1_PEER_INITIATES=yes; done
    ivpn_start_charon "$NS_H" "$IKEV1_PEER_DIR" || return 1
    ikev1_swanctl_conf "$IKEV1_MODE" "$IKEV1_IKE_PROP" "$IKEV1_ESP_PROP" \
        "$IKEV1_PEER_CONN_EXTRA" "$IKEV1_PEER_CHILD_EXTRA" mirror >"$IVPN_WORK/peer-swanctl.conf"
    out=$(ivpn_swanctl "$IKEV1_PEER_DIR" --load-all --noprompt \
        --file "$IVPN_WORK/peer-swanctl.conf" 2>&1) ||
        { echo "the peer charon does not load its mirror configuration: $out" >&2; return 1; }
}

# ikev1_ours_up: our side has the Child SA (CHILD_UP event, or the peer charon's INSTALLED SA).
ikev1_ours_up() {
    if [ "$IKEV1_PEER" = charon ]; then
        [ -n "$(ikev2_charon_child "$IKEV1_PEER_DIR")" ]
    else
        grep -q '^event CHILD_UP' "$HOSTLOG"
    fi
}

# ikev1_charon_ike: charon's IKE SA status line and its local and remote endpoint lines.
ikev1_charon_ike() {
    ivpn_swanctl "$C" --list-sas --ike ivpn 2>/dev/null | awk '/^ivpn: / { print; getline;
        print; getline; print; exit }'
}

# ikev1_establish ROLE: charon initiates (ROLE responder) or we do (already started with
# --initiate); wait for the Child SA on both sides, then check that charon's IKE SA is IKEv1 in
# the case's mode and that our side floated to 4500. Returns 1 (after ikev2_fail) if not.
ikev1_establish() {
    local i child="" ike wait=60
    if [ "$1" = responder ]; then
        # a phase 1 + quick mode takes well under a second; charon retransmits after 4 s
        ivpn_swanctl "$C" --initiate --child ivpn --timeout 6 >"$IVPN_WORK/initiate.out" 2>&1 ||
            { ikev2_fail "charon's initiation failed: $(tail -n 1 "$IVPN_WORK/initiate.out")"; wait=5; }
    elif [ "$IKEV1_PEER" = charon ] && [ -n "$IKEV1_PEER_INITIATES" ]; then
        ivpn_swanctl "$IKEV1_PEER_DIR" --initiate --child ivpn --timeout 10 \
            >"$IVPN_WORK/initiate.out" 2>&1 ||
            ikev2_fail "the peer charon's initiation failed: $(tail -n 3 "$IVPN_WORK/initiate.out")"
    fi
    for i in $(seq 1 $wait); do
        child=$(ikev2_charon_child "$C")
        [ -n "$child" ] && ikev1_ours_up && break
        [ "$IKEV1_PEER" = charon ] || kill -0 "$IKEV2_HOST_PID" 2>/dev/null ||
            { ikev2_fail "our host exited"; break; }
        sleep 0.1
    done
    [ -n "$child" ] || ikev2_fail "charon has no INSTALLED Child SA"
    ikev1_ours_up || ikev2_fail "our side reported no CHILD_UP event"
    [ -n "$child" ] && ikev1_ours_up || return 1
    ike=$(ikev1_charon_ike)
    echo "charon IKE SA: $(echo "$ike" | tr -s ' \n' ' ')"
    echo "charon IKE algorithms: $(ikev2_charon_ike_algs "$C")"
    echo "charon Child SA: $child"
    [ "$IKEV1_PEER" = charon ] || grep '^event CHILD_UP' "$HOSTLOG" | tail -n1
    case "$ike" in *IKEv1*) ;; *) ikev2_fail "charon's IKE SA is not IKEv1" ;; esac
    case "$ike" in *"${IKEV2_H_OUTER}[4500]"*) ;;
    *) ikev2_fail "our side did not float to port 4500 (NAT-T, RFC 3947)" ;;
    esac
    ikev1_check_mode
}

# ikev1_check_mode: charon's log shows phase 1 in the case's exchange type (charon names main
# mode ID_PROT and aggressive mode AGGRESSIVE in its "parsed ..." lines).
ikev1_check_mode() {
    local want=ID_PROT
    [ "$IKEV1_MODE" = aggressive ] && want=AGGRESSIVE
    grep -Eq "(parsed|generating) $want (request|response)" "$C/charon.log" ||
        ikev2_fail "charon's log shows no $want exchange (mode $IKEV1_MODE)"
}

# ikev1_first_failure: what the engine's authors need first about a failed case -- charon's
# message trace (exchange, message ID, payloads and notify types as it parsed / generated
# them), charon's first complaint, our host's first warnings / errors and failure events.
ikev1_first_failure() {
    local l
    echo "--- charon's IKEv1 message trace (first 16)"
    grep -E '(parsed|generating) [A-Z_0-9]+ (request|response)|received packet|sending packet' \
        "$C/charon.log" | grep -v 'vici' | head -n 16
    l=$(grep -Em1 'N\((INVALID|NO_PROP|AUTH|PAYLOAD|ATTR|BAD|UNSUPPORTED|SITU|DOI|MALFORMED)[A-Z_]*\)|error|failed|unacceptable|invalid|no .*proposal|not (found|supported)|giving up|discard|dropped|unable' \
        "$C/charon.log" | grep -v 'vici\|\[LIB\]\|\[DMN\]')
    [ -n "$l" ] || l=$(grep -Em1 'retransmit' "$C/charon.log")
    [ -n "$l" ] && echo "charon's first complaint: $l"
    if [ "$IKEV1_PEER" != charon ] && [ -s "$HOSTLOG" ]; then
        echo "--- our host's first warnings / errors and failure events"
        grep -E '^\[(error|warning)\]|^event .*reason=|dropped .*datagram' "$HOSTLOG" | head -n 6
    fi
    return 0
}

# ikev1_check_peer_counters MIN: charon's Child SA counted MIN packets each way, and so did
# our side (our host after it exited: ikev2_check_our_counters; the peer charon: its SA).
ikev1_check_peer_counters() {
    local min=$1 si pi so po
    if [ "$IKEV1_PEER" = charon ]; then
        read -r si _ pi so _ po _ <<<"$(ikev2_charon_child "$IKEV1_PEER_DIR")"
        echo "peer charon: in $si $pi packets, out $so $po packets"
        [ "$si" = "$CHARON_SPI_OUT" ] && [ "$so" = "$CHARON_SPI_IN" ] ||
            ikev2_fail "the peer charon's SPIs ($si/$so) are not charon's ($CHARON_SPI_OUT/$CHARON_SPI_IN)"
        [ "${pi:-0}" -ge "$min" ] && [ "${po:-0}" -ge "$min" ] ||
            ikev2_fail "the peer charon counted in=${pi:-?} out=${po:-?}, expected >= $min"
        return
    fi
    ikev2_stop_host
    ikev2_check_our_counters "$min"
}

# ikev1_finish MESSAGE: ikev2_finish, with the peer charon's log in place of our host's.
ikev1_finish() {
    if [ "$IKEV1_PEER" = charon ] && [ "$IKEV2_FAILURES" -ne 0 ] && [ -n "$IKEV1_PEER_DIR" ]; then
        echo "--- the peer charon's log (last 80 lines)"
        tail -n 80 "$IKEV1_PEER_DIR/charon.log"
    fi
    [ "$IKEV2_FAILURES" -ne 0 ] && ikev1_first_failure
    ikev2_finish "$@"
}

# ikev1_sw_dh_status GROUP: charon's status name of our group spelling (MODP_2048).
ikev1_sw_dh_status() {
    ikev2_sw_dh "$1" | tr a-z A-Z | sed 's/MODP/MODP_/'
}

# ikev1_sw_encr_status ENC: charon's status name of our cipher spelling (AES_CBC-128).
ikev1_sw_encr_status() {
    echo "$1" | sed 's/^aes$/AES_CBC-128/; s/^aes\(...\)$/AES_CBC-\1/; s/^3des$/3DES_CBC/; s/^des$/DES_CBC/'
}

# ikev1_wait_for SECONDS CONDITION...: poll every 0.1 s.
ikev1_wait_for() {
    local n=$(($1 * 10)) i
    shift
    for i in $(seq 1 $n); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
