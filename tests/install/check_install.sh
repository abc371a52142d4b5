#!/usr/bin/env bash
# The `install` suite: install the build into a temporary DESTDIR and use it the way an
# outside project would, with nothing but pkg-config and a C compiler.
#   1. meson install --destdir (no rebuild)
#   2. ipsecvpn.pc is installed and carries the project's version
#   3. every public header compiles on its own from the installed include dir
#   4. consumer.c builds with `cc $(pkg-config --cflags --libs ipsecvpn)`, links the installed
#      shared library (not the build tree's) and prints the values it should
#   5. the shared library exports only ipsecvpn_ symbols and has the right SONAME
# Exit 77 (skip) only when pkg-config or cc is missing.
# usage: check_install.sh MESON BUILD_DIR CONSUMER_C EXPECTED_VERSION SOVERSION [B_SANITIZE]
set -euo pipefail

meson_cmd=$1 build_dir=$2 consumer_src=$3 want_version=$4 soversion=$5 sanitize=${6:-none}
# A library built with sanitizers needs their runtime in the program that links it.
consumer_flags=()
if [ "$sanitize" != none ] && [ -n "$sanitize" ]; then
    consumer_flags=("-fsanitize=$sanitize")
fi

for tool in pkg-config cc nm readelf; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found (install pkg-config, gcc and binutils)"
        exit 77
    fi
done

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

destdir=$(mktemp -d "${TMPDIR:-/tmp}/ipsecvpn-install.XXXXXX")
trap 'rm -rf "$destdir"' EXIT

step "meson install into $destdir"
"$meson_cmd" install -C "$build_dir" --destdir "$destdir" --no-rebuild --quiet \
    || fail "meson install failed"

pc_files=$(find "$destdir" -name ipsecvpn.pc)
[ "$(printf '%s\n' "$pc_files" | grep -c .)" = 1 ] || fail "expected one ipsecvpn.pc, found: $pc_files"
PKG_CONFIG_PATH=$(dirname "$pc_files")
export PKG_CONFIG_PATH
export PKG_CONFIG_SYSROOT_DIR=$destdir
echo "pkg-config file: ${pc_files#"$destdir"}"

step "pkg-config version"
got_version=$(pkg-config --modversion ipsecvpn) || fail "pkg-config cannot read ipsecvpn.pc"
[ "$got_version" = "$want_version" ] || fail "ipsecvpn.pc says version $got_version, project is $want_version"
echo "version $got_version"

cflags=$(pkg-config --cflags ipsecvpn)
libs=$(pkg-config --libs ipsecvpn)
libdir=$(pkg-config --variable=libdir ipsecvpn)
includedir=$(pkg-config --variable=includedir ipsecvpn)
# pkgconf applies the sysroot to --variable as well, the original pkg-config does not.
case "$libdir" in "$destdir"/*) ;; *) libdir=$destdir$libdir ;; esac
case "$includedir" in "$destdir"/*) ;; *) includedir=$destdir$includedir ;; esac
echo "cflags: $cflags"
echo "libs:   $libs"
[ -f "$includedir/ipsecvpn/ipsecvpn.h" ] || fail "ipsecvpn/ipsecvpn.h not installed under $includedir"
if find "$includedir" -name '*.h' ! -path "$includedir/ipsecvpn/*" | grep -q .; then
    fail "headers installed outside include/ipsecvpn/: $(find "$includedir" -name '*.h' ! -path "$includedir/ipsecvpn/*")"
fi

step "each public header compiles on its own"
for h in "$includedir"/ipsecvpn/*.h; do
    name=ipsecvpn/$(basename "$h")
    printf '#include <%s>\nint main(void) { return 0; }\n' "$name" > "$destdir/hdr.c"
    # shellcheck disable=SC2086 # pkg-config output is meant to be split into words
    cc -std=c11 -Wall -Wextra -Werror -pedantic $cflags -c "$destdir/hdr.c" -o "$destdir/hdr.o" \
        || fail "$name does not compile on its own"
    echo "ok $name"
done

step "build the outside consumer against the installed library"
# shellcheck disable=SC2086 # pkg-config output is meant to be split into words
cc -std=c11 -Wall -Wextra -Werror "${consumer_flags[@]}" "$consumer_src" $cflags $libs \
    -o "$destdir/consumer" \
    || fail "consumer.c does not build against the installed library"

step "run it"
export LD_LIBRARY_PATH=$libdir
resolved=$(ldd "$destdir/consumer" | awk '/libipsecvpn/ {print $3}')
case "$resolved" in
    "$destdir"/*) echo "libipsecvpn resolved to \$DESTDIR${resolved#"$destdir"}" ;;
    *) fail "consumer resolves libipsecvpn to '$resolved', not the installed copy" ;;
esac
out=$("$destdir/consumer") || { printf '%s\n' "$out"; fail "consumer exited non-zero"; }
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -qx "ipsecvpn $want_version (headers $want_version)" \
    || fail "consumer did not print the expected version line"
printf '%s\n' "$out" | grep -q '^consumer: all checks passed$' || fail "consumer checks"

step "exported symbols"
so=$(find "$libdir" -name "libipsecvpn.so.$soversion.*" -type f | head -n 1)
[ -n "$so" ] || fail "libipsecvpn.so.$soversion.* not installed in $libdir"
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libipsecvpn.so.$soversion" ] || fail "SONAME is '$soname', expected libipsecvpn.so.$soversion"
[ -e "$libdir/libipsecvpn.so" ] || fail "development symlink libipsecvpn.so missing"
# Symbols the linker itself defines in every shared object are not ours to hide.
linker_symbols='^(_init|_fini|_edata|_end|__bss_start)$'
symbols=$(nm -D --defined-only "$so" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
count=$(printf '%s\n' "$symbols" | grep -c '^ipsecvpn_' || true)
stray=$(printf '%s\n' "$symbols" | grep -v '^ipsecvpn_' | grep -Ev "$linker_symbols" || true)
if [ -n "$stray" ]; then
    fail "the shared library exports symbols without the ipsecvpn_ prefix:
$stray"
fi
[ "$count" -gt 0 ] || fail "no ipsecvpn_ symbols exported"
for sym in ipsecvpn_version ipsecvpn_ctx_new ipsecvpn_connection_export; do
    printf '%s\n' "$symbols" | grep -qx "$sym" || fail "$sym is not exported"
done
echo "$count ipsecvpn_ symbols exported, nothing else; SONAME $soname"

echo "install check passed"
