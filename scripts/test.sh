#!/usr/bin/env bash
# Install what is missing (Debian 12), build, and run the whole test suite:
#   build      build/ with the default options: library, examples, tests, docs
#   test       every meson suite in build/ (unit, fuzz corpus replay, interop, install, examples)
#   docs       the Doxygen API reference (warnings are errors)
#   asan       build-asan/ with ASan+UBSan: the unit, fuzz and examples suites again
#   no-ikev1   build-noikev1/ with -Dikev1=false: the unit and fuzz suites of an IKEv2-only build
#   libfuzzer  build-fuzz/ with clang and libFuzzer: each harness fuzzes a temporary copy of
#              its corpus for FUZZ_SECONDS (default 10); skipped if clang/libFuzzer is missing
# Prints one summary line per stage and ends with "N passed, N failed" over every test run:
# the meson tests of all stages, plus each libFuzzer run; a build or docs step that fails
# counts as one failure. Exits non-zero if anything failed. Idempotent; never writes to the
# source tree (only build*/ directories).
# Usage: sudo bash scripts/test.sh        Environment: FUZZ_SECONDS, JOBS (default: nproc)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/common.sh
. scripts/common.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-10}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export MESON_TESTTHREADS=${MESON_TESTTHREADS:-$JOBS}
start_time=$(date +%s)

total_pass=0
total_fail=0
stage_lines=()

# record STAGE STATUS DETAIL [PASSED FAILED]
record() {
    stage_lines+=("$(printf '%-16s %-5s %s' "$1" "$2" "$3")")
    total_pass=$((total_pass + ${4:-0}))
    total_fail=$((total_fail + ${5:-0}))
    printf '\n[%s] %s %s\n' "$1" "$2" "$3"
}

# Counts of the last `meson test` in a build dir, from its testlog.json: "pass fail skip".
count_results() {
    python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            result = json.loads(line).get('result', '')
            if result in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif result == 'SKIP':
                skipped += 1
            else:                       # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, ...
                failed += 1
except FileNotFoundError:
    pass
print(passed, failed, skipped)
PY
}

# run_meson_tests STAGE BUILDDIR [meson test args...]
run_meson_tests() {
    local stage=$1 dir=$2
    shift 2
    rm -f "$dir/meson-logs/testlog.json"
    meson test -C "$dir" --print-errorlogs "$@"
    local rc=$?
    local pass fail skip
    read -r pass fail skip < <(count_results "$dir")
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        fail=1   # meson itself failed (e.g. a rebuild error) before recording a result
    fi
    local status=ok
    [ "$fail" -eq 0 ] || status=FAIL
    record "$stage" "$status" "$pass passed, $fail failed, $skip skipped ($dir)" "$pass" "$fail"
}

# build_dir STAGE BUILDDIR [meson options...]: configure and build; on failure record it.
build_dir() {
    local stage=$1 dir=$2
    shift 2
    say "[$stage] configuring $dir $*"
    if ! setup_builddir "$dir" "$@"; then
        record "$stage" FAIL "meson setup of $dir failed" 0 1
        return 1
    fi
    say "[$stage] building $dir"
    if ! ninja -C "$dir" -j "$JOBS"; then
        record "$stage" FAIL "build of $dir failed" 0 1
        return 1
    fi
    return 0
}

# ---- dependencies ------------------------------------------------------------------------
say "checking dependencies"
ensure_packages "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}" "${PKGS_FUZZ[@]}" "${PKGS_INTEROP[@]}" \
    || warn "some packages could not be installed; the stages that need them will fail or skip"

# ---- normal build: every suite, then the docs --------------------------------------------
if build_dir build build; then
    record build ok "build/"
    say "[test] meson test -C build (all suites)"
    run_meson_tests test build
    if ninja -C build -t query docs >/dev/null 2>&1; then
        say "[docs] Doxygen API reference"
        if ninja -C build docs; then
            record docs ok "build/doc/html/index.html"
        else
            record docs FAIL "doxygen warnings (see above)" 0 1
        fi
    else
        record docs skip "doxygen not found or -Ddocs=disabled"
    fi
fi

# ---- ASan + UBSan: unit, fuzz and examples suites ---------------------------------------------------
# Criterion runs each test in a forked worker. LeakSanitizer works there (no ptrace problem on
# Debian 12), but a worker that leaks exits non-zero *after* reporting its test as passed, and
# Criterion ignores that status: the leak is printed, the test still passes. abort_on_error=1
# turns the leak report into a crash in teardown, which Criterion does count as a failure.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if build_dir asan build-asan -Db_sanitize=address,undefined -Db_lundef=false -Ddocs=disabled; then
    say "[asan] unit, fuzz and examples suites under AddressSanitizer + UndefinedBehaviorSanitizer"
    run_meson_tests asan build-asan --suite unit --suite fuzz --suite examples
fi

# ---- without IKEv1: firmware that needs only IKEv2 builds with -Dikev1=false ----------------
# Everything IKEv2 must still pass, and an IKEv1 connection must be refused (ike-ikev1_option).
if build_dir no-ikev1 build-noikev1 -Dikev1=false -Ddocs=disabled; then
    say "[no-ikev1] unit and fuzz suites of the IKEv2-only build"
    run_meson_tests no-ikev1 build-noikev1 --suite unit --suite fuzz
fi

# ---- libFuzzer: each harness briefly, on a copy of its corpus ----------------------------
have_libfuzzer() {
    command -v clang >/dev/null 2>&1 || return 1
    local probe
    probe=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        > "$probe/probe.c"
    clang -fsanitize=fuzzer,address "$probe/probe.c" -o "$probe/probe" >/dev/null 2>&1
    local rc=$?
    rm -rf "$probe"
    return $rc
}

if ! have_libfuzzer; then
    record libfuzzer skip "clang with libFuzzer not available (apt-get install clang libclang-rt-14-dev)"
else
    # A build dir first made with another compiler cannot switch to clang: start it afresh.
    if [ -d build-fuzz ] && [ "$(builddir_compiler build-fuzz)" != clang ]; then
        rm -rf build-fuzz
    fi
    # The whole build gets coverage instrumentation (fuzzer-no-link) and ASan+UBSan, so
    # libFuzzer is guided by the library's code, not only the harness's.
    if CC=clang build_dir libfuzzer build-fuzz -Dfuzzing=true -Dtests=disabled -Ddocs=disabled \
        -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link; then
        say "[libfuzzer] corpus replay (fuzz suite, libFuzzer binaries)"
        run_meson_tests libfuzzer-replay build-fuzz --suite fuzz
        fz_pass=0 fz_fail=0 fz_names=()
        artifacts=$PWD/build-fuzz/artifacts
        rm -rf "$artifacts"   # findings of earlier runs are not this run's
        mkdir -p "$artifacts"
        harnesses=()
        while IFS= read -r harness; do
            harnesses+=("$harness")
        done < <(find build-fuzz/fuzz -type f -name 'fuzz_*' -perm -u+x | sort)
        # fuzz_one HARNESS: fuzz a temporary copy of its corpus (libFuzzer adds inputs to the
        # corpus directory it is given, and the repository's must stay as committed).
        fuzz_one() {
            local harness=$1 name work
            name=$(basename "$harness")
            name=${name#fuzz_}
            work=$(mktemp -d)
            if [ -d "fuzz/corpus/$name" ]; then
                cp -R "fuzz/corpus/$name/." "$work/"
            fi
            "$harness" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work" \
                > "$artifacts/$name.log" 2>&1
            echo $? > "$artifacts/$name.rc"
            rm -rf "$work"
        }
        say "[libfuzzer] fuzzing ${#harnesses[@]} harnesses for ${FUZZ_SECONDS}s each, $JOBS at a time"
        running=0
        for harness in "${harnesses[@]}"; do
            fuzz_one "$harness" &
            running=$((running + 1))
            if [ "$running" -ge "$JOBS" ]; then
                wait -n
                running=$((running - 1))
            fi
        done
        wait
        for harness in "${harnesses[@]}"; do
            name=$(basename "$harness")
            name=${name#fuzz_}
            execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$artifacts/$name.log")
            if [ "$(cat "$artifacts/$name.rc" 2>/dev/null)" = 0 ]; then
                fz_pass=$((fz_pass + 1))
                printf '  ok    %-24s %s runs\n' "$name" "${execs:-?}"
            else
                fz_fail=$((fz_fail + 1))
                fz_names+=("$name")
                printf '  FAIL  %-24s crash input under %s/, log %s.log:\n' "$name" "$artifacts" "$artifacts/$name"
                tail -n 40 "$artifacts/$name.log"
            fi
        done
        if [ "$fz_fail" -eq 0 ]; then
            record libfuzzer ok "$fz_pass harnesses fuzzed ${FUZZ_SECONDS}s each, no findings" "$fz_pass" 0
        else
            record libfuzzer FAIL "$fz_fail of $((fz_pass + fz_fail)) harnesses failed: ${fz_names[*]}" "$fz_pass" "$fz_fail"
        fi
    fi
fi

# ---- summary -------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - start_time ))
printf '\n==================== summary (%dm%02ds) ====================\n' $((elapsed / 60)) $((elapsed % 60))
printf '%s\n' "${stage_lines[@]}"
printf '%d passed, %d failed\n' "$total_pass" "$total_fail"
[ "$total_fail" -eq 0 ]
