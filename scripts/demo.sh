#!/usr/bin/env bash
# Install what is missing (Debian 12), build, and run the two demos: examples/config_demo,
# which builds a cloud VPN connection through the public API, shows validation rejecting bad
# edits without changing anything, and prints the peer's configuration in three formats; then
# examples/two_engines_demo, two engines in one process bringing up an IKEv2 tunnel over
# loopback UDP, passing traffic, rekeying the Child SA once and printing SAs and counters;
# then the same with IKEv1 (main mode and quick mode) when the build has it.
# Idempotent: run it as often as you like.   Usage: sudo bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/common.sh
. scripts/common.sh

say "checking build dependencies"
ensure_packages "${PKGS_BUILD[@]}"

say "configuring build/"
setup_builddir build

say "building the demos"
ninja -C build examples/config_demo examples/two_engines_demo

say "running build/examples/config_demo"
build/examples/config_demo

say "running build/examples/two_engines_demo (IKEv2)"
build/examples/two_engines_demo
say "running build/examples/two_engines_demo --ikev1 (IKEv1 main mode)"
exec build/examples/two_engines_demo --ikev1
