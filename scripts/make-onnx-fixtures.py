#!/usr/bin/python3
"""Writes the ONNX fixtures of tests/data/onnx from PyTorch models.

Run with Debian's PyTorch (python3-torch, python3-torchvision):
    /usr/bin/python3 scripts/make-onnx-fixtures.py [OUT_DIR]
The tests read the committed files and need no PyTorch. Each export has a
symbolic batch dimension ("batch") on its input and output, as the importer
requires. Models are exported in evaluation mode but with TrainingMode.PRESERVE
and no constant folding, so that batch normalisation stays a node of its own
(folded into the convolution it would leave nothing to train).

Trainable fixtures carry their weights (initializers); the structure-only
ones (export_params=False) carry none and are for planning at real sizes.

Besides the .onnx files it writes PyTorch's results, for the tests to check
our forward and training of the imported models against:
  NAME.forward.json (cnn, resnet-mini, mobilenet-mini, unet-mini,
    gpt-tiny, resnet18-narrow): the outputs of the model in evaluation mode for a fixed input
    (input, input_shape, output, output_shape; the image models' input is the
    2 images they were exported with, gpt-tiny's 2 sequences of 64 token ids,
    written as numbers like the images, and its output the logits of shape
    (2, 64, 256));
  NAME.sgd-step.json (the same six): one step of plain SGD (learning rate
    0.1, no momentum, no weight decay) in training mode from the exported
    weights, on a fixed batch and fixed labels with the mean cross entropy
    (4 images and 4 labels for the image models; 2 sequences of 64 ids and
    2 x 64 next-token labels for gpt-tiny, the mean taken over all 128
    positions): input, input_shape, labels (flattened), learning_rate, the
    loss and the logits (train_output) before the step, and every float
    tensor of the state_dict after it (parameters, batch norm's running
    statistics, updated with momentum 0.1 and the unbiased batch variance,
    and gpt-tiny's causal masks, unchanged), each as {count, stride,
    values}: values holds elements 0, stride, 2 * stride... of the flattened
    tensor, with stride = max(1, ceil(count / 256)).
None of those runs draws from the global random generator (gpt-tiny's
forward and the training steps draw their inputs from generators of their
own, and the steps come after every export), so that the exported files do
not depend on them.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OPSET = 13


def export(model, example, path, with_weights, input_name="input"):
    model.eval()
    torch.onnx.export(
        model,
        example,
        path,
        export_params=with_weights,
        do_constant_folding=False,
        # PRESERVE with the model in evaluation mode: exported as evaluated,
        # without the evaluation-mode pass that folds BatchNorm into Conv.
        training=torch.onnx.TrainingMode.PRESERVE,
        opset_version=OPSET,
        input_names=[input_name],
        output_names=["logits"],
        dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}},
    )
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# The zoo's cnn (core/nn/model_zoo.cpp), layer for layer.
class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(3136, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


# The zoo's residual block: conv3x3-BN-ReLU-conv3x3-BN, plus the input (or a
# strided 1x1 convolution and BN of it when the shape changes), then ReLU.
class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


# The zoo's resnet-mini.
class ResnetMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(
            Residual(16, 16, 1), Residual(16, 16, 1), Residual(16, 32, 2),
            Residual(32, 32, 1), Residual(32, 64, 2), Residual(64, 64, 1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# torchvision's resnet18 at an eighth of its width (8, 16, 32, 64 channels)
# for 1-channel images: the 7x7 stride-2 stem and the padded max pool
# (3, stride 2, padding 1), then 4 stages of 2 basic blocks.
class Resnet18Narrow(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        blocks = []
        for cin, cout, stride in ((8, 8, 1), (8, 16, 2), (16, 32, 2), (32, 64, 2)):
            blocks += [Residual(cin, cout, stride), Residual(cout, cout, 1)]
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# A deep plain network, for planning a model of hundreds of units: 150
# hidden layers of 64, each Linear and ReLU a unit of its own.
def deep_mlp(hidden_layers=150, width=64):
    layers = [nn.Flatten(), nn.Linear(784, width), nn.ReLU()]
    for _ in range(hidden_layers):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


# MobileNet-style: inverted residual blocks with depthwise convolutions and ReLU6.
class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.body = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobilenetMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 1, 2), InvertedResidual(16, 24, 2, 4), InvertedResidual(24, 24, 1, 4),
            InvertedResidual(24, 32, 2, 4), InvertedResidual(32, 32, 1, 4))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


# A small U-Net: its long skip connections leave few places to cut.
class UnetMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())
        self.down2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.bottom = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.up2 = nn.ConvTranspose2d(16, 16, 2, stride=2)
        self.merge2 = nn.Sequential(nn.Conv2d(32, 8, 3, padding=1), nn.ReLU())
        self.up1 = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.merge1 = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(8, 4, 1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 28 * 28, 10))

    def forward(self, x):
        a = self.down1(x)
        b = self.down2(a)
        c = self.bottom(b)
        d = self.merge2(torch.cat([self.up2(c), b], 1))
        e = self.merge1(torch.cat([self.up1(d), a], 1))
        return self.head(e)


# A GPT-style decoder written out with plain tensor operations, as a user's
# model is: the attention exports as MatMul, Softmax and a causal mask.
class Block(nn.Module):
    def __init__(self, width, heads, context):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width)
        self.out = nn.Linear(4 * width, width)
        self.register_buffer("mask", torch.tril(torch.ones(context, context)).view(1, 1, context, context))

    def forward(self, x):
        n, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q = q.view(n, t, self.heads, c // self.heads).transpose(1, 2)
        k = k.view(n, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.view(n, t, self.heads, c // self.heads).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / (c // self.heads) ** 0.5)
        scores = scores.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        y = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(n, t, c)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocabulary, context, width, heads, blocks):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, width)
        self.positions = nn.Embedding(context, width)
        self.blocks = nn.Sequential(*[Block(width, heads, context) for _ in range(blocks)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary, bias=False)

    def forward(self, ids):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.tokens(ids) + self.positions(positions)
        return self.head(self.ln(self.blocks(x)))


# PyTorch's outputs for a fixed input, so that the tests check our forward
# of the imported model without PyTorch.
def write_forward(model, example, path):
    model.eval()
    with torch.no_grad():
        output = model(example)
    with open(path, "w") as file:
        json.dump({"input_shape": list(example.shape), "input": [float(x) for x in example.flatten()],
                   "output_shape": list(output.shape), "output": [float(x) for x in output.flatten()]}, file)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


SAMPLES = 256  # at most this many values of each tensor in a .sgd-step.json
DROPOUT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)


# PyTorch's one step of training from the exported weights, so that the tests
# check our training of the imported model without PyTorch. The class scores
# lie along the last dimension of the logits, and any dimensions before it
# are positions (the batch, and a language model's sequence), each with a
# label: the loss is the mean cross entropy over all of them.
def write_sgd_step(model, inputs, labels, path, learning_rate=0.1):
    model.train()
    # Dropout in training mode draws a random mask, which the tests could not
    # reproduce: it stays in evaluation mode (the identity) for the step. Of
    # the models here only mobilenet-mini has one (Dropout(0.2) in its head).
    for module in model.modules():
        if isinstance(module, DROPOUT):
            module.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0, weight_decay=0)
    optimizer.zero_grad()
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    loss.backward()
    optimizer.step()
    tensors = {}
    for name, value in model.state_dict().items():
        if not value.is_floating_point():
            continue  # num_batches_tracked
        flat = value.detach().flatten()
        stride = max(1, math.ceil(flat.numel() / SAMPLES))
        tensors[name] = {"count": flat.numel(), "stride": stride, "values": [float(x) for x in flat[::stride]]}
    with open(path, "w") as file:
        json.dump({"input_shape": list(inputs.shape), "input": [float(x) for x in inputs.flatten()],
                   "labels": [int(x) for x in labels.flatten()], "learning_rate": learning_rate, "loss": float(loss),
                   "train_output": [float(x) for x in logits.detach().flatten()], "tensors": tensors}, file)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "onnx")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    image = torch.randn(2, 1, 28, 28)
    cnn = Cnn()
    export(cnn, image, os.path.join(out, "cnn.onnx"), True)
    write_forward(cnn, image, os.path.join(out, "cnn.forward.json"))
    resnet = ResnetMini()
    export(resnet, image, os.path.join(out, "resnet-mini.onnx"), True)
    write_forward(resnet, image, os.path.join(out, "resnet-mini.forward.json"))
    mobilenet = MobilenetMini()
    export(mobilenet, image, os.path.join(out, "mobilenet-mini.onnx"), True)
    write_forward(mobilenet, image, os.path.join(out, "mobilenet-mini.forward.json"))
    unet = UnetMini()
    export(unet, image, os.path.join(out, "unet-mini.onnx"), True)
    write_forward(unet, image, os.path.join(out, "unet-mini.forward.json"))
    gpt = Gpt(256, 64, 64, 4, 2)
    export(gpt, torch.randint(0, 256, (2, 64)), os.path.join(out, "gpt-tiny.onnx"), True, input_name="ids")
    # Its ids come from a generator of their own, so that the exports below
    # draw from the global one just as without this forward.
    ids = torch.randint(0, 256, (2, 64), generator=torch.Generator().manual_seed(2))
    write_forward(gpt, ids, os.path.join(out, "gpt-tiny.forward.json"))
    # Structure only, at real sizes, for planning.
    photo = torch.randn(1, 3, 224, 224)
    export(torchvision.models.resnet50(), photo, os.path.join(out, "resnet50-structure.onnx"), False)
    export(torchvision.models.vgg16(), photo, os.path.join(out, "vgg16-structure.onnx"), False)
    export(Gpt(50257, 1024, 768, 12, 12), torch.randint(0, 50257, (1, 1024)),
           os.path.join(out, "gpt2-small-structure.onnx"), False, input_name="ids")
    # Seeds of the fuzz target (small, structure only).
    seeds = os.path.join(os.path.dirname(__file__), "..", "tests", "fuzz", "corpus", "fuzz_onnx_import")
    os.makedirs(seeds, exist_ok=True)
    export(Gpt(32, 8, 16, 2, 1), torch.randint(0, 32, (2, 8)), os.path.join(seeds, "gpt-micro.onnx"), False,
           input_name="ids")
    export(UnetMini(), image, os.path.join(seeds, "unet-mini.onnx"), False)
    export(MobilenetMini(), image, os.path.join(seeds, "mobilenet-mini.onnx"), False)
    # One training step of each trainable model above from its exported
    # weights, after every export: it changes the weights, and its batch comes
    # from a generator of its own, leaving the global one to the exports.
    generator = torch.Generator().manual_seed(1)
    batch = torch.randn(4, 1, 28, 28, generator=generator)
    labels = torch.randint(0, 10, (4,), generator=generator)
    for name, model in (("cnn", cnn), ("resnet-mini", resnet), ("mobilenet-mini", mobilenet), ("unet-mini", unet)):
        write_sgd_step(model, batch, labels, os.path.join(out, f"{name}.sgd-step.json"))
    # gpt-tiny: 2 sequences of 64 ids and a next-token label for each position
    # (random: the step needs no meaningful text).
    generator = torch.Generator().manual_seed(3)
    sequences = torch.randint(0, 256, (2, 64), generator=generator)
    targets = torch.randint(0, 256, (2, 64), generator=generator)
    write_sgd_step(gpt, sequences, targets, os.path.join(out, "gpt-tiny.sgd-step.json"))
    # Added later, after everything above, from a seed of their own, so that
    # the files above stay as they were.
    torch.manual_seed(4)
    resnet18 = Resnet18Narrow()
    export(resnet18, image, os.path.join(out, "resnet18-narrow.onnx"), True)
    write_forward(resnet18, image, os.path.join(out, "resnet18-narrow.forward.json"))
    write_sgd_step(resnet18, batch, labels, os.path.join(out, "resnet18-narrow.sgd-step.json"))
    export(deep_mlp(), image, os.path.join(out, "mlp-deep-structure.onnx"), False)


if __name__ == "__main__":
    main()
