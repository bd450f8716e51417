#!/usr/bin/env bash
# Pipelined training across 2 MPI ranks over a real, slow link
# (scripts/throttled-link.sh: tc's tbf on a namespace's loopback), cut by
# the lpm partitioner (which weighs the links measured at the start) and
# by balanced (compute only): each run's samples/s, and its measured
# iteration time against the prediction for the run. Figures are medians
# over the rounds. Needs root (for the namespace and tc).
#
#   bench/throttled_training.sh [BUILD_DIR] [--model resnet-mini] [--rates 1gbit,100mbit]
#                               [--partitioners lpm,balanced] [--steps 30] [--rounds 3]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
[[ $# -gt 0 ]] && shift
model=resnet-mini rates=1gbit,100mbit partitioners=lpm,balanced steps=30 rounds=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --rates) rates="$2"; shift 2 ;;
    --partitioners) partitioners="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
lpm="$build/app/lpm"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# (profiled at the runs' micro-batch size: batch 64 in 4)
"$lpm" profile --model "$model" --micro-batch-size 16 --out "$out/costs.json" --quiet
IFS=, read -r -a rateList <<<"$rates"
IFS=, read -r -a partitionerList <<<"$partitioners"
for ((round = 1; round <= rounds; ++round)); do
  echo "== round $round of $rounds"
  for rate in "${rateList[@]}"; do
    for partitioner in "${partitionerList[@]}"; do
      "$here/../scripts/throttled-link.sh" "$rate" mpirun --mca btl tcp,self --mca btl_tcp_if_include lo \
        --mca oob_tcp_if_include lo -np 2 "$lpm" train --model "$model" --dataset synthetic \
        --costs "$out/costs.json" --devices mpi --partitioner "$partitioner" --steps "$steps" --micro-batches 4 \
        --no-eval --quiet --json "$out/$rate-$partitioner-$round.json" >/dev/null
    done
  done
done
python3 - "$out" "$rounds" "$model" "$rates" "$partitioners" <<'PY'
import json, statistics, sys
out, rounds, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rates, partitioners = sys.argv[4].split(","), sys.argv[5].split(",")
print(f"{model} on 2 ranks, medians of {rounds} rounds")
print("link       partitioner  cut after unit  samples/s   measured ms  predicted ms  measured/predicted")
for rate in rates:
    for partitioner in partitioners:
        runs = [json.load(open(f"{out}/{rate}-{partitioner}-{r}.json")) for r in range(1, rounds + 1)]
        median = lambda key: statistics.median(run[key] for run in runs)
        cut = runs[0]["stages"][0]["last_unit"]
        measured, predicted = median("measured_iteration_ms"), median("predicted_run_iteration_ms")
        print(f"{rate:10} {partitioner:12} {cut:14} {median('samples_per_second'):10.1f} {measured:12.1f} "
              f"{predicted:13.1f} {measured / predicted:18.3f}")
PY
