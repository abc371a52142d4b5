#!/bin/bash
# Reusable harness for interop tests against a real strongSwan charon, each instance in a
# network namespace the test creates and deletes itself (see /work/shared/interop.md for the
# facts behind each step). Source it from bash:
#
#   . "$(dirname "$0")/lib.sh"
#   ivpn_require_root_and_charon          # exits 77 (meson: skipped) with the reason
#   ivpn_workdir_create                   # IVPN_WORK: a private temp dir, removed on exit
#   ivpn_netns_create NS                  # namespace with lo up; deleted on exit
#   ivpn_start_charon NS DIR [EXTRA]      # charon in NS with DIR/strongswan.conf, DIR/charon.log,
#                                         #   DIR/charon.vici; EXTRA is added to the charon {} block
#   ivpn_swanctl DIR ARGS...              # swanctl against that instance's vici socket
#   ivpn_stop_charon DIR                  # SIGKILL (instant, safe in a throwaway namespace)
#   ivpn_netns_delete NS
# Every namespace and charon started here is cleaned up by an EXIT trap, also on failure.

IVPN_CHARON=${IVPN_CHARON:-/usr/lib/ipsec/charon}
IVPN_SWANCTL=${IVPN_SWANCTL:-swanctl}
IVPN_NETNS_LIST=()
IVPN_CHARON_DIRS=()
IVPN_WORK=

ivpn_skip() {
    echo "SKIP: $*"
    exit 77
}

ivpn_require_root_and_charon() {
    [ "$(id -u)" = 0 ] || ivpn_skip "needs root (network namespaces)"
    [ -x "$IVPN_CHARON" ] || ivpn_skip "no strongSwan charon at $IVPN_CHARON"
    command -v "$IVPN_SWANCTL" >/dev/null || ivpn_skip "no swanctl in PATH"
    command -v ip >/dev/null || ivpn_skip "no ip (iproute2)"
    command -v mount >/dev/null || ivpn_skip "no mount"
}

ivpn_cleanup() {
    local d ns
    for d in "${IVPN_CHARON_DIRS[@]}"; do
        ivpn_stop_charon "$d"
    done
    for ns in "${IVPN_NETNS_LIST[@]}"; do
        ip netns delete "$ns" 2>/dev/null
    done
    IVPN_NETNS_LIST=()
    IVPN_CHARON_DIRS=()
    if [ -n "$IVPN_WORK" ] && [ -z "$IVPN_KEEP" ]; then
        rm -rf "$IVPN_WORK"
    fi
}
trap ivpn_cleanup EXIT
trap 'exit 130' INT TERM

ivpn_workdir_create() {
    IVPN_WORK=$(mktemp -d /tmp/ivpn-interop.XXXXXX) || exit 1
}

ivpn_netns_create() {
    local ns=$1
    ip netns add "$ns" || return 1
    IVPN_NETNS_LIST+=("$ns")
    ip -n "$ns" link set lo up
}

ivpn_netns_delete() {
    local ns=$1 keep=() n
    ip netns delete "$ns" 2>/dev/null
    for n in "${IVPN_NETNS_LIST[@]}"; do
        [ "$n" = "$ns" ] || keep+=("$n")
    done
    IVPN_NETNS_LIST=("${keep[@]}")
}

# strongswan.conf of one instance: no modular loading, kernel-libipsec before kernel-netlink
# (this kernel has no ESP), a vici socket and log file of its own.
ivpn_write_strongswan_conf() {
    local dir=$1 extra=$2
    cat >"$dir/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce openssl aes sha1 sha2 md5 hmac gmp gcm curve25519 pem pkcs1 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown
    i_dont_care_about_security_and_use_aggressive_mode_psk = yes
    plugins {
        vici {
            socket = unix://$dir/charon.vici
        }
    }
    filelog {
        ivpn {
            path = $dir/charon.log
            time_format = %H:%M:%S
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
            chd = 2
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
$extra
}
swanctl {
    socket = unix://$dir/charon.vici
}
CONF
}

# Start charon in namespace NS. Its pid file path is fixed (/var/run/charon.pid), so a private
# directory is bind-mounted over /run first; `ip netns exec` runs the command in a mount
# namespace of its own whose mounts do not propagate back, so the host's /run is untouched.
# ip and sh exec, so the pid of the background job is charon's.
ivpn_start_charon() {
    local ns=$1 dir=$2 extra=$3 i
    mkdir -p "$dir/run"
    ivpn_write_strongswan_conf "$dir" "$extra"
    STRONGSWAN_CONF="$dir/strongswan.conf" ip netns exec "$ns" \
        sh -c 'mount --bind "$1/run" /run && exec "$2"' _ "$dir" "$IVPN_CHARON" \
        >"$dir/charon.stdout" 2>&1 &
    echo $! >"$dir/charon.launcher"
    IVPN_CHARON_DIRS+=("$dir")
    for i in $(seq 1 100); do
        [ -S "$dir/charon.vici" ] && { ivpn_charon_pid "$dir" >/dev/null; return 0; }
        sleep 0.05
    done
    echo "charon did not create its vici socket; log:" >&2
    cat "$dir/charon.log" "$dir/charon.stdout" >&2 2>/dev/null
    return 1
}

# The charon process of an instance: the launcher's pid (sh exec'd into charon).
ivpn_charon_pid() {
    cat "$1/charon.launcher"
}

ivpn_stop_charon() {
    local dir=$1 pid
    [ -f "$dir/charon.launcher" ] || return 0
    pid=$(cat "$dir/charon.launcher")
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$dir/charon.launcher" "$dir/charon.vici"
}

ivpn_swanctl() {
    local dir=$1
    shift
    "$IVPN_SWANCTL" "$@" --uri "unix://$dir/charon.vici" </dev/null
}
