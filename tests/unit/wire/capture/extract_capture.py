# Turns a capture_strongswan.sh run (cwd = its directory) into seed files: OUTDIR/msg/ holds
# the IKE datagrams from the pcap (non-ESP marker removed), OUTDIR/inner/ the decrypted inner
# chains from charon's "plain =>" dumps, each prefixed with exchange type, is_response and the
# type of the first inner payload (the fuzz/corpus/ikev2_inner format).
import re, struct, os, sys
out = sys.argv[1]
os.makedirs(out + '/msg', exist_ok=True); os.makedirs(out + '/inner', exist_ok=True)
# outer datagrams from the pcap (ethernet, IPv4, UDP)
d = open('ike.pcap','rb').read()
off = 24; i = 0
while off < len(d):
    ts, tu, incl, orig = struct.unpack('<IIII', d[off:off+16]); off += 16
    pkt = d[off:off+incl]; off += incl
    ihl = (pkt[14] & 15) * 4
    udp = pkt[14+ihl:]
    sport, dport = struct.unpack('>HH', udp[:4])
    pl = udp[8:]
    if dport == 4500 or sport == 4500:
        if pl[:4] != b'\0\0\0\0': continue
        pl = pl[4:]
    if len(pl) < 28: continue
    ex = {34:'ike_sa_init',35:'ike_auth',36:'create_child_sa',37:'informational'}.get(pl[18], 'x')
    kind = 'resp' if pl[19] & 0x20 else 'req'
    open('%s/msg/%02d_%s_%s.bin' % (out, i, ex, kind), 'wb').write(pl); i += 1
# decrypted inner chains from charon's "plain =>" dumps (a's log), first inner type from the payload list
names = {'SA':33,'KE':34,'IDi':35,'IDr':36,'AUTH':39,'No':40,'N':41,'D':42,'V':43,'TSi':44,'TSr':45,'CPRQ':47,'CPRP':47}
lines = open('a/charon.log').read().split('\n')
start = max(i for i, l in enumerate(lines) if 'vici client 1 registered' in l or 'loaded plugins' in l or 'Starting IKE charon' in l)
heads = [(n, l) for n, l in enumerate(lines) if re.search(r'\[ENC\] (generating|parsed) \w+ (request|response) \d+ \[', l)]
j = 0
for n, l in enumerate(lines):
    m = re.search(r'\[ENC\] plain => (\d+) bytes', l)
    if not m or n < start: continue
    size = int(m.group(1)); data = b''; k = n + 1
    while len(data) < size:
        hx = re.search(r'\[ENC\]\s+\d+: ((?:[0-9A-F]{2} ?)+)', lines[k]); k += 1
        data += bytes.fromhex(hx.group(1).replace(' ', ''))
    # generating lines precede encryption, parsed lines follow decryption
    gen = [h for h in heads if h[0] < n and 'generating' in h[1]]
    par = [h for h in heads if h[0] > n and 'parsed' in h[1]]
    cand = []
    if gen: cand.append((n - gen[-1][0], gen[-1][1]))
    if par: cand.append((par[0][0] - n, par[0][1]))
    dec = any('decryption:' in x for x in lines[max(0, n-80):n])
    hl = (par[0][1] if dec else gen[-1][1])
    mm = re.search(r'(generating|parsed) (\w+) (request|response) (\d+) \[ ?(.*?) ?\]', hl)
    first = mm.group(5).split(' ')[0] if mm.group(5) else ''
    first = re.sub(r'\(.*', '', first)
    t = names.get(first, 0) if first else 0
    ex = mm.group(2).lower(); rr = 'resp' if mm.group(3) == 'response' else 'req'
    isresp = 1 if rr == 'resp' else 0
    exn = {'ike_sa_init':34,'ike_auth':35,'create_child_sa':36,'informational':37}[ex]
    open('%s/inner/%02d_%s_%s.bin' % (out, j, ex, rr), 'wb').write(bytes([exn, isresp, t]) + data); j += 1
    print(j, ex, rr, first, t, size)
