#!/usr/bin/env bash
# Builds the libFuzzer binary of Fuzz/ (-sanitize=fuzzer,address, linked with lld, into
# .build-fuzz) and fuzzes one reader, or each in turn (`all`, one after the other: never
# two at once), for SECONDS each, under `nice -n 5` on one core. Per input: at most 10 s
# (-timeout=10) and 2 GiB (-rss_limit_mb=2048); leaks are detected (ASan/LeakSanitizer).
# The corpus grows in Fuzz/corpus/TARGET (git-ignored; generated seeds from
# scripts/fuzz-seeds.sh, plus the committed seeds of Fuzz/seeds/); a crash, trap, hang, leak or
# unclean error is written to Fuzz/artifacts/. Each run appends its date, command and
# libFuzzer's figures (executions, cov:, ft:) to results/fuzz/TARGET.txt.
# Exit status: libFuzzer's (0: clean run), 2 for bad usage, 3 when the build failed.
# Usage: scripts/fuzz.sh TARGET|all SECONDS
set -uo pipefail
cd "$(dirname "$0")/.."
targets_all="gzip tar idx cifar checkpoint checkpoint-crc config compare hardware topology"
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS   (targets: $targets_all)" >&2; exit 2
fi
target="$1"; seconds="$2"
if [ "$target" = all ]; then
  status=0
  for t in $targets_all; do "$0" "$t" "$seconds" || status=1; done
  exit $status
fi
case " $targets_all " in *" $target "*) ;; *) echo "fuzz.sh: unknown target \"$target\" (targets: $targets_all)" >&2; exit 2 ;; esac

export PATH="/opt/swift/usr/bin:$PATH"
scratch=.build-fuzz
binary="$scratch/release/fsb-fuzz"
# SwiftPM keeps the build plan of a path dependency (the main package) when files are added
# to or removed from it, and then fails to find what the new files declare: drop the plan
# whenever the list of source files differs from that of the last build.
sources_now="$(find Sources -type f \( -name '*.swift' -o -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)"
if [ "$(cat "$scratch/source-files.txt" 2>/dev/null)" != "$sources_now" ]; then
  rm -f "$scratch/release/description.json" "$scratch/release/plugin-tools-description.json" "$scratch/release.yaml"
fi
nice -n 5 swift build --package-path Fuzz -c release --scratch-path "$PWD/$scratch" --product fsb-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >&2 || { echo "fuzz.sh: build failed" >&2; exit 3; }
printf '%s\n' "$sources_now" > "$scratch/source-files.txt"

corpus="Fuzz/corpus/$target"
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
  scripts/fuzz-seeds.sh "$target" "$corpus" "$binary" || { echo "fuzz.sh: seeds for $target failed" >&2; exit 1; }
fi
# Committed seeds: Fuzz/seeds/TARGET (checkpoint-crc shares those of checkpoint).
seeds=()
[ -d "Fuzz/seeds/${target%-crc}" ] && seeds=("Fuzz/seeds/${target%-crc}")
mkdir -p Fuzz/artifacts results/fuzz
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# SWIFT_BACKTRACE=enable=no: Swift's own crash backtracer trips ASan; libFuzzer reports.
# ASAN_OPTIONS=malloc_context_size=0: ASan records no call stack for each allocation and
# free (detection is unchanged; a report then lacks the "allocated/freed here" stacks, so
# re-run its artifact without this option to get them). The readers allocate on every input,
# and the unwinding cost the checkpoint target ~12% of its CPU time (AMD EPYC Zen 3, 2026-12-02).
command=(env FSB_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=malloc_context_size=0 nice -n 5 "$binary" -max_total_time="$seconds" -timeout=10
         -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="Fuzz/artifacts/$target-" "$corpus" "${seeds[@]}")
"${command[@]}" 2>&1 | tee "$log" >&2
status=${PIPESTATUS[0]}

# libFuzzer's last status line ("#N ... cov: C ft: F corp: ..."), its "Done N runs" line and
# the final stats; a failure records the artifact and the reason.
{
  echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC') — scripts/fuzz.sh $target $seconds ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "command: ${command[*]}"
  grep -E '^#[0-9]+' "$log" | tail -1
  grep -E '^Done [0-9]+ runs' "$log" | tail -1
  grep -E '^stat::' "$log" | awk '!seen[$0]++'   # libFuzzer may print its final stats twice
  if [ "$status" -ne 0 ]; then
    echo "FAILED (exit $status):"
    grep -E 'ERROR: |expectation failed|Test unit written|Fatal error|SUMMARY' "$log" | head -5
  fi
  echo
} >> "results/fuzz/$target.txt"
total="$(scripts/fuzz-executions.sh "$target")"
echo "fuzz.sh: $target: exit $status; $total executions recorded in results/fuzz/$target.txt" >&2
exit "$status"
