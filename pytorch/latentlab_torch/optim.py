"""The Go core's optimizers (core/optim), with its float32 arithmetic in
its order: one optimizer per network and phase, over that network's
parameters in the Go core's flat layout, with one step count."""

import math

import numpy as np
import torch


def f32(x):
    return float(np.float32(x))


class Optimizer:
    def __init__(self, params, lr):
        self.params = list(params)
        self.lr0 = f32(lr)  # the learning rate before any schedule
        self.lr = self.lr0

    def scale_lr(self, factor):
        """Sets the learning rate to the built one times factor (a
        schedule's), as Training.ScaleLR does."""
        self.lr = f32(self.lr0 * factor)

    def to(self, device):
        """Moves the state to device (the parameters' after model.to)."""
        for slot in self.slots:
            setattr(self, slot, [v.to(device) for v in getattr(self, slot)])

    def set_flat(self, slot, v):
        """Sets the slot's state from one float32 vector in the Go core's
        layout (a checkpoint's optim.NAME.SLOT)."""
        at = 0
        for s in getattr(self, slot):
            s.copy_(torch.from_numpy(np.asarray(v[at:at + s.numel()], dtype=np.float32)).reshape(s.shape))
            at += s.numel()
        if at != len(v):
            raise ValueError("optimizer state of %d values for %d parameters" % (len(v), at))


class Adam(Optimizer):
    """torch.optim.Adam's update, as core/optim.Adam computes it:
    m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g·g;
    p ← p − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε)."""

    slots = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr, beta1, beta2, eps=1e-8):
        super().__init__(params, lr)
        self.b1, self.b2, self.eps = np.float32(beta1), np.float32(beta2), np.float32(eps)
        self.a1, self.a2 = np.float32(1) - self.b1, np.float32(1) - self.b2
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        bc1 = 1 - float(self.b1) ** self.t
        bc2 = 1 - float(self.b2) ** self.t
        step = f32(self.lr / bc1)
        inv = f32(1 / math.sqrt(bc2))
        b1, b2, a1, a2, eps = (float(v) for v in (self.b1, self.b2, self.a1, self.a2, self.eps))
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            m.copy_(m * b1 + g * a1)
            v.copy_(v * b2 + g * a2 * g)
            p.sub_(m * step / (v.sqrt() * inv + eps))


class SGD(Optimizer):
    """SGD with momentum μ, as torch.optim.SGD: b ← μ·b + g; p ← p − lr·b."""

    slots = ("momentum_buffer",)

    def __init__(self, params, lr, momentum):
        super().__init__(params, lr)
        self.mom = f32(momentum)
        self.momentum_buffer = [torch.zeros_like(p) for p in self.params]
        self.t = None

    @torch.no_grad()
    def step(self):
        for p, b in zip(self.params, self.momentum_buffer):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            b.copy_(b * self.mom + g)
            p.sub_(b * self.lr)


def make(cfg, params, lr):
    """The config's optimizer over params at learning rate lr."""
    if cfg["optimizer"] == "sgd":
        return SGD(params, lr, cfg["momentum"])
    return Adam(params, lr, cfg["beta1"], cfg["beta2"])


def schedule_factor(spec, epoch):
    """The learning rates' factor at epoch of an lr_schedule (model.Schedule)."""
    if not spec:
        return 1.0
    parts = spec.split(":")
    if parts[0] == "exp" and len(parts) == 2:
        return float(parts[1]) ** epoch
    if parts[0] == "step" and len(parts) == 3:
        k = sum(1 for e in parts[1].split(",") if epoch >= int(e))
        return float(parts[2]) ** k
    raise ValueError("lr_schedule %r: want \"\", \"step:E1,E2,...:F\" or \"exp:F\"" % spec)
