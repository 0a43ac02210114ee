#!/usr/bin/env bash
# Side-by-side: `payout-console history` vs the `sqlite3` shell running the same SQL on the same
# 1,000,000-row file (the SQL comes from `history --sql`). Prints the median process wall time of
# each and their ratio (targets: history <= 1.2x sqlite3 and under 50 ms).
#
#   bash scripts/bench_history.sh [RUNS]     # RUNS defaults to 30
# The history is filled once by `cargo bench --bench history` (about 80 s) into
# HISTORY_BENCH_DIR (default /tmp/payout-console-history-1m) and reused afterwards.
set -euo pipefail
RUNS=${1:-30}
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "bench_history: needs sqlite3" >&2; exit 2; }
BIN=${PAYOUT_CONSOLE_BIN:-target/release/payout-console}
[ -n "${PAYOUT_CONSOLE_BIN:-}" ] || cargo build --release --quiet
export HISTORY_BENCH_DIR=${HISTORY_BENCH_DIR:-/tmp/payout-console-history-1m}
mkdir -p "$HISTORY_BENCH_DIR"
# Fills the file when missing and prints the in-process query figures.
cargo bench --quiet --bench history
export PAYOUT_CONSOLE_DATA_DIR=$HISTORY_BENCH_DIR
DB=$HISTORY_BENCH_DIR/history.sqlite3
REF=$(cat "$HISTORY_BENCH_DIR"/bench-*.ref | head -1)

now_ns() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
ms() { awk '{ printf "%.1f", $1 / 1e6 }'; }

compare() {
  local label=$1; shift
  local sql ours=() theirs=() t0 t1
  sql=$("$BIN" history "$@" --sql)
  "$BIN" history "$@" --format csv >/dev/null; sqlite3 -csv "$DB" "$sql" >/dev/null  # warm
  for _ in $(seq 1 "$RUNS"); do
    t0=$(now_ns); "$BIN" history "$@" --format csv >/dev/null; t1=$(now_ns); ours+=($(( t1 - t0 )))
    t0=$(now_ns); sqlite3 -csv "$DB" "$sql" >/dev/null; t1=$(now_ns); theirs+=($(( t1 - t0 )))
  done
  local a b
  a=$(printf '%s\n' "${ours[@]}" | median | ms)
  b=$(printf '%s\n' "${theirs[@]}" | median | ms)
  printf '%-34s history %6s ms   sqlite3 %6s ms   ratio %s\n' "$label" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
}

echo "median process wall time of $RUNS runs on $(nproc) cores, 1,000,000 rows:"
compare "--search <8 chars of a reference>" --search "${REF:0:8}" --limit 50
compare "--search insufficient" --search insufficient --limit 50
compare "--state failed" --state failed --limit 50
compare "newest 50" --limit 50
