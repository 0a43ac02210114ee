#!/usr/bin/env bash
# Crash trials: run N payouts against the standalone sandbox, SIGKILL each `pay` at a random
# moment, run `reconcile --yes`, and report rows lost, rows left unresolved and references
# executed twice. Exits non-zero if any row was lost or any reference executed twice.
#
#   bash scripts/crash_trials.sh [N]          # N defaults to 20; the documented long run is 200
#   PAYOUT_CONSOLE_BIN=target/release/payout-console bash scripts/crash_trials.sh 200
set -euo pipefail
N=${1:-20}
cd "$(dirname "$0")/.."
BIN=${PAYOUT_CONSOLE_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --quiet
  BIN=target/debug/payout-console
fi
for tool in curl jq; do command -v $tool >/dev/null || { echo "crash_trials: needs $tool" >&2; exit 2; }; done

WORK=$(mktemp -d)
SANDBOX_PID=
cleanup() { [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# Start the standalone sandbox on a free port.
for _ in $(seq 1 20); do
  PORT=$(( 20000 + RANDOM % 20000 ))
  "$BIN" sandbox --listen "127.0.0.1:$PORT" >"$WORK/sandbox.out" 2>&1 &
  SANDBOX_PID=$!
  for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$PORT/_sandbox/executions" >/dev/null 2>&1 && break 2
    kill -0 "$SANDBOX_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$SANDBOX_PID" 2>/dev/null || true; SANDBOX_PID=
done
[ -n "$SANDBOX_PID" ] || { echo "crash_trials: could not start the sandbox" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"

cat >"$WORK/config.toml" <<TOML
default_profile = "trials"
[profiles.trials]
base_url = "$BASE"
client_id = "sandbox"
poll_interval_secs = 1
TOML
export PAYOUT_CONSOLE_CONFIG="$WORK/config.toml" PAYOUT_CONSOLE_DATA_DIR="$WORK/data"
export PAYOUT_CONSOLE_CLIENT_SECRET=sandbox
unset PAYOUT_CONSOLE_TOKEN PAYOUT_CONSOLE_PROFILE

# Accounts whose outcome the status endpoint settles within seconds: completes, declines, a slow
# answer, a dropped connection, a 500 then fine, a 429 then fine.
ACCOUNTS=(18 19 22 23 24 25)
for i in $(seq 1 "$N"); do
  acct=${ACCOUNTS[$(( RANDOM % ${#ACCOUNTS[@]} ))]}
  # --allow-unresolved: earlier trials' killed rows must not block this one.
  echo 000000 | "$BIN" pay --account "$acct" --amount 10 --currency USD --phone 231771234567 \
    --code-stdin --json --allow-unresolved >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", (r % 3000) / 1000 }')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "$BIN" reconcile --yes --json >/dev/null 2>&1 || true
done

# Let slow answers land, then reconcile until nothing is left or the not-found grace (60 s over
# three polls) has passed for executions that never reached the API.
deadline=$(( SECONDS + 150 ))
while :; do
  left=$("$BIN" history --format json --limit 100000 | jq '[.[] | select(.state == "sending" or .state == "unknown" or .state == "pending" or .state == "processing")] | length')
  [ "$left" -eq 0 ] && break
  [ $SECONDS -ge $deadline ] && break
  sleep 10
  "$BIN" reconcile --yes --json >/dev/null 2>&1 || true
done

"$BIN" history --format json --limit 100000 >"$WORK/history.json"
curl -fsS "$BASE/_sandbox/executions" >"$WORK/executions.json"
rows=$(jq 'length' "$WORK/history.json")
executed_refs=$(jq -r '.executions[] | select(.executions >= 1) | .reference_id' "$WORK/executions.json" | sort)
history_refs=$(jq -r '.[].reference_id' "$WORK/history.json" | sort)
lost=$(comm -23 <(echo "$executed_refs" | sed '/^$/d') <(echo "$history_refs" | sed '/^$/d') | wc -l)
twice=$(jq '[.executions[] | select(.executions > 1)] | length' "$WORK/executions.json")
unresolved=$(jq '[.[] | select(.state == "sending" or .state == "unknown")] | length' "$WORK/history.json")
not_final=$(jq '[.[] | select(.state == "pending" or .state == "processing")] | length' "$WORK/history.json")
states=$(jq -r 'group_by(.state) | map("\(.[0].state)=\(length)") | join(" ")' "$WORK/history.json")

echo "crash trials: $N payouts killed at random moments; $rows rows in history ($states)"
echo "rows lost: $lost"
echo "rows left unresolved: $unresolved (plus $not_final still pending/processing)"
echo "references executed twice: $twice"
[ "$lost" -eq 0 ] && [ "$twice" -eq 0 ]
