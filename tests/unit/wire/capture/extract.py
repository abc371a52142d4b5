import re, struct, os, sys
out = sys.argv[1]
os.makedirs(out + '/msg', exist_ok=True); os.makedirs(out + '/inner', exist_ok=True)
EX = {2:'mm', 4:'am', 5:'info', 32:'qm'}
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
    enc = 'enc' if pl[19] & 1 else 'plain'
    open('%s/msg/%02d_%s_%s_%s.bin' % (out, i, EX.get(pl[18],'x'), enc, 'a2b' if sport and pkt[14+12:14+16] in (bytes([10,198,0,1]),bytes([10,198,0,11])) else 'b2a'), 'wb').write(pl); i += 1
names = {'SA':1,'KE':4,'ID':5,'HASH':8,'No':10,'N':11,'D':12,'V':13,'NAT-D':20}
lines = open('a/charon.log').read().split('\n')
j = 0
for n, l in enumerate(lines):
    m = re.search(r'\[ENC\] plain => (\d+) bytes', l)
    if not m: continue
    size = int(m.group(1)); data = b''; k = n + 1
    while len(data) < size:
        hx = re.search(r'\[ENC\]\s+\d+: ((?:[0-9A-F]{2} ?)+)', lines[k]); k += 1
        data += bytes.fromhex(hx.group(1).strip().replace(' ', ''))
    dec = any('decrypting payloads' in x for x in lines[max(0, n-40):n])
    if dec:
        hl = next(x for x in lines[n:] if re.search(r'\] parsed \w+ (request|response) \d+ \[', x))
    else:
        hl = [x for x in lines[:n] if re.search(r'\] generating \w+ (request|response) \d+ \[', x)][-1]
    mm = re.search(r'(generating|parsed) (\w+) (request|response) (\d+) \[ ?(.*?) ?\]', hl)
    first = re.sub(r'\(.*', '', mm.group(5).split(' ')[0])
    tag = '%02d_%s_%s_%s' % (j, mm.group(2).lower(), mm.group(3), 'dec' if dec else 'gen')
    open('%s/inner/%s.bin' % (out, tag), 'wb').write(bytes([names[first]]) + data)
    print(tag, len(data), mm.group(5)); j += 1
