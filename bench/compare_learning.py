#!/usr/bin/env python3
"""Does gpt-mini learn as well in LPM as in PyTorch? Same model, same data
order, same hyper-parameters; compares the validation loss at the end.

LPM's side is `lpm train --model gpt-mini` on the text corpus. PyTorch's side
rebuilds exactly what LPM feeds it:
  * the split: the validation text is max(T + 1, size // 10) bytes starting at
    a position drawn from the seed (core/data/text_dataset.cpp), the training
    text is what lies before and after it;
  * the batches: step s draws its B window starts uniformly from the training
    text with RandomStream(deriveKey(deriveKey(seed, 0xc0de5), s))
    (core/data/batcher.cpp; SplitMix64, core/tensor/random.h);
  * the validation windows: consecutive, non-overlapping, T bytes each;
  * the model: bench/pytorch_cpu_peer.py's GptMini, initialised as LPM does
    (Linear U(+-1/sqrt(fan_in)), which is PyTorch's default for weights and
    biases alike, embeddings N(0, 0.02), LayerNorm ones and zeros);
  * the optimizer: AdamW on every parameter, gradient clipping by global norm,
    the learning rate of step s (1-based) from LPM's schedule
    (core/optim/optimizer_options.h).
Only the random numbers of the initialisation differ.

Example (the figures in docs/BENCHMARKS.md):
    python3 bench/compare_learning.py --lpm build/app/lpm --steps 2000 --batch 32
"""

import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_cpu_peer as peer  # noqa: E402  (sets OPENBLAS_NUM_THREADS before torch loads)
import torch  # noqa: E402
from torch import nn  # noqa: E402

MASK = (1 << 64) - 1
DEFAULT_CORPUS = "/usr/share/doc/jargon-text/jargon.txt.gz"


# --- LPM's random numbers (core/tensor/random.h) ---------------------------

def mix_bits(value):
    value = (value + 0x9E3779B97F4A7C15) & MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
    return value ^ (value >> 31)


def derive_key(key, coordinate):
    return mix_bits(key ^ mix_bits((coordinate + 0x632BE59BD9B4E019) & MASK))


class RandomStream:
    def __init__(self, key):
        self.state = key

    def next_below(self, bound):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        value = self.state
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
        value ^= value >> 31
        return (value * bound) >> 64


# --- LPM's data (core/data/text_dataset.cpp, core/data/batcher.cpp) ---------

def read_corpus(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def split_text(data, tokens, seed):
    window = tokens + 1
    validation_bytes = max(window, len(data) // 10)
    start = RandomStream(derive_key(seed, 0x7E47)).next_below(len(data) - validation_bytes + 1)
    train = data[:start] + data[start + validation_bytes:]
    count = (validation_bytes - 1) // tokens
    flat = torch.tensor(list(data[start:start + count * tokens + 1]), dtype=torch.long)
    inputs = flat[:-1].view(count, tokens)
    labels = flat[1:].view(count, tokens)
    return torch.tensor(list(train), dtype=torch.long), inputs, labels


def training_batch(train, tokens, batch, seed, step):
    stream = RandomStream(derive_key(derive_key(seed, 0xC0DE5), step))
    windows = len(train) - tokens
    starts = [stream.next_below(windows) for _ in range(batch)]
    rows = torch.stack([train[s:s + tokens + 1] for s in starts])
    return rows[:, :-1], rows[:, 1:]


# --- LPM's schedule (core/optim/optimizer_options.h) ------------------------

def learning_rate_at(lr, schedule, warmup, decay, step):
    if schedule == "constant":
        return lr
    if step <= warmup:
        return lr * step / warmup
    if step >= decay:
        return 0.1 * lr
    progress = (step - warmup) / (decay - warmup)
    return lr * (0.1 + 0.9 * (1.0 + math.cos(math.pi * progress)) / 2.0)


# --- the two runs -----------------------------------------------------------

def run_lpm(args):
    with tempfile.TemporaryDirectory() as folder:
        summary = os.path.join(folder, "summary.json")
        command = [args.lpm, "train", "--model", "gpt-mini", "--dataset", "text:" + args.corpus,
                   "--steps", str(args.steps), "--batch", str(args.batch), "--seed", str(args.seed),
                   "--threads", str(args.threads), "--optimizer", "adamw", "--lr", str(args.lr),
                   "--weight-decay", str(args.weight_decay), "--lr-schedule", "cosine",
                   "--warmup-steps", str(args.warmup), "--clip-grad-norm", str(args.clip),
                   "--no-live-eval", "--quiet", "--json", summary]
        print("lpm:", " ".join(command), flush=True)
        started = time.time()
        subprocess.run(command, check=True)
        with open(summary) as f:
            result = json.load(f)
        return result["validation_loss"], time.time() - started


def evaluate(model, inputs, labels, batch=500):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for first in range(0, len(inputs), batch):
            logits = model(inputs[first:first + batch])
            total += nn.functional.cross_entropy(logits.flatten(0, 1), labels[first:first + batch].flatten(),
                                                 reduction="sum").item()
    model.train()
    return total / labels.numel()


def run_pytorch(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = read_corpus(args.corpus)
    tokens = peer.GPT_MINI["context"]
    train, val_inputs, val_labels = split_text(data, tokens, args.seed)
    model = peer.build_gpt_mini()
    nn.init.normal_(model.token.weight, std=0.02)
    nn.init.normal_(model.position.weight, std=0.02)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=args.weight_decay)
    started = time.time()
    for step in range(args.steps):
        inputs, labels = training_batch(train, tokens, args.batch, args.seed, step)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(args.lr, "cosine", args.warmup, args.steps, step + 1)
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(inputs).flatten(0, 1), labels.flatten())
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        if (step + 1) % max(1, args.steps // 10) == 0:
            print("pytorch: step %d/%d, loss %.4f" % (step + 1, args.steps, loss.item()), flush=True)
    return evaluate(model, val_inputs, val_labels), time.time() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lpm", default="build/app/lpm", help="the lpm binary")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="text file (gzip read decompressed)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="threads of each side")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--warmup", type=int, default=100, help="warm-up steps of the cosine schedule")
    parser.add_argument("--clip", type=float, default=1.0, help="global gradient norm")
    parser.add_argument("--tolerance", type=float, default=0.03, help="allowed relative difference")
    parser.add_argument("--only", choices=("lpm", "pytorch"), help="run one side only")
    parser.add_argument("--json", help="write both results to this file")
    args = parser.parse_args()

    results = {"steps": args.steps, "batch": args.batch, "seed": args.seed, "lr": args.lr,
               "weight_decay": args.weight_decay, "warmup": args.warmup, "clip": args.clip,
               "torch_version": torch.__version__}
    if args.only != "pytorch":
        results["lpm_validation_loss"], results["lpm_seconds"] = run_lpm(args)
        print("lpm: validation loss %.4f (%.0f s)" % (results["lpm_validation_loss"], results["lpm_seconds"]))
    if args.only != "lpm":
        results["pytorch_validation_loss"], results["pytorch_seconds"] = run_pytorch(args)
        print("pytorch: validation loss %.4f (%.0f s)"
              % (results["pytorch_validation_loss"], results["pytorch_seconds"]))
    status = 0
    if args.only is None:
        difference = results["lpm_validation_loss"] / results["pytorch_validation_loss"] - 1.0
        results["relative_difference"] = difference
        within = abs(difference) <= args.tolerance
        print("lpm / pytorch - 1 = %+.2f %% (%s %.0f %%)"
              % (100 * difference, "within" if within else "OUTSIDE", 100 * args.tolerance))
        status = 0 if within else 1
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return status


if __name__ == "__main__":
    sys.exit(main())
