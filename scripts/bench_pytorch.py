#!/usr/bin/env python3
"""The peer benchmark: the same networks as `fsb-bench train` in PyTorch (CPU).

Same shapes, batch, optimizer (SGD momentum 0.9) and thread count as ours, on random
data, writing the same CSV columns, so the two can be compared side by side:

    python3 scripts/bench_pytorch.py --threads 2 --csv results/bench/pytorch.csv

Weight methods are written the way a researcher would in PyTorch: the effective
weight is recomputed from the trainable tensor each step (sign with a straight-through
estimator for binaryconnect/bwn; A * S with frozen random signs for fsb, kernel
granularity; first conv and last linear stay fp, as in fsb's default configs).
"""
import argparse
import contextlib
import csv
import os
import resource
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--networks", default="lenet5,resnet20,vgg-small")
    parser.add_argument("--methods", default="fp,binaryconnect,bwn,fsb")
    parser.add_argument("--steps", type=int, default=0, help="timed steps (0: per-network default)")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--bf16", action="store_true",
                        help="bf16 autocast around the forward passes (backward outside it), as PyTorch documents")
    parser.add_argument("--csv", default=None)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    class SignSTE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w):
            ctx.save_for_backward(w)
            return torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return g * (w.abs() <= 1).to(g.dtype)

    class MethodConv(nn.Conv2d):
        def __init__(self, *a, method="fp", **k):
            super().__init__(*a, **k)
            self.method = method
            if method == "fsb":
                o, i = self.weight.shape[:2]
                fan_in = self.weight[0].numel()
                self.register_buffer("signs", torch.where(torch.rand_like(self.weight) < 0.5, -1.0, 1.0))
                self.alpha = nn.Parameter(torch.full((o, i, 1, 1), (2.0 / fan_in) ** 0.5))
                del self.weight
                self.register_parameter("weight", None)

        def effective_weight(self):
            if self.method == "fp":
                return self.weight
            if self.method == "binaryconnect":
                return SignSTE.apply(self.weight)
            if self.method == "bwn":
                alpha = self.weight.abs().mean(dim=(1, 2, 3), keepdim=True)
                return alpha * SignSTE.apply(self.weight)
            return self.alpha * self.signs

        def forward(self, x):
            return F.conv2d(x, self.effective_weight(), self.bias, self.stride, self.padding)

    def lenet5(method):
        return nn.Sequential(
            MethodConv(1, 6, 5, padding=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
            MethodConv(6, 16, 5, bias=False, method=method), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.BatchNorm1d(120), nn.ReLU(),
            nn.Linear(120, 84), nn.BatchNorm1d(84), nn.ReLU(), nn.Linear(84, 10))

    class Block(nn.Module):
        def __init__(self, cin, cout, stride, method):
            super().__init__()
            self.c1 = MethodConv(cin, cout, 3, stride=stride, padding=1, bias=False, method=method)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = MethodConv(cout, cout, 3, padding=1, bias=False, method=method)
            self.b2 = nn.BatchNorm2d(cout)
            self.pad = cout - cin
            self.stride = stride

        def forward(self, x):
            y = F.relu(self.b1(self.c1(x)))
            y = self.b2(self.c2(y))
            s = x
            if self.stride != 1 or self.pad:
                s = x[:, :, ::2, ::2]
                s = F.pad(s, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
            return F.relu(y + s)

    def resnet20(method):
        layers = [MethodConv(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
        cin = 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for b in range(3):
                layers.append(Block(cin, cout, stride if b == 0 else 1, method))
                cin = cout
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
        return nn.Sequential(*layers)

    def vgg_small(method):
        layers, cin = [], 3
        for i, v in enumerate([128, 128, "M", 256, 256, "M", 512, 512, "M"]):
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [MethodConv(cin, v, 3, padding=1, bias=False, method="fp" if i == 0 else method),
                           nn.BatchNorm2d(v), nn.ReLU()]
                cin = v
        layers += [nn.Flatten(), nn.Linear(512 * 16, 10)]
        return nn.Sequential(*layers)

    builders = {"lenet5": (lenet5, (1, 28, 28), 60), "resnet20": (resnet20, (3, 32, 32), 12),
                "vgg-small": (vgg_small, (3, 32, 32), 4)}
    rows = []
    for name in args.networks.split(","):
        build, shape, default_steps = builders[name]
        steps = args.steps or default_steps
        for method in args.methods.split(","):
            model = build(method)
            opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
            x = torch.randn(args.batch, *shape)
            y = torch.randint(0, 10, (args.batch,))
            if args.channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = x.contiguous(memory_format=torch.channels_last)
            model.train()
            autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext
            times = []
            for step in range(steps + 3):
                start = time.perf_counter()
                opt.zero_grad(set_to_none=True)
                with autocast():
                    loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                if step >= 3:
                    times.append(time.perf_counter() - start)
            train_ips = args.batch / statistics.median(times)
            model.eval()
            with torch.no_grad(), autocast():
                infer = []
                for step in range(steps + 3):
                    start = time.perf_counter()
                    model(x)
                    if step >= 3:
                        infer.append(time.perf_counter() - start)
                single = []
                x1 = x[:1]
                for step in range(53):
                    start = time.perf_counter()
                    model(x1)
                    if step >= 3:
                        single.append(time.perf_counter() - start)
            rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            variant = ("-channels_last" if args.channels_last else "") + ("-bf16" if args.bf16 else "")
            row = {"framework": "pytorch-" + torch.__version__ + variant, "network": name, "method": method,
                   "threads": args.threads, "batch": args.batch,
                   "train_images_per_second": f"{train_ips:.1f}",
                   "infer_images_per_second": f"{args.batch / statistics.median(infer):.1f}",
                   "infer_batch1_images_per_second": f"{1 / statistics.median(single):.1f}",
                   "peak_rss_mib": f"{rss_mib:.0f}"}
            rows.append(row)
            print(",".join(str(v) for v in row.values()), file=sys.stderr)
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
            writer.writeheader()
            writer.writerows(rows)
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
