#!/usr/bin/env python3
"""Per-unit GPU costs of LPM Studio's zoo models, measured with PyTorch.

LPM Studio has no CUDA backend yet, so its profiler cannot time a unit on a
GPU. This script times the same units (the layers of bench/pytorch_cpu_peer.py
mirror the zoo one to one) with PyTorch on the GPU in fp32 (TF32 off), and
writes an `lpm-costs` file per model, so that

    lpm plan --model cnn --devices catalog:H200x4 --costs cnn-H200.json

plans with measured times instead of data-sheet estimates. It also measures
what the catalogue's achieved fractions are about: an fp32 GEMM's rate and a
device copy's bandwidth.

Timing: CUDA events around each unit's forward and, separately, its backward
(given a gradient of ones / size), median of --repetitions after --warmup
untimed runs, for micro-batches of --micro-batch-size samples.

    lpm models --json models.json
    python3 bench/gpu_unit_costs.py --models-json models.json --out-dir results/
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_cpu_peer import BUILDERS, IMAGE_SHAPE  # noqa: E402

import torch  # noqa: E402


def catalogue_id(device_name):
    """The lpm catalogue id for a CUDA device name, or None."""
    for marker, ident in (("H200", "H200"), ("H100", "H100"), ("A100", "A100-80"), ("V100", "V100"),
                          ("L4", "L4"), ("4090", "RTX4090")):
        if marker in device_name:
            return ident
    return None


def time_cuda(fn, warmup, repetitions):
    """Median milliseconds of fn() by CUDA events."""
    times = []
    for run in range(warmup + repetitions):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        if run >= warmup:
            times.append(start.elapsed_time(end))
    return statistics.median(times)


def unit_times(name, micro_batch, warmup, repetitions):
    model = BUILDERS[name]().cuda().train()
    units = list(model.children())
    x = torch.randn((micro_batch,) + IMAGE_SHAPE, device="cuda")
    result = []
    for index, unit in enumerate(units):
        # lpm skips the first unit's input gradient; a unit without
        # parameters (mlp's Flatten) needs one to have a backward at all.
        has_parameters = any(p.requires_grad for p in unit.parameters())
        inp = x.detach().requires_grad_(index > 0 or not has_parameters)

        def forward():
            return unit(inp)

        out = forward()
        grad = torch.full_like(out, 1.0 / out.numel())
        forward_ms = time_cuda(forward, warmup, repetitions)

        def backward():
            y = unit(inp)
            torch.cuda.synchronize()
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            y.backward(grad)
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end)

        samples = [backward() for _ in range(warmup + repetitions)][warmup:]
        result.append((forward_ms, statistics.median(samples)))
        x = out.detach()
    return len(units), result


def whole_step_ms(name, micro_batch, warmup, repetitions):
    """Forward and backward of the whole model, one micro-batch: the sum the units should add to."""
    model = BUILDERS[name]().cuda().train()
    x = torch.randn((micro_batch,) + IMAGE_SHAPE, device="cuda")

    def step():
        model(x).sum().backward()

    return time_cuda(step, warmup, repetitions)


def update_seconds_per_parameter(warmup, repetitions):
    count = 1 << 24
    w, g, v = (torch.randn(count, device="cuda") for _ in range(3))

    def step():
        v.mul_(0.9).add_(g)
        w.add_(v, alpha=-0.01)

    return time_cuda(step, warmup, repetitions) / 1e3 / count


def gemm_tflops(warmup, repetitions):
    n = 8192
    a, b = torch.randn(n, n, device="cuda"), torch.randn(n, n, device="cuda")
    ms = time_cuda(lambda: a @ b, warmup, repetitions)
    return 2 * n**3 / (ms / 1e3) / 1e12


def copy_gbps(warmup, repetitions):
    a = torch.empty(1 << 28, device="cuda")
    b = torch.empty_like(a)
    ms = time_cuda(lambda: b.copy_(a), warmup, repetitions)
    return 2 * a.numel() * 4 / (ms / 1e3) / 1e9  # read + write


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-json", required=True, help="output of `lpm models --json`")
    parser.add_argument("--models", default="mlp,lenet5,cnn,vgg-mini,resnet-mini")
    parser.add_argument("--micro-batch-size", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repetitions", type=int, default=25)
    parser.add_argument("--out-dir", default=".")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_unit_costs.py: no CUDA device visible to PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    device_name = torch.cuda.get_device_name(0)
    ident = catalogue_id(device_name) or device_name.replace(" ", "-")
    with open(args.models_json) as f:
        zoo = {m["name"]: m for m in json.load(f)["models"]}

    summary = {"device": device_name, "catalogue_id": ident, "torch": torch.__version__,
               "micro_batch": args.micro_batch_size,
               "fp32_gemm_tflops": gemm_tflops(3, 10),
               "device_copy_gbps": copy_gbps(3, 10),
               "update_seconds_per_parameter": update_seconds_per_parameter(args.warmup, args.repetitions),
               "models": {}}
    for name in args.models.split(","):
        count, times = unit_times(name, args.micro_batch_size, args.warmup, args.repetitions)
        units = zoo[name]["units"]
        if count != len(units):
            sys.exit(f"gpu_unit_costs.py: PyTorch {name} has {count} units, lpm's has {len(units)}")
        costs = {
            "format": "lpm-costs", "version": 1, "model": name, "micro_batch": args.micro_batch_size,
            "input_bytes": 4 * IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2],
            "units": [{k: u[k] for k in ("forward_flops", "backward_flops", "parameter_bytes",
                                         "output_bytes", "saved_bytes", "launches")} for u in units],
            "devices": [{
                "device": ident,
                "source": (f"measured with PyTorch {torch.__version__} on {device_name} (fp32, TF32 off; "
                           f"a peer of lpm's CUDA backend, not built yet): median of {args.repetitions} "
                           f"runs after {args.warmup} warm-up runs"),
                "update_seconds_per_parameter": summary["update_seconds_per_parameter"],
                "forward_ms": [t[0] for t in times],
                "backward_ms": [t[1] for t in times],
            }],
        }
        path = os.path.join(args.out_dir, f"{name}-{ident}.json")
        with open(path, "w") as f:
            json.dump(costs, f, indent=1)
        unit_sum = sum(f + b for f, b in times)
        whole = whole_step_ms(name, args.micro_batch_size, args.warmup, args.repetitions)
        summary["models"][name] = {"unit_sum_ms": unit_sum, "whole_step_ms": whole, "file": path}
        print(f"{name:12s} units {count:3d}  sum of units {unit_sum:8.3f} ms  whole model {whole:8.3f} ms  -> {path}")
    print(json.dumps(summary, indent=1))
    with open(os.path.join(args.out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
