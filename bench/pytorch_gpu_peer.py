#!/usr/bin/env python3
"""PyTorch GPU training-throughput peer for LPM Studio's zoo models.

The GPU counterpart of pytorch_cpu_peer.py (whose layer definitions it uses,
so the networks match the zoo one to one): samples/s of the training step
(forward, CrossEntropyLoss, backward, SGD with momentum) at --batch samples,
fp32 with TF32 off (as LPM's CUDA backend by default), cuDNN benchmark mode
off (cuDNN heuristics, as LPM chooses algorithms). Inputs are a fixed pool of
random batches already on the GPU; the clock is CUDA-synchronised wall time
over --steps steps after --warmup untimed ones, median of --repeats.

    python3 bench/pytorch_gpu_peer.py --models cnn,vgg-mini,resnet-mini --json out.json
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_cpu_peer import BUILDERS, IMAGE_SHAPE, NUM_CLASSES  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def samples_per_second(name, args):
    torch.manual_seed(args.seed)
    model = BUILDERS[name]().cuda().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    pool = [(torch.randn((args.batch,) + IMAGE_SHAPE, device="cuda"),
             torch.randint(0, NUM_CLASSES, (args.batch,), device="cuda")) for _ in range(8)]

    def step(i):
        x, y = pool[i % len(pool)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    for i in range(args.warmup):
        step(i)
    torch.cuda.synchronize()
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for i in range(args.steps):
            step(i)
        torch.cuda.synchronize()
        rates.append(args.batch * args.steps / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="cnn,vgg-mini,resnet-mini")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tf32", action="store_true", help="allow TF32 (off by default, as in LPM)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("pytorch_gpu_peer: torch sees no GPU (torch %s)" % torch.__version__)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = False
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "cudnn": torch.backends.cudnn.version(), "batch": args.batch, "tf32": args.tf32, "models": {}}
    print("PyTorch %s on %s, cuDNN %s, batch %d, TF32 %s" % (
        torch.__version__, results["device"], results["cudnn"], args.batch, "on" if args.tf32 else "off"))
    for name in args.models.split(","):
        rate = samples_per_second(name, args)
        results["models"][name] = {"samples_per_second": rate}
        print("  %-12s %12.0f samples/s" % (name, rate), flush=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
