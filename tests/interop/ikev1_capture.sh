#!/bin/bash
# owner: v1-interop
# Captures real IKEv1 datagrams between two strongSwan charons (no engine needed) for the
# seed corpus fuzz/corpus/ikev1_engine/: main mode with PFS quick mode, DPD R-U-THERE / ACK,
# a quick-mode rekey, Delete (ESP) and Delete (ISAKMP), then aggressive mode. Each file is
# one ISAKMP message as it would arrive on port 500, i.e. the non-ESP marker of port 4500
# removed; ESP datagrams are skipped. Not a test: run it by hand as root.
# Usage: ikev1_capture.sh OUTDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ikev2_lib.sh"
. "$(dirname "$0")/ikev1_lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR"; exit 2; }
OUT=$1
ivpn_require_root_and_charon
command -v tcpdump >/dev/null || ivpn_skip "no tcpdump"
command -v python3 >/dev/null || ivpn_skip "no python3"
IKEV1_PEER=charon
mkdir -p "$OUT" || exit 1

# run MODE: one connection's life between the charons, captured on our side's veth
run() {
    local mode=$1 pcap
    IKEV1_PEER_CONN_EXTRA="dpd_delay = 1s
        dpd_timeout = 10s"
    ikev1_begin v1cap "$mode" aes128-sha256-modp2048 aes128-sha256-modp2048
    pcap=$IVPN_WORK/$mode.pcap
    ip netns exec "$NS_H" tcpdump -i ivh -U -w "$pcap" udp >/dev/null 2>&1 &
    local dump=$!
    sleep 0.5
    ikev1_start_ours --initiate || exit 1
    ikev1_establish initiator || exit 1
    ikev2_ping_both 1
    sleep 2.5 # DPD
    ivpn_swanctl "$C" --rekey --child ivpn >/dev/null 2>&1
    sleep 0.5
    ivpn_swanctl "$C" --terminate --child ivpn --timeout 5 >/dev/null 2>&1
    ivpn_swanctl "$C" --terminate --ike ivpn --timeout 5 >/dev/null 2>&1
    sleep 0.5
    kill "$dump"
    wait "$dump"
    python3 - "$pcap" "$OUT" "$mode" <<'PY'
import struct, sys
pcap, out, mode = sys.argv[1:]
data = open(pcap, 'rb').read()
off, n = 24, 0
names = {2: 'mm', 4: 'aggr', 5: 'info', 32: 'qm'}
while off + 16 <= len(data):
    incl = struct.unpack_from('<I', data, off + 8)[0]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(pkt) < 42 or pkt[12:14] != b'\x08\x00':
        continue
    ihl = (pkt[14] & 15) * 4
    udp = pkt[14 + ihl:]
    sport, dport = struct.unpack_from('>HH', udp)
    msg = udp[8:]
    if dport == 4500 or sport == 4500:
        if msg[:4] != b'\0\0\0\0':
            continue  # ESP in UDP (or a keepalive)
        msg = msg[4:]
    if len(msg) < 28 or msg[17] >> 4 != 1:
        continue
    n += 1
    kind = names.get(msg[18], 'x%d' % msg[18])
    enc = 'enc' if msg[19] & 1 else 'plain'
    src = 'init' if pkt[26:30] == bytes([10, 200, 1, 2]) else 'resp'  # who sent it
    name = 'cap_%s_%02d_%s_%s_from_%s.bin' % (mode, n, kind, enc, src)
    open('%s/%s' % (out, name), 'wb').write(msg)
    print(name, len(msg))
PY
    ivpn_cleanup
    unset -f ikev2_case_swanctl
    IKEV2_FAILURES=0
}
run main
run aggressive
