#!/usr/bin/env bash
# Side-by-side CPU training throughput: LPM's bench_training against PyTorch's
# CPU training of the same models (bench/pytorch_cpu_peer.py), same batch and
# thread count, on this machine. Rounds alternate (ours, then each peer, then
# ours again, ...), so that a slow stretch of a shared machine falls on both
# sides; each side's figure is the median over the rounds, and the ratio is
# ours / theirs of the medians.
#
#   bench/compare_cpu.sh [BUILD_DIR] [--batch 64] [--threads 1] [--seconds 10] [--rounds 3]
#                        [--models a,b]
#
# Peers, when installed (see bench/README-pytorch.md):
#   Debian's python3-torch under /usr/bin/python3, and a PyPI torch in /opt/torch-venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
[[ $# -gt 0 ]] && shift
batch=64 threads=1 seconds=10 rounds=3 models=mlp,lenet5,cnn,vgg-mini,resnet-mini,resnet-flat,gpt-mini
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch) batch="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

peers=()
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  peers+=(torch-debian)
fi
if [[ -x /opt/torch-venv/bin/python ]]; then
  peers+=(torch-pypi)
fi
common=(--batch "$batch" --threads "$threads" --seconds "$seconds" --models "$models")
for ((round = 1; round <= rounds; ++round)); do
  echo "== round $round of $rounds"
  "$build/bench/bench_training" "${common[@]}" --json "$out/lpm-$round.json"
  for peer in "${peers[@]}"; do
    python=/usr/bin/python3
    [[ "$peer" == torch-pypi ]] && python=/opt/torch-venv/bin/python
    "$python" "$here/pytorch_cpu_peer.py" "${common[@]}" --no-kernels --json "$out/$peer-$round.json"
  done
done

python3 - "$out" "$rounds" "${peers[@]}" <<'PY'
import json, os, statistics, sys
out, rounds, peers = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
load = lambda side, r: json.load(open(os.path.join(out, f"{side}-{r}.json")))
ours = [load("lpm", r) for r in range(1, rounds + 1)]
theirs = {p: [load(p, r) for r in range(1, rounds + 1)] for p in peers}
def median(runs, model):
    rates = [run["models"][model]["samples_per_second"] for run in runs if model in run["models"]]
    return statistics.median(rates) if rates else None
head = f"{'model':<12} {'lpm samples/s':>14}"
for p in peers:
    head += f" {p + ' (' + theirs[p][0]['torch_version'] + ')':>30} {'ratio':>7}"
print(f"\nmedians over {rounds} alternating rounds\n" + head)
for name in ours[0]["models"]:
    mine = median(ours, name)
    line = f"{name:<12} {mine:>14.1f}"
    for p in peers:
        other = median(theirs[p], name)
        line += f" {other:>30.1f} {mine / other:>7.2f}" if other else f" {'-':>30} {'-':>7}"
    print(line)
first = ours[0]
print(f"\nbatch {first['batch']}, threads {first['threads']}; convolutions {first.get('convolution_kernels', '?')}; "
      f"lpm large-sgemm {statistics.median(r['sgemm_gflops'] for r in ours):.1f} GFLOP/s")
PY
