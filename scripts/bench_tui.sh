#!/usr/bin/env bash
# TUI latency with a 1,000,000-row history: process start to the first frame and to the first
# frame showing a history page, and keystroke to frame while a payout call is in flight (the
# sandbox's account 22 answers only after 20 s). Runs the console in tmux at 200x50 and reads
# the timings the console logs (see FrameTiming in src/tui/mod.rs).
# Targets: first frame under 150 ms; keystroke to frame under 16 ms.
#
#   bash scripts/bench_tui.sh          # fills the 1M-row history first if needed (about 80 s)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "bench_tui: needs tmux" >&2; exit 2; }
BIN=${PAYOUT_CONSOLE_BIN:-target/release/payout-console}
export HISTORY_BENCH_DIR=${HISTORY_BENCH_DIR:-/tmp/payout-console-history-1m}
mkdir -p "$HISTORY_BENCH_DIR"
ls "$HISTORY_BENCH_DIR"/bench-*.ref >/dev/null 2>&1 || cargo bench --quiet --bench history >/dev/null
# After `cargo bench`, which relinks target/release/payout-console with dev-dependency features.
[ -n "${PAYOUT_CONSOLE_BIN:-}" ] || cargo build --release --quiet
LOG=$HISTORY_BENCH_DIR/logs/payout-console.log
mkdir -p "$(dirname "$LOG")"; : >"$LOG"
S=bench-tui-$$
trap 'tmux kill-session -t $S 2>/dev/null || true' EXIT
tmux new-session -d -s "$S" -x 200 -y 50 \
  "env PAYOUT_CONSOLE_DATA_DIR=$HISTORY_BENCH_DIR PAYOUT_CONSOLE_LOG=info,payout_console::tui=debug $BIN --sandbox"

wait_for() {  # text, seconds
  local deadline=$(( SECONDS + $2 ))
  until tmux capture-pane -p -t "$S" | grep -qF -- "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "bench_tui: gave up waiting for '$1'" >&2; tmux capture-pane -p -t "$S" >&2; exit 1; }
    sleep 0.1
  done
}
keys() { for k in "$@"; do tmux send-keys -t "$S" "$k"; sleep 0.05; done; }

wait_for "SANDBOX" 30
until grep -q "first frame with a history page" "$LOG"; do sleep 0.1; done
# A payout to account 22: its answer takes 20 s, so the call is in flight while we type.
keys / ; tmux send-keys -t "$S" -l 22; keys Enter
tmux send-keys -t "$S" -l 10; keys Enter Enter
wait_for "✓ session" 20
tmux send-keys -t "$S" -l 000000; keys Enter
wait_for "Enter = send" 10
keys C-o Enter   # override the synthetic unresolved rows for account 22, then send
sleep 1.5
[ -n "${BENCH_TUI_DEBUG:-}" ] && tmux capture-pane -p -t "$S" >&2
# Keystrokes while the call is out: move through the history and back, 40 of them.
keys Tab
for _ in $(seq 1 20); do keys Down; sleep 0.05; done
for _ in $(seq 1 20); do keys Up; sleep 0.05; done
sleep 0.5
keys Escape
sleep 0.3
tmux kill-session -t "$S" 2>/dev/null || true

first=$(grep "first frame drawn" "$LOG" | tail -1 | sed -E 's/.*ms=([0-9.]+).*/\1/')
history=$(grep "first frame with a history page" "$LOG" | tail -1 | sed -E 's/.*ms=([0-9.]+).*/\1/')
grep "key to frame" "$LOG" | grep "payout=true" | sed -E 's/.*us=([0-9]+).*/\1/' | sort -n >"$HISTORY_BENCH_DIR/keys.us"
n=$(wc -l <"$HISTORY_BENCH_DIR/keys.us")
median=$(awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] / 1000; else print "n/a" }' "$HISTORY_BENCH_DIR/keys.us")
p99=$(awk '{ a[NR] = $1 } END { if (NR) print a[int(NR * 0.99 + 0.999)] / 1000; else print "n/a" }' "$HISTORY_BENCH_DIR/keys.us")
worst=$(tail -1 "$HISTORY_BENCH_DIR/keys.us" | awk '{ print $1 / 1000 }')
rows=$(sqlite3 "$HISTORY_BENCH_DIR/history.sqlite3" 'select count(*) from executions' 2>/dev/null || echo "about 1000000")
echo "TUI at 200x50 with $rows rows of history, $(nproc) cores:"
echo "  process start to first frame:              ${first} ms (target < 150 ms)"
echo "  process start to first frame with history: ${history} ms"
echo "  keystroke to frame, call in flight ($n keys): median ${median} ms, p99 ${p99} ms, worst ${worst} ms (target < 16 ms)"
