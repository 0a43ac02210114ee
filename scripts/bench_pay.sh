#!/usr/bin/env bash
# Side-by-side: `payout-console pay --no-wait` vs curl making the same token, session and execute
# calls, against the standalone sandbox on loopback. Prints the median process wall time of each
# and their ratio (target: pay <= 1.3x curl).
#
#   bash scripts/bench_pay.sh [RUNS]      # RUNS defaults to 30
set -euo pipefail
RUNS=${1:-30}
cd "$(dirname "$0")/.."
BIN=${PAYOUT_CONSOLE_BIN:-target/release/payout-console}
[ -n "${PAYOUT_CONSOLE_BIN:-}" ] || cargo build --release --quiet
WORK=$(mktemp -d)
SANDBOX_PID=
cleanup() { [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

PORT=$(( 20000 + RANDOM % 20000 ))
"$BIN" sandbox --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SANDBOX_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fsS "$BASE/_sandbox/executions" >/dev/null 2>&1 && break; sleep 0.05; done

cat >"$WORK/config.toml" <<TOML
default_profile = "bench"
[profiles.bench]
base_url = "$BASE"
client_id = "sandbox"
TOML
export PAYOUT_CONSOLE_CONFIG="$WORK/config.toml" PAYOUT_CONSOLE_DATA_DIR="$WORK/data"
export PAYOUT_CONSOLE_CLIENT_SECRET=sandbox
unset PAYOUT_CONSOLE_TOKEN PAYOUT_CONSOLE_PROFILE

command -v hyperfine >/dev/null || { echo "bench_pay: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
# Each side is one small bash script, so both pay the same shell start-up.
cat >"$WORK/pay.sh" <<SH
echo 000000 | "$BIN" pay --account 18 --amount 10 --currency USD --phone 231771234567 \\
  --code-stdin --no-wait --json --allow-unresolved >/dev/null
[ \$? -eq 5 ]   # 5: pending, as expected with --no-wait
SH
cat >"$WORK/curl.sh" <<SH
set -e
token=\$(curl -fsS -H 'content-type: application/json' \\
  -d '{"client_id":"sandbox","client_secret":"sandbox"}' "$BASE/v1/jwt/client/obtain/token" | jq -r .access_token)
session=\$(curl -fsS -H "authorization: Bearer \$token" -H 'content-type: application/json' \\
  -d '{"payout_account_id":"18","amount":10,"currency":"USD"}' "$BASE/v1/sessions/payout" | jq -r .id)
ref=\$(cat /proc/sys/kernel/random/uuid)
curl -fsS -H "authorization: Bearer \$token" -H 'content-type: application/json' -d "{
  \\"session_id\\":\\"\$session\\",\\"payout_account_id\\":\\"18\\",\\"reference_id\\":\\"\$ref\\",
  \\"passcode\\":{\\"token\\":{\\"code\\":\\"000000\\",\\"phone\\":\\"231771234567\\"},
  \\"device\\":{\\"name\\":\\"bench\\",\\"type\\":\\"SERVER\\",\\"platform\\":\\"LINUX\\",\\"user_agent\\":\\"curl\\",\\"client_ip\\":\\"127.0.0.1\\"}}}" \\
  "$BASE/v1/executions/payout" >/dev/null
SH
bash "$WORK/pay.sh" && bash "$WORK/curl.sh" || { echo "bench_pay: a warm-up run failed" >&2; exit 1; }
hyperfine -N -w 3 -r "$RUNS" --export-json "$WORK/pay.json" "bash $WORK/pay.sh" "bash $WORK/curl.sh" >/dev/null 2>&1
pay_ms=$(jq '.results[0].median * 1000' "$WORK/pay.json")
curl_ms=$(jq '.results[1].median * 1000' "$WORK/pay.json")
printf 'pay --no-wait (token + session + journal + execute), median of %s: %.1f ms\n' "$RUNS" "$pay_ms"
printf 'curl x3 + jq (token + session + execute),            median of %s: %.1f ms\n' "$RUNS" "$curl_ms"
printf 'ratio pay/curl: %.2f (target <= 1.3)\n' "$(awk -v a="$pay_ms" -v b="$curl_ms" 'BEGIN { print a / b }')"
