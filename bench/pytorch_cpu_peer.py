#!/usr/bin/env python3
"""PyTorch CPU training-throughput peer for LPM Studio's benchmark models.

Times only the training step (forward, CrossEntropyLoss, backward, SGD step)
for the six small reference models on 28x28x1 inputs with 10 classes.
Inputs come from a fixed in-memory pool of random batches that is cycled, so
no data loading or evaluation is inside the timed region.

Examples:
    python3 bench/pytorch_cpu_peer.py                       # all models, ~15 s each
    python3 bench/pytorch_cpu_peer.py --threads 1 --seconds 8 --json out.json
    python3 bench/pytorch_cpu_peer.py --models mlp,cnn --steps 200

See bench/README-pytorch.md for how to install a torch build to run it with.
"""

import argparse
import gc
import json
import math
import os
import platform
import re
import statistics
import sys
import time


def _early_thread_count(argv):
    """--threads, read before torch is imported (see below)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--threads", type=int, default=1)
    ns, _ = early.parse_known_args(argv)
    return max(1, ns.threads)


# torch.set_num_threads() does not reach an external OpenBLAS (Debian's
# python3-torch uses the pthread OpenBLAS for Linear layers), which would
# otherwise start one thread per core. Cap it for this process only, before
# torch loads it, unless the caller already chose a value.
_OPENBLAS_THREADS_PRESET = "OPENBLAS_NUM_THREADS" in os.environ
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(_early_thread_count(sys.argv[1:])))

import torch  # noqa: E402
from torch import nn  # noqa: E402

NUM_CLASSES = 10
IMAGE_SHAPE = (1, 28, 28)
MODEL_NAMES = ("mlp", "lenet5", "cnn", "vgg-mini", "resnet-mini", "resnet-flat", "gpt-mini")
# gpt-mini: byte vocabulary, context, width, heads, blocks (core/nn/model_zoo.cpp).
GPT_MINI = dict(vocabulary=256, context=64, width=128, heads=4, blocks=4)


# --------------------------------------------------------------------------
# Models. Structure mirrors LPM Studio's built-in models exactly: convs carry
# a bias unless a BatchNorm follows them; MaxPool2d(2) uses floor mode.
# --------------------------------------------------------------------------

def build_mlp():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(),
        nn.Linear(256, NUM_CLASSES),
    )


def build_lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(2),                                   # 28 -> 14
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),        # 14 -> 10
        nn.MaxPool2d(2),                                   # 10 -> 5
        nn.Flatten(),                                      # 16*5*5 = 400
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, NUM_CLASSES),
    )


def build_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),                                   # 28 -> 14
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),                                   # 14 -> 7
        nn.Flatten(),                                      # 64*7*7 = 3136
        nn.Linear(3136, 128), nn.ReLU(),
        nn.Linear(128, NUM_CLASSES),
    )


def _conv_bn_relu(cin, cout):
    return [
        nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    ]


def build_vgg_mini():
    layers = []
    layers += _conv_bn_relu(1, 32)
    layers += _conv_bn_relu(32, 32)
    layers.append(nn.MaxPool2d(2))                         # 28 -> 14
    layers += _conv_bn_relu(32, 64)
    layers += _conv_bn_relu(64, 64)
    layers.append(nn.MaxPool2d(2))                         # 14 -> 7
    layers += _conv_bn_relu(64, 128)
    layers += _conv_bn_relu(128, 128)
    layers.append(nn.MaxPool2d(2))                         # 7 -> 3 (floor)
    layers += [
        nn.Flatten(),                                      # 128*3*3 = 1152
        nn.Linear(1152, 256), nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(256, NUM_CLASSES),
    ]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """conv3x3(s)-BN-ReLU-conv3x3-BN, plus identity or conv1x1(s)+BN shortcut,
    summed and passed through ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if cin == cout and stride == 1:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout),
            )
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu2(y + self.shortcut(x))


def build_resnet_mini():
    blocks = [(16, 16, 1), (16, 16, 1),
              (16, 32, 2), (32, 32, 1),                    # 28 -> 14
              (32, 64, 2), (64, 64, 1)]                    # 14 -> 7
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        *[BasicBlock(cin, cout, s) for cin, cout, s in blocks],
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, NUM_CLASSES),
    )


def build_resnet_flat():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),                                   # 28 -> 14
        *[BasicBlock(32, 32, 1) for _ in range(8)],
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, NUM_CLASSES),
    )


class CausalSelfAttention(nn.Module):
    """Fused QKV projection, causal softmax attention per head, output
    projection: LPM's CausalSelfAttention."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        n, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(n, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        fused = getattr(nn.functional, "scaled_dot_product_attention", None)
        if fused is not None:  # PyTorch 2: the fused kernel users would call
            y = fused(q, k, v, is_causal=True)
        else:  # PyTorch 1.13: scores, mask and softmax spelled out
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
            mask = torch.ones(t, t, dtype=torch.bool).triu(1)
            y = scores.masked_fill(mask, float("-inf")).softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(n, t, c))


class TransformerBlock(nn.Module):
    """Pre-LN block: x + attn(ln1(x)), then x + mlp(ln2(x)), MLP 4x wide with tanh GELU."""

    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * width, width))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GptMini(nn.Module):
    """Token and learned position embeddings, the blocks, final LayerNorm and
    an untied head without bias; logits (N, T, vocabulary)."""

    def __init__(self, vocabulary, context, width, heads, blocks):
        super().__init__()
        self.token = nn.Embedding(vocabulary, width)
        self.position = nn.Embedding(context, width)
        self.blocks = nn.Sequential(*[TransformerBlock(width, heads) for _ in range(blocks)])
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary, bias=False)

    def forward(self, ids):
        positions = torch.arange(ids.shape[1])
        x = self.token(ids) + self.position(positions)
        return self.head(self.ln_f(self.blocks(x)))


def build_gpt_mini():
    return GptMini(**GPT_MINI)


BUILDERS = {
    "mlp": build_mlp,
    "lenet5": build_lenet5,
    "cnn": build_cnn,
    "vgg-mini": build_vgg_mini,
    "resnet-mini": build_resnet_mini,
    "resnet-flat": build_resnet_flat,
    "gpt-mini": build_gpt_mini,
}


# --------------------------------------------------------------------------
# Environment report
# --------------------------------------------------------------------------

def build_info():
    """Facts about this torch build that decide which CPU kernels run."""
    pinfo = torch.__config__.parallel_info().splitlines()
    wanted = ("ATen parallel backend", "OpenMP", "MKL", "Intel(R)",
              "at::get_num_threads", "at::get_num_interop_threads")
    parallel = [ln.strip() for ln in pinfo
                if ln.strip().startswith(wanted) and "_NUM_THREADS :" not in ln]
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = found.group(1) if found else "unknown"
    found = re.search(r"CPU capability usage: (\S+)", config)
    cpu_capability = found.group(1) if found else "unknown"
    return {
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "mkldnn_available": bool(torch.backends.mkldnn.is_available()),
        "mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
        "mkl_available": bool(torch.backends.mkl.is_available()),
        "blas": blas,
        "cpu_capability": cpu_capability,
        "parallel_info": parallel,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "openblas_num_threads_preset": _OPENBLAS_THREADS_PRESET,
        "cpu_count": os.cpu_count(),
    }


def forward_kernel_names(model, x):
    """Names of the aten conv / matmul ops one forward pass dispatches to, e.g.
    aten::mkldnn_convolution vs aten::_slow_conv2d_forward. Called only after
    all timing is done, since the profiler may start helper threads."""
    interesting = ("conv", "addmm", "mm", "linear", "batch_norm")
    names = set()
    # Newer builds' profiler backend (Kineto) logs to fd 2 directly, and CUDA
    # wheels complain there that no GPU exists; silence fd 2 while it runs.
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        with torch.autograd.profiler.profile() as prof:
            model(x)
        events = list(prof.function_events)
    except Exception as exc:  # profiler differences between versions
        return ["(profiler failed: %s)" % exc]
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)
    for evt in events:
        name = evt.name
        if name.startswith("aten::") and any(k in name for k in interesting):
            names.add(name)
    # Keep the leaf-most conv op names; "aten::conv2d"/"aten::convolution" are
    # generic wrappers on every build and say nothing about the kernel.
    generic = {"aten::conv2d", "aten::convolution", "aten::_convolution",
               "aten::linear", "aten::batch_norm", "aten::_batch_norm_impl_index"}
    return sorted(names - generic)


# --------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------

def make_pool(batch, pool_size, seed, name=None):
    gen = torch.Generator().manual_seed(seed)
    if name == "gpt-mini":  # token ids and a next-token label per position
        shape = (batch, GPT_MINI["context"])
        xs = [torch.randint(0, GPT_MINI["vocabulary"], shape, generator=gen) for _ in range(pool_size)]
        ys = [torch.randint(0, GPT_MINI["vocabulary"], shape, generator=gen) for _ in range(pool_size)]
        return xs, ys
    xs = [torch.randn((batch,) + IMAGE_SHAPE, generator=gen) for _ in range(pool_size)]
    ys = [torch.randint(0, NUM_CLASSES, (batch,), generator=gen) for _ in range(pool_size)]
    return xs, ys


def run_model(name, args, pool):
    torch.manual_seed(args.seed)
    model = BUILDERS[name]()
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xs, ys = pool
    n_pool = len(xs)
    params = sum(p.numel() for p in model.parameters())
    state = {"i": 0}

    def step():
        i = state["i"]
        state["i"] = (i + 1) % n_pool
        opt.zero_grad(set_to_none=True)
        logits = model(xs[i])
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), ys[i].reshape(-1))
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()

    # Decide how much to time in each repeat.
    budget_per_repeat = None
    steps_per_repeat = args.steps
    if args.seconds is not None:
        budget_per_repeat = args.seconds / args.repeats
    elif steps_per_repeat is None:
        # Calibrate: a fixed step count that makes the timed part of this model
        # take about --target-seconds in total.
        t0 = time.perf_counter()
        for _ in range(5):
            step()
        per_step = (time.perf_counter() - t0) / 5
        steps_per_repeat = max(args.min_steps,
                               int(math.ceil(args.target_seconds / args.repeats / per_step)))

    rates, steps_done, elapsed_all = [], [], []
    last_loss = None
    for _ in range(args.repeats):
        gc.collect()
        if budget_per_repeat is not None:
            n = 0
            t0 = time.perf_counter()
            while True:
                last_loss = step()
                n += 1
                elapsed = time.perf_counter() - t0
                if n >= args.min_steps and elapsed >= budget_per_repeat:
                    break
        else:
            n = steps_per_repeat
            t0 = time.perf_counter()
            for _ in range(n):
                last_loss = step()
            elapsed = time.perf_counter() - t0
        rates.append(n * args.batch / elapsed)
        steps_done.append(n)
        elapsed_all.append(elapsed)

    loss_value = float(last_loss.detach()) if last_loss is not None else float("nan")
    if not math.isfinite(loss_value):
        print("warning: %s loss is not finite (%r)" % (name, loss_value), file=sys.stderr)

    return {
        "samples_per_second": statistics.median(rates),
        "samples_per_second_repeats": rates,
        "steps_per_repeat": steps_done,
        "timed_seconds": sum(elapsed_all),
        "ms_per_step": 1000.0 * sum(elapsed_all) / sum(steps_done),
        "params": params,
        "final_loss": loss_value,
    }, model


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODEL_NAMES),
                   help="comma-separated subset of: %s (default: all)" % ", ".join(MODEL_NAMES))
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1,
                   help="torch.set_num_threads(T); inter-op threads are always 1")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int, default=None,
                   help="timed steps per repeat (default: calibrated to ~--target-seconds per model)")
    g.add_argument("--seconds", type=float, default=None,
                   help="timed wall-clock budget per model, split evenly over the repeats; "
                        "each repeat runs at least --min-steps steps")
    p.add_argument("--target-seconds", type=float, default=15.0,
                   help="timed seconds per model when neither --steps nor --seconds is given")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats; the median is reported")
    p.add_argument("--warmup", type=int, default=10, help="untimed warm-up steps")
    p.add_argument("--min-steps", type=int, default=20)
    p.add_argument("--pool", type=int, default=16, help="pre-generated batches, cycled")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-mkldnn", action="store_true",
                   help="set torch.backends.mkldnn.enabled = False (for comparison)")
    p.add_argument("--no-kernels", dest="kernels", action="store_false",
                   help="skip the one untimed profiled forward that lists the conv/matmul ops")
    p.add_argument("--json", metavar="FILE", help="also write results as JSON to FILE")
    args = p.parse_args(argv)

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in BUILDERS]
    if unknown:
        p.error("unknown model(s): %s; choose from %s" % (", ".join(unknown), ", ".join(MODEL_NAMES)))
    args.models = models
    for name in ("batch", "threads", "repeats", "pool", "min_steps"):
        if getattr(args, name) < 1:
            p.error("--%s must be >= 1" % name.replace("_", "-"))
    if args.warmup < 0:
        p.error("--warmup must be >= 0")
    if args.steps is not None and args.steps < 1:
        p.error("--steps must be >= 1")
    if args.seconds is not None and args.seconds <= 0:
        p.error("--seconds must be > 0")
    return args


def main(argv=None):
    args = parse_args(argv)

    # Inter-op threads can only be set before any parallel work has started.
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as exc:
        print("warning: set_num_interop_threads(1) failed: %s" % exc, file=sys.stderr)
    torch.set_num_threads(args.threads)
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False

    info = build_info()
    print("torch %s (python %s, %s)" % (info["torch_version"], info["python"], info["python_executable"]))
    print("mkldnn available: %s, enabled: %s; MKL: %s; BLAS: %s; CPU capability: %s"
          % (info["mkldnn_available"], info["mkldnn_enabled"], info["mkl_available"],
             info["blas"], info["cpu_capability"]))
    for line in info["parallel_info"]:
        print("  " + line)
    print("threads: %d intra-op (get_num_threads=%d), %d inter-op; OPENBLAS_NUM_THREADS=%s%s; cpus: %s%s"
          % (args.threads, torch.get_num_threads(), torch.get_num_interop_threads(),
             info["openblas_num_threads"],
             " (from environment)" if info["openblas_num_threads_preset"] else "",
             info["cpu_count"],
             "; OPENBLAS_CORETYPE=%s" % info["openblas_coretype"] if info["openblas_coretype"] else ""))
    if args.seconds is not None:
        mode = "%.1f s timed per model" % args.seconds
    elif args.steps is not None:
        mode = "%d steps per repeat" % args.steps
    else:
        mode = "steps calibrated to ~%.0f s timed per model" % args.target_seconds
    print("batch %d, warm-up %d steps, %d repeats (median), %s, SGD lr 0.05 momentum 0.9"
          % (args.batch, args.warmup, args.repeats, mode))
    print()

    pools = {name: make_pool(args.batch, args.pool, args.seed, name) for name in args.models}
    results = {}
    header = "%-12s %10s %14s %10s %8s %24s" % ("model", "params", "samples/s", "ms/step",
                                                "steps", "min..max samples/s")
    print(header)
    print("-" * len(header))
    trained = {}
    for name in args.models:
        r, trained[name] = run_model(name, args, pools[name])
        results[name] = r
        print("%-12s %10d %14.1f %10.3f %8d %24s" % (
            name, r["params"], r["samples_per_second"], r["ms_per_step"],
            sum(r["steps_per_repeat"]),
            "%.1f..%.1f" % (min(r["samples_per_second_repeats"]), max(r["samples_per_second_repeats"]))))
        sys.stdout.flush()

    if args.kernels:
        print()
        print("forward ops seen (one profiled forward after all timing):")
        for name, r in results.items():
            r["forward_ops"] = forward_kernel_names(trained[name], pools[name][0][0])
            print("  %-12s %s" % (name, ", ".join(r["forward_ops"]) or "-"))

    if args.json:
        out = {
            "torch_version": torch.__version__,
            "threads": args.threads,
            "interop_threads": torch.get_num_interop_threads(),
            "batch": args.batch,
            "warmup_steps": args.warmup,
            "repeats": args.repeats,
            "mkldnn_available": info["mkldnn_available"],
            "mkldnn_enabled": info["mkldnn_enabled"],
            "build": info,
            "models": results,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print()
        print("wrote %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
