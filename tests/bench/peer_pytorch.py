#!/usr/bin/python3
"""The PyTorch-from-Python peer of slimlab-bench-train: the same preset's model, data, optimiser
and per-step work, written the way a researcher would write it in Python, timed the same way.

Run by packaging/bench.sh with Debian's python3-torch (the same LibTorch 1.13 underneath):
    /usr/bin/python3 tests/bench/peer_pytorch.py experiments/mlp-fashion.json --batch 128

Per step both sides do: index_select a shuffled batch from in-memory tensors, zero_grad,
forward, cross-entropy (+ the MoE auxiliary losses), read the loss value, backward, Adam step,
count correct predictions. The timer covers `steps` steps after `warmup` steps.
Prints one JSON object.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION = "/usr/share/datasets/fashion-mnist"


def process_uptime():
    """Seconds since this process started (exec), as SlimLab's process_uptime_seconds."""
    stat = open("/proc/self/stat").read()
    start_ticks = float(stat[stat.rindex(")") + 2:].split()[19])
    uptime = float(open("/proc/uptime").read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def load_fashion(validation_share):
    x = read_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz")).float().div_(255.0)
    y = read_idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz")).long()
    x = x.unsqueeze(1)  # [N, 1, 28, 28], as SlimLab's tensors
    n_train = x.shape[0] - int(round(x.shape[0] * validation_share))
    return x[:n_train].contiguous(), y[:n_train].contiguous()


def activation(name):
    return {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}[name]()


class Mlp(nn.Module):
    def __init__(self, m, classes=10):
        super().__init__()
        layers, width = [], 784
        for h in m["hidden"]:
            layers += [nn.Linear(width, h), activation(m.get("activation", "relu"))]
            if m.get("dropout", 0) > 0:
                layers.append(nn.Dropout(m["dropout"]))
            width = h
        layers.append(nn.Linear(width, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x.flatten(1))


class Cnn(nn.Module):
    def __init__(self, m, classes=10):
        super().__init__()
        k, feats, ch, size = m.get("kernel_size", 5), [], 1, 28
        for out in m["channels"]:
            feats += [nn.Conv2d(ch, out, k, padding=k // 2), activation(m.get("activation", "relu")),
                      nn.MaxPool2d(2)]
            ch, size = out, size // 2
        self.features = nn.Sequential(*feats)
        self.fc = nn.Linear(ch * size * size, m["fc_hidden"])
        self.dropout = nn.Dropout(m.get("dropout", 0))
        self.out = nn.Linear(m["fc_hidden"], classes)

    def forward(self, x):
        h = F.relu(self.fc(self.features(x).flatten(1)))
        return self.out(self.dropout(h))


class MoeLayer(nn.Module):
    """Top-k softmax gate, GShard rank-major capacity, batched experts, Switch balance and
    router-z losses: the algorithm of SlimLab's MoeLayer (core/moe/moe_layer.cpp)."""

    def __init__(self, dim, o):
        super().__init__()
        self.e, self.k, self.hidden = o["experts"], o.get("top_k", 2), o["hidden"]
        self.capacity_factor = o.get("capacity_factor", 1.25)
        self.balance, self.z = o.get("balance_loss", 0.01), o.get("z_loss", 0.0)
        self.router = nn.Linear(dim, self.e, bias=False)

        def uniform(shape, fan_in):
            b = 1.0 / math.sqrt(fan_in)
            return nn.Parameter(torch.empty(shape).uniform_(-b, b))
        self.w1, self.b1 = uniform((self.e, dim, self.hidden), dim), uniform((self.e, self.hidden), dim)
        self.w2, self.b2 = uniform((self.e, self.hidden, dim), self.hidden), uniform((self.e, dim), self.hidden)
        self.aux = None

    def forward(self, x):
        t = x.shape[0]
        logits = self.router(x)
        probs = torch.softmax(logits, 1)
        values, index = probs.topk(self.k, 1)
        weight = values / values.sum(1, keepdim=True)
        capacity = math.ceil(self.capacity_factor * self.k * t / self.e - 1e-9)
        expert = index.t().reshape(-1)
        w = weight.t().reshape(-1)
        token = torch.arange(t).repeat(self.k)
        slot = (F.one_hot(expert, self.e).cumsum(0) - 1).gather(1, expert.unsqueeze(1)).squeeze(1)
        kept = (slot < capacity).nonzero().squeeze(1)
        e_kept = expert.index_select(0, kept)
        order = e_kept.sort(stable=True)[1]
        assignment = kept.index_select(0, order)
        token_s, weight_s = token.index_select(0, assignment), w.index_select(0, assignment)
        counts = torch.bincount(e_kept, minlength=self.e).tolist()
        outputs, begin = [], 0
        for e, c in enumerate(counts):
            if c == 0:
                continue
            rows = x.index_select(0, token_s[begin:begin + c])
            h = F.relu(torch.addmm(self.b1[e], rows, self.w1[e]))
            outputs.append(torch.addmm(self.b2[e], h, self.w2[e]))
            begin += c
        out = torch.zeros_like(x)
        if outputs:
            out = out.index_add(0, token_s, torch.cat(outputs) * weight_s.unsqueeze(1))
        f = torch.bincount(index.reshape(-1), minlength=self.e).to(probs.dtype) / index.numel()
        aux = self.balance * self.e * (f * probs.mean(0)).sum()
        if self.z > 0:
            aux = aux + self.z * torch.logsumexp(logits, 1).pow(2).mean()
        self.aux = aux
        return out


class MoeMlp(nn.Module):
    def __init__(self, m, classes=10):
        super().__init__()
        width = m["width"]
        self.input = nn.Linear(784, width)
        self.blocks = nn.ModuleList(MoeLayer(width, m["moe"]) for _ in range(m.get("blocks", 1)))
        self.dropout = nn.Dropout(m.get("dropout", 0))
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        h = F.relu(self.input(x.flatten(1)))
        for block in self.blocks:
            h = self.dropout(h + block(h))
        return self.head(h)


def build(model):
    kind = model["kind"]
    if kind == "mlp":
        return Mlp(model)
    if kind == "cnn":
        return Cnn(model)
    if kind == "moe-mlp":
        return MoeMlp(model)
    sys.exit(f"peer_pytorch: model.kind {kind!r} has no peer (mlp, cnn, moe-mlp)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("spec")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: leave as is)")
    a = p.parse_args()

    spec = json.load(open(a.spec))
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(spec.get("seed", 0))
    x_all, y_all = load_fashion(spec.get("data", {}).get("validation_share", 0.1))
    model = build(spec["model"])
    opt_spec = spec.get("optimizer", {})
    optimizer = torch.optim.Adam(model.parameters(), lr=opt_spec.get("lr", 1e-3),
                                 weight_decay=opt_spec.get("weight_decay", 0.0))
    moe_blocks = [m for m in model.modules() if isinstance(m, MoeLayer)]
    model.train()
    n = x_all.shape[0]
    order = torch.randperm(n)
    loss_sum, correct = 0.0, 0
    first_step = None
    start = None
    total = a.warmup + a.steps
    for step in range(total):
        if step == a.warmup:
            start = time.perf_counter()
        begin = (step * a.batch) % (n - a.batch)
        index = order[begin:begin + a.batch]
        x, y = x_all.index_select(0, index), y_all.index_select(0, index)
        optimizer.zero_grad()
        logits = model(x)
        task = F.cross_entropy(logits, y)
        loss_sum += task.item()
        loss = task
        for m in moe_blocks:
            loss = loss + m.aux
        loss.backward()
        optimizer.step()
        correct += int(logits.argmax(1).eq(y).sum())
        if first_step is None:
            first_step = process_uptime()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "side": "pytorch", "spec": os.path.basename(a.spec), "batch": a.batch,
        "steps": a.steps, "seconds": seconds, "steps_per_second": a.steps / seconds,
        "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
        "torch": torch.__version__, "python": sys.version.split()[0],
        "seconds_to_first_step": first_step, "mean_loss": loss_sum / total,
    }))


if __name__ == "__main__":
    main()
