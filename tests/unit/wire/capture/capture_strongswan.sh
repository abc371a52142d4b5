#!/bin/bash
# Re-creates the seed captures in fuzz/corpus/ikev2_message and ikev2_inner (not run by the
# tests): two strongSwan charons in throwaway network namespaces, PSK, IKE_SA_INIT, IKE_AUTH,
# rekey child, rekey IKE, delete. tcpdump records the datagrams; charon's "enc = 4" log holds
# the decrypted inner chains. Needs root. Then: cd $D && python3 extract_capture.py OUTDIR
# (the committed seeds were renamed after the exchange they hold, e.g. rekey_child_req).
set -u
D=${1:-/tmp/wire-cap}; mkdir -p "$D"
cleanup() {
  for n in a b; do [ -f $D/$n/charon.pid.mine ] && kill -9 $(cat $D/$n/charon.pid.mine) 2>/dev/null; done
  [ -f $D/tcpdump.pid ] && kill $(cat $D/tcpdump.pid) 2>/dev/null
  sleep 0.5
  ip netns del wirecap-a 2>/dev/null; ip netns del wirecap-b 2>/dev/null
}
trap cleanup EXIT
ip netns add wirecap-a; ip netns add wirecap-b
ip link add wcap-a type veth peer name wcap-b
ip link set wcap-a netns wirecap-a; ip link set wcap-b netns wirecap-b
ip -n wirecap-a addr add 10.199.0.1/24 dev wcap-a; ip -n wirecap-b addr add 10.199.0.2/24 dev wcap-b
for n in a b; do ip -n wirecap-$n link set lo up; ip -n wirecap-$n link set wcap-$n up; done
ip -n wirecap-a addr add 10.201.1.1/32 dev lo; ip -n wirecap-b addr add 10.201.2.1/32 dev lo
for n in a b; do
  mkdir -p $D/$n/run
  if [ $n = a ]; then L=10.199.0.1; R=10.199.0.2; LS=10.201.1.0/24; RS=10.201.2.0/24; else L=10.199.0.2; R=10.199.0.1; LS=10.201.2.0/24; RS=10.201.1.0/24; fi
  cat > $D/$n/strongswan.conf <<EOC
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac gmp gcm curve25519 pem pkcs1 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = no
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
  t {
    version = 2
    local_addrs = $L
    remote_addrs = $R
    mobike = no
    proposals = aes128-sha256-modp2048,aes256gcm16-prfsha384-x25519
    local { auth = psk
      id = $L }
    remote { auth = psk
      id = $R }
    children { c { local_ts = $LS
        remote_ts = $RS
        esp_proposals = aes128gcm16-modp2048,aes256-sha256 } }
  }
}
secrets { ike-1 { secret = "wire-capture-psk-0123456789" } }
EOC
  ip netns exec wirecap-$n sh -c "mount --bind $D/$n/run /run && STRONGSWAN_CONF=$D/$n/strongswan.conf exec /usr/lib/ipsec/charon" >$D/$n/stdout 2>&1 &
  echo $! > $D/$n/charon.pid.mine
done
ip netns exec wirecap-b tcpdump -i wcap-b -U -w $D/ike.pcap udp >$D/tcpdump.log 2>&1 &
echo $! > $D/tcpdump.pid
for i in $(seq 50); do [ -S $D/a/vici.sock ] && [ -S $D/b/vici.sock ] && break; sleep 0.1; done
for n in a b; do ip netns exec wirecap-$n swanctl --load-all --file $D/$n/swanctl.conf --uri unix://$D/$n/vici.sock; done
ip netns exec wirecap-a swanctl --initiate --child c --timeout 10 --uri unix://$D/a/vici.sock
sleep 1
ip netns exec wirecap-a swanctl --rekey --child c --uri unix://$D/a/vici.sock; sleep 0.5; ip netns exec wirecap-a swanctl --rekey --ike t --uri unix://$D/a/vici.sock; sleep 0.5; ip netns exec wirecap-a swanctl --terminate --ike t --timeout 5 --uri unix://$D/a/vici.sock; sleep 0.5
