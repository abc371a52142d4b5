import re, sys
# Prints every labelled hex dump of a charon log as: line label hex
lines = open(sys.argv[1]).read().split('\n')
hdr = re.compile(r'^\S+ (\d+)\[(\w+)\] (.*?)\s*=> (\d+) bytes @')
row = re.compile(r'^\S+ (\d+)\[(\w+)\]\s+(\d+): ((?:[0-9A-F]{2} )+)')
i = 0
while i < len(lines):
    m = hdr.match(lines[i])
    if m:
        th, n = m.group(1), int(m.group(4))
        data = ''
        j = i + 1
        while len(data) < 2 * n and j < len(lines):
            r = row.match(lines[j])
            if r and r.group(1) == th:
                data += r.group(4).replace(' ', '')
            j += 1
        label = m.group(3).strip() or '(anon)'
        print(i + 1, label.replace(' ', '_'), data.lower()[:2*n])
    i += 1
