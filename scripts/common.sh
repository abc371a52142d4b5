# shellcheck shell=bash disable=SC2034  # the PKGS_* lists are used by the sourcing scripts
# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
# Package installation for a Debian 12 machine, idempotent build-directory setup, and
# messages. Everything here can run again and again without changing a thing that is
# already in place.

# Debian packages, by purpose.
PKGS_BUILD=(gcc libc6-dev meson ninja-build pkg-config python3
            libmbedtls-dev libtommath-dev libcjson-dev)
PKGS_TEST=(libcriterion-dev doxygen binutils)
# libFuzzer ships in libclang-rt-14-dev (libclang_rt.fuzzer-*.a), which clang only recommends.
PKGS_FUZZ=(clang libclang-rt-14-dev)
PKGS_INTEROP=(strongswan-charon strongswan-swanctl libcharon-extra-plugins
              libstrongswan-extra-plugins iproute2 iputils-ping tcpdump)

say() { printf '\n==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }

# ensure_packages PKG...: install the ones that are missing. As root: apt-get update (only
# when something must be installed) and apt-get install, non-interactively. Without root:
# name what is missing and carry on; the build then says what it cannot find.
ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        warn "not a Debian system (no dpkg-query): make sure these are installed: $*"
        return 0
    fi
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "packages present: $*"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        warn "missing Debian packages (not root, so not installing): ${missing[*]}"
        warn "install them with: sudo apt-get install ${missing[*]}"
        return 0
    fi
    echo "installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${_IPSECVPN_APT_UPDATED:-}" ]; then
        apt-get update -q </dev/null || warn "apt-get update failed"
        _IPSECVPN_APT_UPDATED=1
    fi
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
        warn "apt-get install failed for: ${missing[*]}"
        return 1
    fi
}

# setup_builddir DIR [meson options...]: configure DIR for these options whatever state it
# is in: absent (fresh setup), configured (reconfigure with these options), or broken or
# made by another compiler/meson (wiped and set up again).
setup_builddir() {
    local dir=$1
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        if meson setup --reconfigure "$dir" "$@"; then
            return 0
        fi
        warn "reconfiguring $dir failed; wiping it and starting again"
    fi
    if [ -e "$dir" ]; then
        rm -rf "$dir"
    fi
    meson setup "$dir" "$@"
}

# The compiler that configured a build directory ("gcc", "clang", ...), or empty.
builddir_compiler() {
    local info=$1/meson-info/intro-compilers.json
    [ -f "$info" ] || return 0
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host"]["c"]["id"])' "$info" \
        2>/dev/null || true
}
