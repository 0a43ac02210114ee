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
export HISTORY_BENCH_DIR=${HISTORY_BENCH_DIR:-/tmp/payout-console-history-1m}
mkdir -p "$HISTORY_BENCH_DIR"
# Fills the file when missing and prints the in-process query figures.
cargo bench --quiet --bench history
# Built after `cargo bench`, never before: `cargo bench` relinks target/release/payout-console
# with the dev-dependencies' features unified in (full Unicode regex tables among them), a
# bigger, slower-starting binary than the one `cargo build --release` gives operators.
[ -n "${PAYOUT_CONSOLE_BIN:-}" ] || cargo build --release --quiet
# Measured as installed: a copy, written in one go as an installer (or the package manager that
# put sqlite3 in place) writes it. A file fresh from the linker sits in the page cache in small
# pieces and costs about 20 more page faults a start (0.2 ms on the README's machine).
INSTALLED=$HISTORY_BENCH_DIR/bin/payout-console
mkdir -p "$(dirname "$INSTALLED")"
cp "$BIN" "$INSTALLED.tmp" && mv "$INSTALLED.tmp" "$INSTALLED"
BIN=$INSTALLED
export PAYOUT_CONSOLE_DATA_DIR=$HISTORY_BENCH_DIR
DB=$HISTORY_BENCH_DIR/history.sqlite3
REF=$(cat "$HISTORY_BENCH_DIR"/bench-*.ref | head -1)

# hyperfine runs each command without a shell (-N), so the figures are the processes' own.
command -v hyperfine >/dev/null || { echo "bench_history: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
compare() {
  local label=$1; shift
  local sql json a b
  sql=$("$BIN" history "$@" --sql)
  json=$(mktemp)
  hyperfine -N -w 5 -r "$RUNS" --export-json "$json" \
    "$BIN history $* --format csv" "sqlite3 -csv $DB \"$sql\"" >/dev/null 2>&1
  a=$(jq '.results[0].median * 1000' "$json"); b=$(jq '.results[1].median * 1000' "$json")
  rm -f "$json"
  printf '%-34s history %6.2f ms   sqlite3 %6.2f ms   ratio %.2f\n' "$label" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
}

echo "median process wall time (hyperfine, $RUNS runs) on $(nproc) cores, 1,000,000 rows:"
compare "--search <8 chars of a reference>" --search "${REF:0:8}" --limit 50
compare "--search insufficient" --search insufficient --limit 50
compare "--state failed" --state failed --limit 50
compare "newest 50" --limit 50
