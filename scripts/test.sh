#!/usr/bin/env bash
# Runs the whole test suite (the README's test command) and ends with one summary line
# "N passed, M failed". Extra arguments go to `swift test` (e.g. --filter FSBNNTests).
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
swift test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# XCTest's last "Executed N tests, with [S tests skipped and] F failures" line is the whole run.
summary="$(grep -E "Executed [0-9]+ tests?, with .*failures?" "$log" | tail -1)"
if [ -n "$summary" ]; then
  executed="$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')"
  failed="$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')"
  skipped=0
  if echo "$summary" | grep -qE "[0-9]+ tests? skipped"; then
    skipped="$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? skipped.*/\1/')"
  fi
  echo "$((executed - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
