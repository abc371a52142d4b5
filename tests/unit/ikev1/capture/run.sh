#!/bin/bash
# v1-keys: two charons in IKEv1 main mode with PSK, logging keys at level 4.
# Usage: IKEP=aes256-sha1-modp1024 ESPP=aes128-sha1 run.sh   (work dir is kept, printed)
. "$(dirname "$0")/../../interop/lib.sh"
ivpn_require_root_and_charon
ivpn_write_strongswan_conf() {
    local dir=$1 extra=$2
    cat >"$dir/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce openssl aes des sha1 sha2 md5 hmac gmp gcm curve25519 pem pkcs1 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown
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
            ike = 4
            chd = 4
            enc = 4
            net = 4
            cfg = 2
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
IVPN_KEEP=1
ivpn_workdir_create
echo "WORK=$IVPN_WORK"
A=v1k-$$-a; B=v1k-$$-b
ivpn_netns_create $A && ivpn_netns_create $B || exit 1
ip link add v1k-a netns $A type veth peer name v1k-b netns $B || exit 1
ip -n $A addr add 10.98.0.1/24 dev v1k-a; ip -n $B addr add 10.98.0.2/24 dev v1k-b
ip -n $A link set v1k-a up; ip -n $B link set v1k-b up
ip -n $A addr add 10.1.0.1/32 dev lo; ip -n $B addr add 10.2.0.1/32 dev lo
ivpn_start_charon $A $IVPN_WORK/a && ivpn_start_charon $B $IVPN_WORK/b || exit 1
conf() { # local remote lts rts
cat <<C
connections {
  v1k { version = 1
    local_addrs = $1
    remote_addrs = $2
    proposals = ${IKEP:-aes256-sha1-modp1024}
    mobike = no
    local { auth = psk
      id = $1 }
    remote { auth = psk
      id = $2 }
    children { v1k { local_ts = $3
      remote_ts = $4
      esp_proposals = ${ESPP:-aes128-sha1} } }
  }
}
secrets { ike-1 { id-1 = 10.98.0.1
  id-2 = 10.98.0.2
  secret = "v1keys-test-psk" } }
C
}
conf 10.98.0.1 10.98.0.2 10.1.0.1/32 10.2.0.1/32 > $IVPN_WORK/a.conf
conf 10.98.0.2 10.98.0.1 10.2.0.1/32 10.1.0.1/32 > $IVPN_WORK/b.conf
ivpn_swanctl $IVPN_WORK/a --load-all --noprompt --file $IVPN_WORK/a.conf
ivpn_swanctl $IVPN_WORK/b --load-all --noprompt --file $IVPN_WORK/b.conf
ivpn_swanctl $IVPN_WORK/a --initiate --child v1k --timeout 10
sleep 1
ivpn_swanctl $IVPN_WORK/a --list-sas
