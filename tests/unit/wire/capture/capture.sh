#!/bin/bash
# IKEv1 seed capture: two charons in namespaces v1wire-a / v1wire-b, main mode on
# 10.198.0.1<->.2, aggressive mode on 10.198.0.11<->.12, PSK. tcpdump records datagrams.
set -u
D=${1:-/tmp/v1cap/run}; rm -rf "$D"; mkdir -p "$D"
cleanup() {
  for n in a b; do [ -f $D/$n/charon.pid.mine ] && kill -9 $(cat $D/$n/charon.pid.mine) 2>/dev/null; done
  [ -f $D/tcpdump.pid ] && kill $(cat $D/tcpdump.pid) 2>/dev/null
  sleep 0.5
  ip netns del v1wire-a 2>/dev/null; ip netns del v1wire-b 2>/dev/null
}
trap cleanup EXIT
ip netns add v1wire-a; ip netns add v1wire-b
ip link add v1w-a type veth peer name v1w-b
ip link set v1w-a netns v1wire-a; ip link set v1w-b netns v1wire-b
ip -n v1wire-a addr add 10.198.0.1/24 dev v1w-a; ip -n v1wire-b addr add 10.198.0.2/24 dev v1w-b
ip -n v1wire-a addr add 10.198.0.11/24 dev v1w-a; ip -n v1wire-b addr add 10.198.0.12/24 dev v1w-b
for n in a b; do ip -n v1wire-$n link set lo up; ip -n v1wire-$n link set v1w-$n up; done
ip -n v1wire-a addr add 10.202.1.1/32 dev lo; ip -n v1wire-b addr add 10.202.2.1/32 dev lo
for n in a b; do
  mkdir -p $D/$n/run
  if [ $n = a ]; then L=10.198.0.1; R=10.198.0.2; L2=10.198.0.11; R2=10.198.0.12; LS=10.202.1.0/24; RS=10.202.2.0/24; LI=am-a.test; RI=am-b.test
  else L=10.198.0.2; R=10.198.0.1; L2=10.198.0.12; R2=10.198.0.11; LS=10.202.2.0/24; RS=10.202.1.0/24; LI=am-b.test; RI=am-a.test; fi
  cat > $D/$n/strongswan.conf <<EOC
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 md5 hmac gmp gcm curve25519 pem pkcs1 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = no
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  plugins { vici { socket = unix://$D/$n/vici.sock } }
  filelog { f { path = $D/$n/charon.log
    default = 1
    ike = 2
    cfg = 2
    enc = 4 } }
}
swanctl { socket = unix://$D/$n/vici.sock }
EOC
  cat > $D/$n/swanctl.conf <<EOC
connections {
  mm {
    version = 1
    local_addrs = $L
    remote_addrs = $R
    mobike = no
    proposals = aes128-sha256-modp2048,aes256-sha1-modp1024,3des-md5-modp1024
    rekey_time = 3h
    local { auth = psk
      id = $L }
    remote { auth = psk
      id = $R }
    children { c { local_ts = $LS
        remote_ts = $RS
        esp_proposals = aes128-sha256-modp2048,aes256-sha1 } }
  }
  am {
    version = 1
    aggressive = yes
    local_addrs = $L2
    remote_addrs = $R2
    mobike = no
    proposals = aes256-sha256-modp2048
    local { auth = psk
      id = $LI }
    remote { auth = psk
      id = $RI }
    children { c2 { local_ts = $LS
        remote_ts = $RS
        esp_proposals = aes256-sha1 } }
  }
}
secrets { ike-1 { secret = "v1wire-capture-psk-0123456789" } }
EOC
  ip netns exec v1wire-$n sh -c "mount --bind $D/$n/run /run && STRONGSWAN_CONF=$D/$n/strongswan.conf exec /usr/lib/ipsec/charon" >$D/$n/stdout 2>&1 &
  echo $! > $D/$n/charon.pid.mine
done
ip netns exec v1wire-b tcpdump -i v1w-b -U -w $D/ike.pcap udp >$D/tcpdump.log 2>&1 &
echo $! > $D/tcpdump.pid
for i in $(seq 50); do [ -S $D/a/vici.sock ] && [ -S $D/b/vici.sock ] && break; sleep 0.1; done
sleep 0.5
for n in a b; do ip netns exec v1wire-$n swanctl --load-all --file $D/$n/swanctl.conf --uri unix://$D/$n/vici.sock; done
ip netns exec v1wire-a swanctl --initiate --child c --timeout 10 --uri unix://$D/a/vici.sock
sleep 0.5
ip netns exec v1wire-a swanctl --initiate --child c2 --timeout 10 --uri unix://$D/a/vici.sock
sleep 0.5
ip netns exec v1wire-a swanctl --terminate --ike mm --timeout 5 --uri unix://$D/a/vici.sock; sleep 0.5
ip netns exec v1wire-a swanctl --terminate --ike am --timeout 5 --uri unix://$D/a/vici.sock; sleep 0.5
