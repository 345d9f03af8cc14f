#!/usr/bin/env bash
# Usage: scripts/fuzz.sh            (make fuzz)
#
# The long schema-fuzzing run: tests/test_fuzz_api.py (every operation of
# /api/v1/openapi.json as anonymous, resident, steward, staff and admin: no 5xx, the error
# envelope on every 4xx) and the chat-callback probes, again and again with a fresh random
# seed each round and FUZZ_EXAMPLES cases per operation, alternating SQLite and a throw-away
# PostgreSQL, until FUZZ_SECONDS (default 600) have passed. Stops at the first failure and
# prints the seed that reproduces it:
#   FUZZ_RANDOM=1 FUZZ_EXAMPLES=N .venv/bin/pytest tests/test_fuzz_api.py --hypothesis-seed=SEED
set -uo pipefail

cd "$(dirname "$0")/.."
SECONDS_BUDGET="${FUZZ_SECONDS:-600}"
export FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-40}"
export FUZZ_RANDOM=1
PYTEST=".venv/bin/pytest"
TESTS=(tests/test_fuzz_api.py tests/test_callback_fuzz.py)
LOG_DIR="${FUZZ_LOG_DIR:-instance/fuzz}"
mkdir -p "$LOG_DIR"

start=$(date +%s)
deadline=$((start + SECONDS_BUDGET))
round=0
requests=0
while [ "$(date +%s)" -lt "$deadline" ]; do
    round=$((round + 1))
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    if [ $((round % 2)) -eq 1 ]; then leg=sqlite; else leg=postgresql; fi
    log="$LOG_DIR/round-$round-$leg.log"
    echo "fuzz: round $round on $leg, seed $seed ($(( deadline - $(date +%s) )) s left)"
    args=(-q -p no:cacheprovider --hypothesis-seed="$seed" "${TESTS[@]}")
    if [ "$leg" = sqlite ]; then
        env -u TEST_DATABASE_URL "$PYTEST" "${args[@]}" >"$log" 2>&1
    else
        scripts/with-postgres.sh "$PYTEST" "${args[@]}" >"$log" 2>&1
    fi
    rc=$?
    tail -n 1 "$log"
    if [ $rc -ne 0 ]; then
        echo "fuzz: FAILED in round $round on $leg with seed $seed; see $log" >&2
        grep -aE "^(FAILED|E  )" "$log" | head -n 40 >&2
        exit 1
    fi
done
echo "fuzz: $round rounds in $(( $(date +%s) - start )) s, no 5xx and every 4xx an envelope"
