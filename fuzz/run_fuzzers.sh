#!/usr/bin/env bash
# Runs smtpwire's libFuzzer targets for a fixed time each, from their seed corpora, and
# prints a summary. New inputs and crash files go to a scratch directory, never into
# the repository. Fails when any target reports a crash, leak, sanitizer error,
# timeout, out-of-memory or broken invariant.
#
# Usage: fuzz/run_fuzzers.sh BUILD_DIR [SECONDS] [TARGET...]
#   BUILD_DIR  a build of the `fuzz` preset (e.g. build/fuzz)
#   SECONDS    fuzzing time per target (default 45)
#   TARGET     the targets to run (default: all)
# Environment: SMTPWIRE_FUZZ_JOBS targets run at once (default 2);
#              SMTPWIRE_FUZZ_SCRATCH the scratch directory (default: a new one in $TMPDIR);
#              SMTPWIRE_FUZZ_MERGE=1 merges the new inputs that add coverage into
#              fuzz/corpus/<target>/ after a run in which every target passed (libFuzzer's
#              -merge=1), so the committed corpus keeps growing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: $0 BUILD_DIR [SECONDS] [TARGET...]}"
seconds="${2:-45}"
shift $(( $# >= 2 ? 2 : 1 ))
all_targets=(fuzz_command fuzz_reply fuzz_path fuzz_esmtp_param fuzz_capabilities fuzz_sasl fuzz_data_decoder
             fuzz_proxy_protocol fuzz_server_session fuzz_client_session fuzz_round_trip)
if (( $# > 0 )); then targets=("$@"); else targets=("${all_targets[@]}"); fi
jobs="${SMTPWIRE_FUZZ_JOBS:-2}"
scratch="${SMTPWIRE_FUZZ_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/smtpwire-fuzz.XXXXXX")}"

for t in "${targets[@]}"; do
  if [[ ! -x "$build/fuzz/$t" ]]; then
    echo "run_fuzzers: $build/fuzz/$t not found; build the fuzz preset first" >&2
    exit 2
  fi
done

# One target: fuzz for $seconds, new units into $scratch/$t/corpus, exit status to .rc.
run_one() {
  local t="$1"
  mkdir -p "$scratch/$t/corpus"
  local rc=0
  # The outer timeout only guards against a hung process; libFuzzer stops itself.
  timeout --kill-after=30 $(( seconds + 300 )) \
    "$build/fuzz/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -dict="$here/$t.dict" -artifact_prefix="$scratch/$t/" -print_final_stats=1 \
      "$scratch/$t/corpus" "$here/corpus/$t" \
      > "$scratch/$t.log" 2>&1 || rc=$?
  echo "$rc" > "$scratch/$t.rc"
}

echo "fuzzing ${#targets[@]} target(s) for ${seconds} s each, $jobs at a time; scratch: $scratch"
running=0
for t in "${targets[@]}"; do
  if (( running >= jobs )); then
    wait -n || true
    running=$(( running - 1 ))
  fi
  run_one "$t" &
  running=$(( running + 1 ))
done
wait || true

# Summary: libFuzzer's last "#N DONE cov: C ft: F corp: ... exec/s: E" line per target.
failed=()
printf '\n%-22s %-8s %12s %9s %7s %8s %14s\n' target status runs exec/s cov ft corpus
for t in "${targets[@]}"; do
  rc="$(cat "$scratch/$t.rc" 2>/dev/null || echo 1)"
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$scratch/$t.log" | tail -n 1 || true)"
  field() { sed -nE "s|.* $1: ([^ ]+).*|\1|p" <<< "$done_line"; }
  runs="$(sed -nE 's/^#([0-9]+).*/\1/p' <<< "$done_line")"
  status=ok
  if [[ "$rc" != 0 ]]; then
    status="FAILED"
    failed+=("$t")
  fi
  printf '%-22s %-8s %12s %9s %7s %8s %14s\n' "$t" "$status" "${runs:--}" "$(field exec/s)" \
    "$(field cov)" "$(field ft)" "$(field corp)"
done

if (( ${#failed[@]} > 0 )); then
  for t in "${failed[@]}"; do
    printf '\n==== %s failed (exit status %s); last lines of %s:\n' "$t" "$(cat "$scratch/$t.rc")" "$scratch/$t.log"
    tail -n 60 "$scratch/$t.log"
    ls "$scratch/$t"/crash-* "$scratch/$t"/leak-* "$scratch/$t"/timeout-* "$scratch/$t"/oom-* 2>/dev/null || true
  done
  echo "run_fuzzers: ${#failed[@]} target(s) failed: ${failed[*]} (inputs under $scratch)" >&2
  exit 1
fi
if [[ "${SMTPWIRE_FUZZ_MERGE:-0}" == 1 ]]; then
  for t in "${targets[@]}"; do
    before=$(find "$here/corpus/$t" -type f | wc -l)
    "$build/fuzz/$t" -merge=1 -dict="$here/$t.dict" "$here/corpus/$t" "$scratch/$t/corpus" \
      > "$scratch/$t.merge.log" 2>&1
    echo "run_fuzzers: $t corpus $before -> $(find "$here/corpus/$t" -type f | wc -l) inputs"
  done
fi
echo "run_fuzzers: all targets passed; new inputs under $scratch/<target>/corpus"
