#!/usr/bin/env bash
# The prepared GPU check: one command for a session that has a lent GPU.
# Prepare on the development machine with scripts/gpu-bundle.sh, then run on
# the GPU machine (device tool):
#
#   run(command="scripts/gpu-check.sh", carry=["gpu-bundle.tar.xz"], timeout_s=540)
#
# It runs, with the bundled binaries:
#   1. nvidia-smi, lpm devices (GPUs, driver, runtime, cuDNN, NCCL);
#   2. lpm check-backend cuda (every layer on the GPU against the CPU, 1e-4),
#      and once more with TF32 on (for information);
#   3. the GPU tests (test_cuda_backend, test_off_host_training, test_backend_check);
#   4. the benchmark: training samples/s of lpm on the GPU (sequential,
#      batch 256, synthetic data) against PyTorch on the same GPU
#      (bench/pytorch_gpu_peer.py) for cnn, vgg-mini and resnet-mini, and
#      lpm once more with plain uploads (LPM_CUDA_SYNCHRONOUS_UPLOADS=1);
# It prints a short table last; full logs and JSON go to $OUT (the device
# tool's folder that comes back) or gpu-check-out/: gpu-check.log,
# devices.json, check-backend.json, check-backend-tf32.json, bench.json,
# summary.txt (at most 8 files, so they all come back).
#
#   5. lpm profile --device cuda:0 of each model (per-unit GPU times at
#      micro-batch 32, filed under the GPU's catalogue name, for lpm plan --costs),
#      and gpt-mini's 20 AdamW steps on the CPU and on the GPU (the losses in
#      gpt-mini-cpu.json and gpt-mini-cuda.json should agree to about 1e-4);
#   6. pipelined training on stages sharing the GPU (cuda:0x2, cuda:0x4, a
#      stream each, schedule lpm) against sequential on the same GPU
#      (--compare-sequential: speedup, and whether the weights are identical),
#      and on a machine with two GPUs, a stage on each (cuda:0,1).
set -uo pipefail
cd "$(dirname "$0")/.."

out=${OUT:-gpu-check-out}
mkdir -p "$out"
log=$out/gpu-check.log
: >"$log"
say() { echo "$*" | tee -a "$log"; }
last_output=$(mktemp)
run_logged() { # run_logged TITLE COMMAND...: output to the log (and $last_output), status returned
    say "== $1"
    shift
    "$@" >"$last_output" 2>&1
    local status=$?
    cat "$last_output" >>"$log"
    say "   exit $status"
    return $status
}

if [[ -f gpu-bundle.tar.xz && ! -x gpu-bundle/bin/lpm ]]; then
    tar -xJf gpu-bundle.tar.xz
fi
if [[ ! -x gpu-bundle/bin/lpm ]]; then
    say "gpu-check: no gpu-bundle/bin/lpm: run scripts/gpu-bundle.sh on the development machine and carry gpu-bundle.tar.xz"
    exit 2
fi
say "gpu-check: bundle of commit $(cat gpu-bundle/COMMIT), $(date -u '+%Y-%m-%d %H:%M UTC')"

# The CUDA libraries: the toolkit's, then those inside PyTorch's environment (cuDNN, NCCL, cuBLAS).
python_libraries=$(python3 - <<'PY' 2>/dev/null
import glob, importlib.util, os
spec = importlib.util.find_spec("nvidia")
roots = list(spec.submodule_search_locations) if spec and spec.submodule_search_locations else []
print(":".join(sorted(path for root in roots for path in glob.glob(os.path.join(root, "*", "lib")))))
PY
)
export LD_LIBRARY_PATH="$PWD/gpu-bundle/lib:/usr/local/cuda/lib64:${python_libraries}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
missing=$(ldd gpu-bundle/bin/lpm | grep "not found")
if [[ -n $missing ]]; then
    say "gpu-check: libraries not found: $missing"
    exit 3
fi
bin=gpu-bundle/bin

run_logged "nvidia-smi" nvidia-smi
run_logged "lpm devices" "$bin/lpm" devices --json "$out/devices.json"
grep -E "^GPUs|cuda:|driver for" "$log" | tail -4
run_logged "lpm check-backend cuda (TF32 off, tolerance 1e-4)" \
    "$bin/lpm" check-backend cuda --json "$out/check-backend.json"
check_status=$?
run_logged "lpm check-backend cuda --tf32 (information only, tolerance 1e-2)" \
    "$bin/lpm" check-backend cuda --tf32 --tolerance 1e-2 --json "$out/check-backend-tf32.json"
declare -A test_status
for test in test_cuda_backend test_off_host_training test_backend_check; do
    run_logged "$test" "$bin/$test" --gtest_brief=1
    if [[ $? != 0 ]]; then
        test_status[$test]=FAIL
    elif grep -q "SKIPPED" "$last_output"; then
        test_status[$test]="skipped: $(grep -m1 -o 'no GPU[^"]*' "$last_output" || echo 'see the log')"
    else
        test_status[$test]=pass
    fi
done

# Benchmark: lpm (sequential on cuda:0) and PyTorch, same models, batch and GPU.
models=(cnn vgg-mini resnet-mini)
declare -A lpm_rate plain_rate
for model in "${models[@]}"; do
    json=$out/lpm-$model.json
    if run_logged "lpm train --backend cuda --model $model" "$bin/lpm" train --backend cuda --model "$model" \
        --dataset synthetic --batch 256 --steps 60 --quiet --json "$json"; then
        lpm_rate[$model]=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['samples_per_second']))" "$json")
    else
        lpm_rate[$model]="failed"
    fi
    # The same with plain, waited-for uploads from pageable memory (side by side with the staged ones).
    plain=$out/plain-$model.json
    if run_logged "lpm train --backend cuda --model $model, plain uploads" \
        env LPM_CUDA_SYNCHRONOUS_UPLOADS=1 "$bin/lpm" train --backend cuda --model "$model" --dataset synthetic --batch 256 --steps 60 --quiet \
        --json "$plain"; then
        plain_rate[$model]=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['samples_per_second']))" "$plain")
    else
        plain_rate[$model]="failed"
    fi
    rm -f "$plain"
done
# resnet-flat too: its H200 costs are still owed to resources/costs/ (no PyTorch peer for it).
for model in "${models[@]}" resnet-flat; do
    run_logged "lpm profile --device cuda:0 --model $model" "$bin/lpm" profile --device cuda:0 --model "$model" \
        --micro-batch-size 32 --quiet --out "$out/profile-$model.json"
done
# gpt-mini (issue 19): the transformer kernels train on the GPU as on the CPU
# (check-backend above compares each operation); any file is a byte corpus.
corpus=/usr/share/doc/jargon-text/jargon.txt.gz
[[ -f $corpus ]] || corpus=/usr/share/common-licenses/GPL-3
[[ -f $corpus ]] || corpus=$bin/lpm
for backend in cpu cuda; do
    run_logged "lpm train --model gpt-mini --backend $backend (text:$corpus)" "$bin/lpm" train --model gpt-mini \
        --dataset "text:$corpus" --backend "$backend" --steps 20 --batch 32 --optimizer adamw --lr 3e-3 \
        --clip-grad-norm 1 --no-live-eval --quiet --json "$out/gpt-mini-$backend.json"
done
run_logged "lpm profile --device cuda:0 --model gpt-mini" "$bin/lpm" profile --device cuda:0 --model gpt-mini \
    --micro-batch-size 32 --quiet --out "$out/profile-gpt-mini.json"
declare -A pipe_speedup pipe_equal
pipe_devices=(cuda:0x2 cuda:0x4)
if (( $(nvidia-smi -L 2>/dev/null | wc -l) >= 2 )); then
    pipe_devices+=(cuda:0,1) # a stage on each of two GPUs: peer copies, the second stage's own weights
fi
for devices in "${pipe_devices[@]}"; do
    for model in "${models[@]}"; do
        json=$out/pipe-$model-${devices/:/}.json
        if run_logged "lpm train --devices $devices --schedule lpm --model $model" "$bin/lpm" train --devices "$devices" \
            --schedule lpm --model "$model" --dataset synthetic --batch 256 --micro-batches 8 --steps 30 \
            --compare-sequential --quiet --json "$json"; then
            read -r speedup equal < <(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('%.2f' % d['speedup_vs_sequential'], d['weights_equal_sequential'])" "$json")
            pipe_speedup[$model,$devices]=$speedup
            pipe_equal[$model,$devices]=$equal
        else
            pipe_speedup[$model,$devices]=failed
            pipe_equal[$model,$devices]=-
        fi
        rm -f "$json"
    done
done
run_logged "PyTorch peer" python3 bench/pytorch_gpu_peer.py --models "$(IFS=,; echo "${models[*]}")" \
    --batch 256 --json "$out/pytorch.json"
python3 - "$out" "${models[@]}" <<'PY' >>"$log" 2>&1
import json, os, sys
out, models = sys.argv[1], sys.argv[2:]
bench = {"lpm": {}, "profiles": {}, "pytorch": None}
for model in models:
    for kind, prefix in (("lpm", "lpm-"), ("profiles", "profile-")):
        path = os.path.join(out, "%s%s.json" % (prefix, model))
        if os.path.exists(path):
            bench[kind][model] = json.load(open(path))
            os.remove(path)  # folded into bench.json: at most 8 files come back
path = os.path.join(out, "pytorch.json")
if os.path.exists(path):
    bench["pytorch"] = json.load(open(path))
    os.remove(path)
json.dump(bench, open(os.path.join(out, "bench.json"), "w"), indent=2)
PY

{
    echo
    echo "GPU check summary ($(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1))"
    printf '  %-44s %s\n' "lpm check-backend cuda (1e-4)" \
        "$([[ $check_status == 0 ]] && echo pass || echo FAIL) (worst $(python3 -c "import json;print('%.2e'%json.load(open('$out/check-backend.json'))['worst_relative_error'])" 2>/dev/null || echo '?'))"
    for test in "${!test_status[@]}"; do
        printf '  %-44s %s\n' "$test" "${test_status[$test]}"
    done
    printf '  %-14s %16s %16s %8s %18s\n' "samples/s" "lpm cuda:0" "PyTorch" "ratio" "lpm plain uploads"
    for model in "${models[@]}"; do
        torch=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['pytorch']['models'][sys.argv[2]]['samples_per_second']))" "$out/bench.json" "$model" 2>/dev/null || echo "?")
        ratio=$(python3 -c "print('%.2f' % (float('${lpm_rate[$model]}') / float('$torch')))" 2>/dev/null || echo "-")
        printf '  %-14s %16s %16s %8s %18s\n' "$model" "${lpm_rate[$model]}" "$torch" "$ratio" "${plain_rate[$model]}"
    done
    printf '  %-14s %-10s %10s %s\n' "lpm schedule" "devices" "speedup" "weights equal to sequential"
    for devices in "${pipe_devices[@]}"; do
        for model in "${models[@]}"; do
            printf '  %-14s %-10s %10s %s\n' "$model" "$devices" "${pipe_speedup[$model,$devices]}" "${pipe_equal[$model,$devices]}"
        done
    done
    echo "  full log: $log"
} | tee "$out/summary.txt" | tee -a "$log"
