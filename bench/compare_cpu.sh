#!/usr/bin/env bash
# Side-by-side CPU training throughput: LPM's bench_training against PyTorch's
# CPU training of the same models (bench/pytorch_cpu_peer.py), same batch and
# thread count, run back to back on this machine; prints the ratios.
#
#   bench/compare_cpu.sh [BUILD_DIR] [--batch 64] [--threads 1] [--seconds 10]
#
# Peers, when installed (see bench/README-pytorch.md):
#   Debian's python3-torch under /usr/bin/python3, and a PyPI torch in /opt/torch-venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
[[ $# -gt 0 ]] && shift
batch=64 threads=1 seconds=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch) batch="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

"$build/bench/bench_training" --batch "$batch" --threads "$threads" --seconds "$seconds" --json "$out/lpm.json"
peers=()
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  /usr/bin/python3 "$here/pytorch_cpu_peer.py" --batch "$batch" --threads "$threads" --seconds "$seconds" \
    --no-kernels --json "$out/torch-debian.json" && peers+=(torch-debian)
fi
if [[ -x /opt/torch-venv/bin/python ]]; then
  /opt/torch-venv/bin/python "$here/pytorch_cpu_peer.py" --batch "$batch" --threads "$threads" --seconds "$seconds" \
    --no-kernels --json "$out/torch-pypi.json" && peers+=(torch-pypi)
fi

python3 - "$out" "${peers[@]}" <<'PY'
import json, sys, os
out, peers = sys.argv[1], sys.argv[2:]
lpm = json.load(open(os.path.join(out, "lpm.json")))
rows = {p: json.load(open(os.path.join(out, p + ".json"))) for p in peers}
head = f"{'model':<12} {'lpm samples/s':>14}"
for p in peers:
    head += f" {p + ' (' + rows[p]['torch_version'] + ')':>30} {'ratio':>7}"
print("\n" + head)
for name, r in lpm["models"].items():
    line = f"{name:<12} {r['samples_per_second']:>14.1f}"
    for p in peers:
        theirs = rows[p]["models"].get(name, {}).get("samples_per_second")
        line += f" {theirs:>30.1f} {r['samples_per_second'] / theirs:>7.2f}" if theirs else f" {'-':>30} {'-':>7}"
    print(line)
print(f"\nbatch {lpm['batch']}, threads {lpm['threads']}; lpm large-sgemm {lpm['sgemm_gflops']:.1f} GFLOP/s; "
      + ", ".join(f"{n}: {m['gflops']:.1f} GFLOP/s" for n, m in lpm["models"].items()))
PY
