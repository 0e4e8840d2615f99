#!/bin/sh
# Instructions per run of each fixed workload of smtpwire-bench, counted by callgrind: the
# difference between N and 2N runs, divided by N, so start-up and set-up cancel out.
#
#   tests/bench/instructions.sh build/release/tests/bench/smtpwire-bench [N]
#
# N defaults to 2000. Counts do not depend on the machine's load, unlike wall time; they
# do depend on the compiler, its flags and the valgrind version.
set -eu

bench=${1:?usage: instructions.sh PATH-TO-smtpwire-bench [N]}
n=${2:-2000}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions callgrind collected over `smtpwire-bench --fixed $1 $2`.
collected() {
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
        "$bench" --fixed "$1" "$2" 2>"$out/stderr" >/dev/null
    count=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$out/stderr")
    if [ -z "$count" ]; then
        echo "callgrind counted nothing for $1 $2; its output:" >&2
        cat "$out/stderr" >&2
        exit 1
    fi
    echo "$count"
}

for workload in server-session client-session server-transaction client-transaction data-decode; do
    once=$(collected "$workload" "$n")
    twice=$(collected "$workload" $((2 * n)))
    echo "$workload: $(( (twice - once) / n )) instructions per run"
done
