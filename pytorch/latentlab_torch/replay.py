"""Replays a trace of the Go core's training (latentlab trace) in PyTorch
and compares, step by step, the losses and, after the first and the last
step, every weight.

    python -m latentlab_torch.replay TRACE [--data DIR]

From the trace's weights before the first step, with its batches and its
random draws, the PyTorch twin of the model takes the same steps. Printed,
as one JSON object: each step's largest relative loss difference, and the
largest weight difference, in learning rates, after the first and the
last step. With --data, it also checks that its own batches
(latentlab_torch.data) are the trace's, digit for digit. Exits 1 when the
first step differs by more than --tol-first, a later one by more than
--tol, or a batch or a draw is not the Go core's; 2 on a file it cannot
read.
"""

import argparse
import json
import sys

import numpy as np
import torch

from . import draws as drawmod, kinds, optim, safetensors
from .data import load as load_batches


def rel(a, b, floor=1e-6):
    """|a - b| relative to b; infinite when either is not finite (a
    diverged trace compares as a failure, not as NaN, which passes every
    comparison)."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return float("inf")
    return abs(a - b) / max(abs(b), floor)


def weight_diff(model, tensors, prefix, lr):
    """The largest difference of a weight from the trace's, in learning
    rates (an Adam step moves a weight by about one), and its tensor's
    name. Batch norms' running statistics and step counts are left out."""
    worst, name = 0.0, None
    for k, v in model.state_dict().items():
        if k.rsplit(".", 1)[-1] in ("running_mean", "running_var", "num_batches_tracked"):
            continue
        ref = tensors[prefix + k].astype(np.float64)
        d = float(np.max(np.abs(v.numpy().astype(np.float64) - ref), initial=0)) / lr
        if not np.isfinite(d):
            return float("inf"), k
        if d > worst:
            worst, name = d, k
    return worst, name


def replay(path, data_dir=None):
    meta, t = safetensors.load(path)
    if meta.get("format") != "latentlab-trace/1":
        raise ValueError("%s: format %r, not a latentlab trace" % (path, meta.get("format")))
    cfg = json.loads(meta["config"])
    names = json.loads(meta["losses"])
    steps = int(meta["steps"])
    rp = drawmod.Replay(t)
    model = kinds.build(cfg, rp)
    model.train()
    kinds.load_tensors(model, {k[len("init."):]: v for k, v in t.items() if k.startswith("init.")})
    own = load_batches(cfg, data_dir) if data_dir else None
    report = {"model": cfg["model"], "steps": steps, "losses": names, "loss_rel": [], "weights": {}}
    for i in range(1, steps + 1):
        p = "step.%d." % i
        b = kinds.Batch(torch.from_numpy(t[p + "x"]), t[p + "labels"])
        if p + "lx" in t:
            b.lx, b.llabels = torch.from_numpy(t[p + "lx"]), t[p + "llabels"]
        if own is not None:
            factor = optim.schedule_factor(cfg["lr_schedule"], own.epoch)
            mine = own.next()
            same = np.array_equal(mine.x.numpy(), t[p + "x"]) and np.array_equal(mine.labels, t[p + "labels"])
            if b.lx is not None:
                same = same and np.array_equal(mine.lx.numpy(), t[p + "lx"]) and np.array_equal(mine.llabels, t[p + "llabels"])
            if not same:
                raise AssertionError("step %d: latentlab_torch.data's batch is not the Go core's" % i)
        else:
            factor = 1.0
        for o in model.opts.values():
            o.scale_lr(factor)
        rp.begin(i)
        got = model.step(b)
        rp.end()
        want = t[p + "losses"].astype(np.float64)
        report["loss_rel"].append([rel(g, w) for g, w in zip(got, want)])
        if i == 1:
            report["first_losses"] = {"go": want.tolist(), "torch": got}
        after = "after.%d." % i  # the trace holds the weights after the first and the last step
        if after + next(iter(model.state_dict())) in t:
            report["weights"][str(i)] = weight_diff(model, t, after, max(cfg["lr_recon"], cfg["lr_reg"]))
    report["batches_checked"] = own is not None
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m latentlab_torch.replay", description=__doc__.split("\n\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--data", help="MNIST idx directory: also check the batches")
    ap.add_argument("--tol-first", type=float, default=1e-5, help="largest relative loss difference at the first step")
    ap.add_argument("--tol", type=float, default=1e-2, help="largest relative loss difference at a later step")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        r = replay(a.trace, a.data)
    except (OSError, ValueError) as e:
        print("replay: %s" % e, file=sys.stderr)
        return 2
    except AssertionError as e:  # a batch or a draw differs (ReplayError)
        print("replay: %s" % e, file=sys.stderr)
        return 1
    first = max(r["loss_rel"][0])
    later = max((max(l) for l in r["loss_rel"][1:]), default=0.0)
    r["first_max_rel"], r["later_max_rel"] = first, later
    print(json.dumps(r))
    if first > a.tol_first or later > a.tol:
        print("replay: %s: first step %.3g (tolerance %g), later steps %.3g (tolerance %g)" % (r["model"], first, a.tol_first, later, a.tol), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
