#!/usr/bin/python3
"""PyTorch's side of one Fashion-MNIST epoch of the resnet18-narrow ONNX
fixture, to set beside `lpm train --model tests/data/onnx/resnet18-narrow.onnx`.

Trains what lpm trains: the fixture's model (scripts/make-onnx-fixtures.py,
Resnet18Narrow) from the same initial weights (its seed 4), on pixels / 255,
batch 64, plain SGD at learning rate 0.05, mean cross entropy, one epoch of
937 full batches, one thread. Only the shuffled order differs from lpm's
batcher (--seed draws it). Prints the test accuracy and samples/s.

Run with Debian's PyTorch (python3-torch, python3-torchvision):
    /usr/bin/python3 bench/pytorch_resnet18_narrow_epoch.py [--seed 1] [--threads 1]
The figures in docs/BENCHMARKS.md ("imported models on Fashion-MNIST").
"""

import argparse
import gzip
import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = "/usr/share/datasets/fashion-mnist/"  # Debian's dataset-fashion-mnist


def idx(name, offset):
    with gzip.open(DATA + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="the shuffled order's seed")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("fixtures", os.path.join(ROOT, "scripts", "make-onnx-fixtures.py"))
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    torch.set_num_threads(args.threads)
    images = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    labels = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    test_images = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0,
                               dtype=torch.float32)
    test_labels = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    torch.manual_seed(4)  # as the fixture script makes it
    model = fixtures.Resnet18Narrow()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(args.seed))
    steps = len(images) // 64
    model.train()
    start = time.time()
    for step in range(steps):
        batch = order[step * 64:(step + 1) * 64]
        optimizer.zero_grad()
        F.cross_entropy(model(images[batch]), labels[batch]).backward()
        optimizer.step()
    seconds = time.time() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(test_images).argmax(1) == test_labels).float().mean().item()
    print(f"PyTorch {torch.__version__}, {args.threads} thread(s), seed {args.seed}: test accuracy {accuracy:.4f}, "
          f"{steps * 64 / seconds:.0f} samples/s")


if __name__ == "__main__":
    main()
