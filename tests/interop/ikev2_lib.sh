#!/bin/bash
# Shared steps of the IKEv2 interop cases: our ipsecvpn_host in one network namespace,
# strongSwan's charon (kernel-libipsec: userspace ESP in UDP) in another, joined by a veth
# pair. Source after lib.sh.
#
#   charon namespace (C)                      our namespace (H)
#   veth 10.200.1.1/24  <------------------>  veth 10.200.1.2/24
#   lo   10.1.0.1/24 (inner)                  lo   10.2.0.1/24 (inner), TUN ipsecvpn0
#
# Plaintext paths between the inner subnets are blocked with unreachable routes, so a ping
# answers only through the tunnel; the checks also read both sides' ESP counters.

IKEV2_C_OUTER=10.200.1.1
IKEV2_H_OUTER=10.200.1.2
IKEV2_C_INNER=10.1.0.1
IKEV2_H_INNER=10.2.0.1
IKEV2_C_NET=10.1.0.0/24
IKEV2_H_NET=10.2.0.0/24
IKEV2_OUTER_LEN=24
IKEV2_NODAD=
IKEV2_PSK='Interop-PSK_2026!'
IKEV2_HOST_PID=

# ikev2_family 4|6: the addresses above, or IPv6 ones (outer fd00:200:1::/64, inner
# fd01::/64 on charon's side and fd02::/64 on ours). Call before ikev2_begin.
ikev2_family() {
    [ "$1" = 6 ] || return 0
    IKEV2_C_OUTER=fd00:200:1::1 IKEV2_H_OUTER=fd00:200:1::2 IKEV2_OUTER_LEN=64
    IKEV2_C_INNER=fd01::1 IKEV2_H_INNER=fd02::1
    IKEV2_C_NET=fd01::/64 IKEV2_H_NET=fd02::/64
    IKEV2_NODAD=nodad
}

# Our spelling of an algorithm -> strongSwan's proposal keyword.
ikev2_sw_encr() { case $1 in aes) echo aes128 ;; *) echo "$1" ;; esac; }
ikev2_sw_dh() {
    case $1 in
    group1) echo modp768 ;; group2) echo modp1024 ;; group5) echo modp1536 ;;
    group14) echo modp2048 ;; disabled) echo "" ;; *) echo "$1" ;;
    esac
}

# ikev2_topology NS_C NS_H: both namespaces, the veth pair, inner addresses, blocked paths.
ikev2_topology() {
    local c=$1 h=$2
    ivpn_netns_create "$c" && ivpn_netns_create "$h" || return 1
    ip link add ivc netns "$c" type veth peer name ivh netns "$h" || return 1
    ip -n "$c" addr add $IKEV2_C_OUTER/$IKEV2_OUTER_LEN dev ivc $IKEV2_NODAD
    ip -n "$h" addr add $IKEV2_H_OUTER/$IKEV2_OUTER_LEN dev ivh $IKEV2_NODAD
    ip -n "$c" link set ivc up
    ip -n "$h" link set ivh up
    ip -n "$c" addr add $IKEV2_C_INNER/${IKEV2_C_NET#*/} dev lo $IKEV2_NODAD
    ip -n "$h" addr add $IKEV2_H_INNER/${IKEV2_H_NET#*/} dev lo $IKEV2_NODAD
    # high metric: the tunnel's routes (charon's table 220, our TUN route) take precedence;
    # without a tunnel the inner subnets stay unreachable
    ip -n "$c" route add unreachable $IKEV2_H_NET metric 4000
    ip -n "$h" route add unreachable $IKEV2_C_NET metric 4000
}

# ikev2_swanctl_conf IKE_PROPOSAL ESP_PROPOSAL [EXTRA]: charon's side of the case; EXTRA
# (e.g. "dpd_delay = 1s") goes into the connection.
ikev2_swanctl_conf() {
    cat <<CONF
connections {
    ivpn {
        version = 2
        ${3:-}
        local_addrs = $IKEV2_C_OUTER
        remote_addrs = $IKEV2_H_OUTER
        proposals = $1
        mobike = no
        local {
            auth = psk
            id = $IKEV2_C_OUTER
        }
        remote {
            auth = psk
            id = $IKEV2_H_OUTER
        }
        children {
            ivpn {
                local_ts = $IKEV2_C_NET
                remote_ts = $IKEV2_H_NET
                esp_proposals = $2
                mode = tunnel
                start_action = none
            }
        }
    }
}
secrets {
    ike-ivpn {
        id-1 = $IKEV2_C_OUTER
        id-2 = $IKEV2_H_OUTER
        secret = "$IKEV2_PSK"
    }
}
CONF
}

# ikev2_host_conf FORMAT(lines|json) ENC INTEG DH ESP_ENC ESP_INTEG PFS: our side.
ikev2_host_conf() {
    local fmt=$1 enc=$2 integ=$3 dh=$4 eenc=$5 einteg=$6 pfs=$7
    if [ "$fmt" = json ]; then
        cat <<JSON
{"Local":"$IKEV2_H_OUTER","Remote":"$IKEV2_C_OUTER",
 "LocalSubnet":"$IKEV2_H_NET","RemoteSubnet":"$IKEV2_C_NET",
 "IkeConfig":{"IkeVersion":"ikev2","IkeEncAlg":"$enc","IkeAuthAlg":"$integ","IkePfs":"$dh",
   "IkeLifetime":86400,"LocalId":"$IKEV2_H_OUTER","RemoteId":"$IKEV2_C_OUTER",
   "Psk":"$IKEV2_PSK"},
 "IpsecConfig":{"IpsecEncAlg":"$eenc","IpsecAuthAlg":"$einteg","IpsecPfs":"$pfs",
   "IpsecLifetime":3600}}
JSON
    else
        cat <<LINES
# ipsecvpn_host connection, field=value (see include/ipsecvpn/config.h)
name=ivpn
local_address=$IKEV2_H_OUTER
peer_address=$IKEV2_C_OUTER
psk=$IKEV2_PSK
ike.version=ikev2
ike.encryption=$enc
ike.integrity=$integ
ike.dh_group=$dh
ipsec.encryption=$eenc
ipsec.integrity=$einteg
ipsec.pfs=$pfs
routing_mode=protected-flows
local_cidrs=$IKEV2_H_NET
remote_cidrs=$IKEV2_C_NET
LINES
    fi
}

# ikev2_start_host NS BINARY LOG ARGS...: run our host in NS, wait for "ready".
ikev2_start_host() {
    local ns=$1 bin=$2 log=$3 i
    shift 3
    ip netns exec "$ns" "$bin" "$@" >"$log" 2>&1 &
    IKEV2_HOST_PID=$!
    for i in $(seq 1 100); do
        grep -q '^ready' "$log" && return 0
        kill -0 "$IKEV2_HOST_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "our host did not start:" >&2
    cat "$log" >&2
    return 1
}

# ikev2_stop_host: SIGTERM (the host deletes its SAs, prints counters), SIGKILL after 5 s.
# Sets IKEV2_HOST_STATUS to its exit status (0 after a clean SIGTERM shutdown).
ikev2_stop_host() {
    local i
    [ -n "$IKEV2_HOST_PID" ] || return 0
    kill -TERM "$IKEV2_HOST_PID" 2>/dev/null
    for i in $(seq 1 50); do
        kill -0 "$IKEV2_HOST_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$IKEV2_HOST_PID" 2>/dev/null
    wait "$IKEV2_HOST_PID" 2>/dev/null
    IKEV2_HOST_STATUS=$?
    IKEV2_HOST_PID=
}

# charon's installed Child SA of the case: "SPI_IN BYTES_IN PKTS_IN SPI_OUT BYTES_OUT
# PKTS_OUT ALGORITHMS" of the newest INSTALLED one, or nothing.
ikev2_charon_child() {
    ivpn_swanctl "$1" --list-sas --ike ivpn 2>/dev/null | awk '
        /INSTALLED/ { alg = $NF; inst = 1; next }
        inst && $1 == "in"  { gsub(",", ""); si = $2; bi = $3; pi = $5 }
        inst && $1 == "out" { gsub(",", ""); print si, bi, pi, $2, $3, $5, alg; inst = 0 }' |
        tail -n1
}

# charon's IKE SA algorithm line, e.g. AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
ikev2_charon_ike_algs() {
    ivpn_swanctl "$1" --list-sas --ike ivpn 2>/dev/null | awk '/ESTABLISHED/ { e = 1; next }
        e && /^  [A-Z0-9_]+[-\/]/ { print $1; exit }'
}

# Our host's counters line for the pair whose inbound SPI is $2 (hex, no 0x) in log $1.
ikev2_host_sa_line() {
    grep "^esp-sa .*spi_in=0x$2 " "$1" | tail -n1
}

# ikev2_field LINE NAME: value of NAME=value in LINE.
ikev2_field() {
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ---- the steps every case takes ------------------------------------------------------------

IKEV2_FAILURES=0
ikev2_fail() {
    echo "FAIL: $*"
    IKEV2_FAILURES=$((IKEV2_FAILURES + 1))
}

# ikev2_begin TAG IKE_PROPOSAL ESP_PROPOSAL [CHARON_EXTRA]: work dir, both namespaces,
# charon with the case loaded (ikev2_swanctl_conf, or ikev2_case_swanctl if defined). Sets NS_C, NS_H, C (charon's dir), HOSTLOG. Exits on failure.
ikev2_begin() {
    trap 'ikev2_stop_host; ivpn_cleanup' EXIT
    ivpn_workdir_create
    NS_C=ivpn-$1-$$-c
    NS_H=ivpn-$1-$$-h
    C=$IVPN_WORK/charon
    HOSTLOG=$IVPN_WORK/host.log
    : >"$HOSTLOG"
    ikev2_topology "$NS_C" "$NS_H" || { echo "FAIL: namespaces"; exit 1; }
    ivpn_start_charon "$NS_C" "$C" || { echo "FAIL: charon did not start"; exit 1; }
    # a case may supply charon's file itself (e.g. our exporter's output) by defining
    # ikev2_case_swanctl, which writes it to stdout once the work dir exists
    if declare -F ikev2_case_swanctl >/dev/null; then
        ikev2_case_swanctl >"$IVPN_WORK/swanctl.conf" ||
            { echo "FAIL: no swanctl.conf for charon"; exit 1; }
    else
        ikev2_swanctl_conf "$2" "$3" "${4:-}" >"$IVPN_WORK/swanctl.conf"
    fi
    local out
    out=$(ivpn_swanctl "$C" --load-all --noprompt --file "$IVPN_WORK/swanctl.conf" 2>&1) ||
        { echo "FAIL: charon does not load the case: $out"; exit 1; }
}

# ikev2_finish MESSAGE: stop our host; on failures show both logs and exit 1, else PASS.
ikev2_finish() {
    ikev2_stop_host
    [ "${IKEV2_HOST_STATUS:-0}" = 0 ] || ikev2_fail "our host exited with status $IKEV2_HOST_STATUS"
    grep -E 'Sanitizer|runtime error' "$HOSTLOG" && ikev2_fail "sanitizer report in our host's output"
    if [ "$IKEV2_FAILURES" -ne 0 ]; then
        echo "--- our host's output"
        cat "$HOSTLOG"
        echo "--- charon's log (last 120 lines)"
        tail -n 120 "$C/charon.log"
        exit 1
    fi
    echo "PASS: $*"
    exit 0
}

# ikev2_establish ROLE: we initiate (the host was started with --initiate) or charon does;
# then wait until both sides have the Child SA. Returns 1 (after ikev2_fail) if not.
ikev2_establish() {
    local i child=
    if [ "$1" = responder ]; then
        ivpn_swanctl "$C" --initiate --child ivpn --timeout 10 >"$IVPN_WORK/initiate.out" 2>&1 ||
            ikev2_fail "charon's initiation failed: $(tail -n 3 "$IVPN_WORK/initiate.out")"
    fi
    for i in $(seq 1 100); do
        child=$(ikev2_charon_child "$C")
        [ -n "$child" ] && grep -q '^event CHILD_UP' "$HOSTLOG" && break
        sleep 0.1
    done
    [ -n "$child" ] || ikev2_fail "charon has no INSTALLED Child SA"
    grep -q '^event CHILD_UP' "$HOSTLOG" || ikev2_fail "our host reported no CHILD_UP event"
    [ -n "$child" ] && grep -q '^event CHILD_UP' "$HOSTLOG" || return 1
    echo "charon IKE SA: $(ikev2_charon_ike_algs "$C")"
    echo "charon Child SA: $child"
    grep '^event CHILD_UP' "$HOSTLOG" | tail -n1
}

# ikev2_ping_both COUNT: COUNT echo requests each way between the inner addresses, all answered.
ikev2_ping_both() {
    ip netns exec "$NS_H" ping -n -q -c "$1" -i 0.2 -W 2 -I $IKEV2_H_INNER $IKEV2_C_INNER \
        >"$IVPN_WORK/ping.out" 2>&1 ||
        ikev2_fail "ping $IKEV2_H_INNER -> $IKEV2_C_INNER: $(grep -E 'transmitted|rror' "$IVPN_WORK/ping.out")"
    ip netns exec "$NS_C" ping -n -q -c "$1" -i 0.2 -W 2 -I $IKEV2_C_INNER $IKEV2_H_INNER \
        >"$IVPN_WORK/ping.out" 2>&1 ||
        ikev2_fail "ping $IKEV2_C_INNER -> $IKEV2_H_INNER: $(grep -E 'transmitted|rror' "$IVPN_WORK/ping.out")"
}

# ikev2_check_counters MIN: charon's current Child SA counted at least MIN packets each way.
# Sets CHARON_SPI_IN, CHARON_SPI_OUT, CHARON_ALG.
ikev2_check_counters() {
    local min=$1 si bi pi so bo po alg
    read -r si bi pi so bo po alg <<<"$(ikev2_charon_child "$C")"
    echo "charon: in $si $pi packets/$bi bytes, out $so $po packets/$bo bytes, $alg"
    [ "${pi:-0}" -ge "$min" ] && [ "${po:-0}" -ge "$min" ] ||
        ikev2_fail "charon's SA counted in=${pi:-?} out=${po:-?} packets, expected >= $min each"
    CHARON_SPI_IN=$si CHARON_SPI_OUT=$so CHARON_ALG=$alg
}

# ikev2_check_our_counters MIN: after our host exited, its counters for charon's current
# pair (our inbound SPI = charon's outbound one) show at least MIN packets each way.
ikev2_check_our_counters() {
    local ours f
    ours=$(ikev2_host_sa_line "$HOSTLOG" "$CHARON_SPI_OUT")
    echo "ours: $ours"
    if [ -z "$ours" ]; then
        ikev2_fail "our host printed no counters for SPI $CHARON_SPI_OUT"
        return
    fi
    [ "$(ikev2_field "$ours" spi_out)" = "0x$CHARON_SPI_IN" ] ||
        ikev2_fail "our outbound SPI is not charon's inbound one ($CHARON_SPI_IN)"
    for f in in_packets out_packets; do
        [ "$(ikev2_field "$ours" $f)" -ge "$1" ] 2>/dev/null ||
            ikev2_fail "our $f is $(ikev2_field "$ours" $f), expected >= $1"
    done
}

# charon's IKE SA SPIs ("SPI_I SPI_R" as listed), to tell a rekeyed IKE SA.
ikev2_charon_ike_spis() {
    ivpn_swanctl "$C" --list-sas --ike ivpn 2>/dev/null |
        awk '/^ivpn: .*ESTABLISHED/ { print $(NF-1), $NF; exit }'
}
