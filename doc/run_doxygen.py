#!/usr/bin/env python3
"""Run doxygen for the `docs` target and leave ninja what it needs.

doxygen writes a whole directory, which ninja cannot track, so this wrapper touches a stamp
file on success and writes a depfile naming every public header: the docs are rebuilt when
any header changes, including headers added after meson was configured.

usage: run_doxygen.py DOXYGEN DOXYFILE HEADER_DIR STAMP DEPFILE
"""
import glob
import os
import subprocess
import sys


def main():
    doxygen, doxyfile, header_dir, stamp, depfile = sys.argv[1:6]
    headers = sorted(glob.glob(os.path.join(header_dir, '*.h')))
    result = subprocess.run([doxygen, doxyfile])
    if result.returncode != 0:
        sys.stderr.write('docs: doxygen reported the warnings above; every public symbol in '
                         '%s must be documented\n' % header_dir)
        return 1
    with open(depfile, 'w') as f:
        deps = [doxyfile] + headers
        f.write('%s: %s\n' % (stamp.replace(' ', '\\ '),
                              ' '.join(d.replace(' ', '\\ ') for d in deps)))
    with open(stamp, 'w') as f:
        f.write('ok\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
