"""Every kind of model the Go core trains (core/aae, vae, gan, semisup,
supervised, classifier, pixel), as PyTorch modules under the Go core's
tensor names, with the Go core's training step: the same phases in the same
order, the same losses, optimizers, learning rates, priors, labels, batch
normalisation and dropout. Each class's step follows its Go twin line for
line; its doc comment names the file.

A model trains on rows [lo, hi) of each batch (all of them unless
distributed): every whole-batch draw (prior samples, ε, η, input noise) is
made for the batch and sliced, as the Go core's replicas do, and each loss
is scaled so that averaging the processes' gradients (as
DistributedDataParallel does) gives the gradient of the whole batch's mean.
"""

import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import draws, optim, safetensors

PIXELS = 784
LABEL_SLOTS = 11  # one-hot digit 0-9 and "unlabelled", beside an AAE's code
UNLABELLED = 255

_ACT = {
    "relu": nn.ReLU,
    "leakyrelu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


class Dropout(nn.Module):
    """Dropout whose masks come from the model's draws (stream
    "dropout.NET"), so that a replay can hand it the Go core's."""

    def __init__(self, p, stream, owner):
        super().__init__()
        self.p, self.stream = p, stream
        object.__setattr__(self, "owner", owner)  # not a submodule

    def forward(self, x):
        if not self.training:
            return x
        return x * self.owner.draws.dropout(self.stream, tuple(x.shape), self.p)


def mlp(sizes, act, bn, dropout, stream, owner):
    """The Go core's nn.MLP as nn.Sequential: each hidden layer Linear,
    [BatchNorm1d], activation, [Dropout]; the last Linear alone."""
    layers = []
    for l in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[l], sizes[l + 1]))
        if l + 2 == len(sizes):
            break
        if bn:
            layers.append(nn.BatchNorm1d(sizes[l + 1], eps=1e-5, momentum=0.1))
        layers.append(_ACT[act]())
        if dropout > 0:
            layers.append(Dropout(dropout, stream, owner))
    return nn.Sequential(*layers)


def bce(logits, x):
    """BCE with logits summed over each row, averaged over the rows."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(logits)


def bce_const(y, t):
    """BCE of logits y against the constant target t, averaged over rows."""
    return F.binary_cross_entropy_with_logits(y, torch.full_like(y, float(t)), reduction="sum") / len(y)


def xent(logits, labels):
    return F.cross_entropy(logits, labels, reduction="sum") / len(logits)


class Batch:
    """One step's data, as model.Batch: x (N, 784) in [0, 1] and labels
    (N; 255 unlabelled); lx, llabels the labelled batch (or None)."""

    def __init__(self, x, labels, lx=None, llabels=None):
        self.x, self.labels, self.lx, self.llabels = x, labels, lx, llabels
        self.n = len(x)


class Twin(nn.Module):
    """What every kind shares: its networks (registered in the Go core's
    tensor order), its optimizers by the Go core's names, its draws, and
    the rows of the batch it trains on."""

    def __init__(self, cfg, draws):
        super().__init__()
        self.cfg = cfg
        object.__setattr__(self, "draws", draws)
        self.run = {}  # network name -> module, or its DistributedDataParallel
        self.opts = {}  # optimizer name -> optim.Optimizer
        self.part, self.world = 0, 1

    def net(self, name, sizes, bn=None, dropout=None):
        c = self.cfg
        bn = c["batchnorm"] if bn is None else bn
        dropout = c["dropout"] if dropout is None else dropout
        m = mlp(sizes, c["activation"], bn, dropout, "dropout." + name, self)
        self.add_module(name, m)
        self.run[name] = m
        return m

    def optimizer(self, name, nets, lr):
        params = [p for n in nets for p in self._modules[n].parameters()]
        self.opts[name] = optim.make(self.cfg, params, lr)

    def lrs(self):
        return self.cfg["lr_recon"], self.cfg["lr_reg"]

    def call(self, name, x):
        return self.run[name](x)

    def zero(self, *names):
        for n in names:
            for p in self._modules[n].parameters():
                p.grad = None

    def update(self, *names):
        for n in names:
            self.opts[n].step()

    def rows(self, n):
        """The rows [lo, hi) of a batch of n this process trains on."""
        return n * self.part // self.world, n * (self.part + 1) // self.world

    def prior_rows(self, total, labels=None):
        """This process's rows of total prior samples (stream "noise"),
        drawn for the whole batch; with labels, each row from its label's
        part of the prior."""
        c = self.cfg
        lo, hi = self.rows(total)
        return self.draws.prior("noise", c["prior"], total, c["latent"], c["prior_std"], labels)[lo:hi]

    def backward(self, loss, n, total):
        """Backpropagates this process's mean loss over n of the batch's
        total rows, scaled so that the processes' averaged gradient is the
        whole batch's."""
        (loss * (n * self.world / total)).backward()

    def discriminate(self, name, real, fake, n, total):
        """One update of discriminator name: real toward 1, fake (not
        differentiated through) toward 0. Returns the loss."""
        self.zero(name)
        loss = bce_const(self.call(name, real), 1) + bce_const(self.call(name, fake.detach()), 0)
        self.backward(loss, n, total)
        self.update(name)
        return loss

    def fool(self, name, fake, n, total, nets, opt):
        """The generator phase: optimizer opt updates nets so that
        discriminator name calls fake real. Returns the loss."""
        gen = bce_const(self.call(name, fake), 1)
        self.zero(*nets)
        self.backward(gen, n, total)
        self.update(opt)
        return gen

    def share(self, losses, n, total):
        """The losses (floats) as this process's share of the batch's mean."""
        return [float(l) * n / total for l in losses]

    def loss_names(self):
        raise NotImplementedError

    def step(self, b):
        raise NotImplementedError


class AAE(Twin):
    """core/aae: "aae" (reconstruction, discriminator and generator phases)
    and "ae" (reconstruction alone); deterministic, Gaussian or universal
    encoder; labels in the regulariser with a mixture or swiss-roll prior;
    input noise."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.lat = cfg["latent"]
        self.gaussian = cfg["posterior"] == "gaussian"
        self.eta = cfg["noise"] if cfg["posterior"] == "universal" else 0
        self.labelled = cfg["model"] == "aae" and cfg["labels"] > 0
        self.adversarial = cfg["model"] == "aae"
        enc = [PIXELS + self.eta] + cfg["encoder"] + [2 * self.lat if self.gaussian else self.lat]
        self.net("encoder", enc)
        self.net("decoder", [self.lat] + cfg["encoder"][::-1] + [PIXELS])
        recon, reg = self.lrs()
        self.optimizer("encoder", ["encoder"], recon)
        self.optimizer("decoder", ["decoder"], recon)
        if self.adversarial:
            width = self.lat + (LABEL_SLOTS if self.labelled else 0)
            self.net("discriminator", [width] + cfg["discriminator"] + [1])
            self.optimizer("generator", ["encoder"], reg)
            self.optimizer("discriminator", ["discriminator"], reg)

    def loss_names(self):
        return ["recon", "disc", "gen"] if self.adversarial else ["recon"]

    def draw_encoder_noise(self, total):
        c = self.cfg
        if c["input_noise"] > 0:
            self.x_noise = self.draws.normal("input", (total, PIXELS), c["input_noise"])
        if self.gaussian:
            self.noisy = self.draws.normal("posterior", (total, self.lat), 1)
        elif self.eta:
            self.noisy = self.draws.normal("posterior", (total, self.eta), 1)

    def encode_train(self, x, lo, hi):
        inp = x
        if self.cfg["input_noise"] > 0:
            inp = x + self.x_noise[lo:hi]
        if self.eta:
            inp = torch.cat([inp, self.noisy[lo:hi]], 1)
        out = self.call("encoder", inp)
        if not self.gaussian:
            return out
        mu, log_var = out[:, :self.lat], out[:, self.lat:]
        return mu + torch.exp(0.5 * log_var) * self.noisy[lo:hi]

    def disc_input(self, z, labels):
        if not self.labelled:
            return z
        one_hot = F.one_hot(torch.clamp(labels, max=LABEL_SLOTS - 1), LABEL_SLOTS).to(z.dtype)
        return torch.cat([z, one_hot], 1)

    def step(self, b):
        total = b.n
        lo, hi = self.rows(total)
        x, n = b.x[lo:hi], hi - lo
        labels = torch.as_tensor(np.asarray(b.labels[lo:hi], dtype=np.int64), device=x.device)
        # Reconstruction.
        self.draw_encoder_noise(total)
        self.zero("encoder", "decoder")
        recon = bce(self.call("decoder", self.encode_train(x, lo, hi)), x)
        self.backward(recon, n, total)
        self.update("decoder", "encoder")
        if not self.adversarial:
            return self.share([recon], n, total)
        # Discriminator: prior samples real, codes fake.
        self.draw_encoder_noise(total)
        zp = self.prior_rows(total, np.asarray(b.labels, dtype=np.int64) if self.labelled else None)
        fake = self.disc_input(self.encode_train(x, lo, hi), labels)
        disc = self.discriminate("discriminator", self.disc_input(zp, labels), fake, n, total)
        # Generator: the encoder, for its codes to be called real.
        gen = self.fool("discriminator", fake, n, total, ["encoder"], "generator")
        return self.share([recon, disc, gen], n, total)


class VAE(Twin):
    """core/vae: a Gaussian encoder, z = μ + σ·ε, loss BCE + KL to N(0, s²I)."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.lat, self.s2 = cfg["latent"], cfg["prior_std"] ** 2
        self.net("encoder", [PIXELS] + cfg["encoder"] + [2 * self.lat])
        self.net("decoder", [self.lat] + cfg["encoder"][::-1] + [PIXELS])
        self.optimizer("encoder", ["encoder"], cfg["lr_recon"])
        self.optimizer("decoder", ["decoder"], cfg["lr_recon"])

    def loss_names(self):
        return ["recon", "kl"]

    def step(self, b):
        total = b.n
        lo, hi = self.rows(total)
        x, n = b.x[lo:hi], hi - lo
        eps = self.draws.normal("posterior", (total, self.lat), 1)[lo:hi]
        self.zero("encoder", "decoder")
        out = self.call("encoder", x)
        mu, log_var = out[:, :self.lat], out[:, self.lat:]
        z = mu + torch.exp(0.5 * log_var) * eps
        kl = (0.5 * (math.log(self.s2) - log_var + (torch.exp(log_var) + mu * mu) / self.s2 - 1)).sum() / n
        recon = bce(self.call("decoder", z), x)
        self.backward(recon + kl, n, total)
        self.update("decoder", "encoder")
        return self.share([recon, kl], n, total)


class Critic:
    """core/gan/critic.go: the discriminator of the GAN kinds and its loss
    (minimax, nonsaturating, ml or lsgan)."""

    def __init__(self, twin, width):
        c = twin.cfg
        self.twin, self.loss = twin, c["gan_loss"]
        twin.net("discriminator", [width] + c["discriminator"] + [1], bn=False)
        twin.optimizer("discriminator", ["discriminator"], c["lr_reg"])

    def disc_loss(self, y, t):
        if self.loss == "lsgan":
            return ((y - t) ** 2).sum() / len(y)
        return bce_const(y, t)

    def gen_loss(self, y, t):
        if self.loss == "minimax":
            return -bce_const(y, t)
        if self.loss == "nonsaturating":
            return bce_const(y, 1 - t)
        if self.loss == "ml":
            return -0.5 * torch.exp((1 - 2 * t) * y).sum() / len(y)
        if self.loss == "lsgan":
            return ((y - (1 - t)) ** 2).sum() / len(y)
        raise ValueError("unknown gan_loss %r" % self.loss)

    def mean_output(self, y):
        y = y.detach()
        return float(y.mean() if self.loss == "lsgan" else torch.sigmoid(y).mean())

    def step(self, real, fake, n, total):
        """One discriminator update: real toward 1, fake toward 0, each
        half the loss. Returns the loss and the mean outputs."""
        t = self.twin
        t.zero("discriminator")
        yr = t.call("discriminator", real)
        yf = t.call("discriminator", fake)
        loss = 0.5 * self.disc_loss(yr, 1) + 0.5 * self.disc_loss(yf, 0)
        t.backward(loss, n, total)
        t.update("discriminator")
        return float(loss), self.mean_output(yr), self.mean_output(yf)

    def fool(self, inp, t):
        return self.gen_loss(self.twin.call("discriminator", inp), t)


class GAN(Twin):
    """core/gan/gan.go: generator against discriminator, disc_steps
    discriminator steps on slices of the batch, then a generator step (on
    the last slice's samples when there is one slice)."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.net("generator", [cfg["latent"]] + cfg["encoder"][::-1] + [PIXELS], dropout=0)
        self.critic = Critic(self, PIXELS)
        self.optimizer("generator", ["generator"], cfg["lr_recon"])

    def loss_names(self):
        return ["disc", "gen", "d_real", "d_fake"]

    def generate(self, total, grad):
        """σ(G(z)) of this process's rows of total prior samples."""
        z = self.prior_rows(total)
        with torch.set_grad_enabled(grad):
            return torch.sigmoid(self.call("generator", z))

    def step(self, b):
        total = b.n
        k = self.cfg["disc_steps"]
        reuse = k == 1
        out = [0.0] * 4
        for i in range(k):
            # Slice i of the batch; a distributed run splits each slice.
            a = i * total // k
            g = (i + 1) * total // k - a
            lo, hi = self.rows(g)
            fake = self.generate(g, reuse)
            loss, real, faked = self.critic.step(b.x[a + lo:a + hi], fake.detach(), hi - lo, g)
            w = g / total
            for j, v in zip((0, 2, 3), self.share([loss, real, faked], hi - lo, g)):
                out[j] += w * v
        lo, hi = self.rows(total)
        if not reuse:
            fake = self.generate(total, True)
        gen = self.critic.fool(fake, 0)
        self.zero("generator")
        self.backward(gen, hi - lo, total)
        self.update("generator")
        out[1] = self.share([gen], hi - lo, total)[0]
        return out


class AEGAN(Twin):
    """core/gan/aegan.go: an autoencoder whose decoder also generates from
    prior samples against a discriminator; the generator phase adds
    adv_weight times the adversarial loss to the reconstruction."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.net("encoder", [PIXELS] + cfg["encoder"] + [cfg["latent"]], dropout=0)
        self.net("decoder", [cfg["latent"]] + cfg["encoder"][::-1] + [PIXELS], dropout=0)
        self.critic = Critic(self, PIXELS)
        self.optimizer("encoder", ["encoder"], cfg["lr_recon"])
        self.optimizer("decoder", ["decoder"], cfg["lr_recon"])

    def loss_names(self):
        return ["recon", "disc", "gen", "d_real", "d_fake"]

    def step(self, b):
        total = b.n
        lo, hi = self.rows(total)
        x, n = b.x[lo:hi], hi - lo
        fake = torch.sigmoid(self.call("decoder", self.prior_rows(total)))
        disc, real, faked = self.critic.step(x, fake.detach(), n, total)
        self.zero("encoder", "decoder")
        gen = self.critic.fool(fake, 0)
        recon = bce(self.call("decoder", self.call("encoder", x)), x)
        self.backward(self.cfg["adv_weight"] * gen + recon, n, total)
        self.update("decoder", "encoder")
        return self.share([recon, disc, gen, real, faked], n, total)


class BiGAN(Twin):
    """core/gan/bigan.go: encoder and generator against a discriminator on
    (digit, code) pairs: [G(z), z] toward 1, [x, E(x)] toward 0."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        lat = cfg["latent"]
        self.net("encoder", [PIXELS] + cfg["encoder"] + [lat], dropout=0)
        self.net("generator", [lat] + cfg["encoder"][::-1] + [PIXELS], dropout=0)
        self.critic = Critic(self, PIXELS + lat)
        self.optimizer("encoder", ["encoder"], cfg["lr_recon"])
        self.optimizer("generator", ["generator"], cfg["lr_recon"])

    def loss_names(self):
        return ["disc", "gen", "d_real", "d_fake"]

    def step(self, b):
        total = b.n
        lo, hi = self.rows(total)
        x, n = b.x[lo:hi], hi - lo
        z = self.prior_rows(total)
        fake = torch.sigmoid(self.call("generator", z))
        codes = self.call("encoder", x)
        enc_pair = torch.cat([x, codes], 1)
        gen_pair = torch.cat([fake, z], 1)
        disc, gen_mean, enc_mean = self.critic.step(gen_pair.detach(), enc_pair.detach(), n, total)
        self.zero("encoder", "generator")
        loss_e = self.critic.fool(enc_pair, 0)
        loss_g = self.critic.fool(gen_pair, 1)
        gen = 0.5 * (loss_e + loss_g)
        self.backward(gen, n, total)
        self.update("encoder", "generator")
        return self.share([disc, gen, 1 - enc_mean, 1 - gen_mean], n, total)


class SemiSup(Twin):
    """core/semisup: "semisupervised" and "cluster", the AAE with a
    categorical y beside the style z (paper §5, §6): reconstruction of
    [softmax(y), z], adversarial phases on y (against one-hot samples) and
    z (against the prior), and for "semisupervised" a cross-entropy phase
    on the labelled batch. The encoder's last Linear is two,
    encoder_y and encoder_z, as the Go core's files name them."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.k, self.lat = cfg["classes"], cfg["latent"]
        widths = cfg["encoder"]
        body = mlp([PIXELS] + widths + [1], cfg["activation"], cfg["batchnorm"], cfg["dropout"], "dropout.encoder", self)
        body = nn.Sequential(*list(body.children())[:-1])  # the hidden layers; the heads follow
        self.add_module("encoder", body)
        self.run["encoder"] = body
        for name, width in (("encoder_y", self.k), ("encoder_z", self.lat)):
            head = nn.Linear(widths[-1], width)
            self.add_module(name, head)
            self.run[name] = head
        if cfg.get("logit_norm", 0) > 0:
            # No parameters: called directly, never wrapped for DistributedDataParallel.
            self.add_module("encoder_y_norm", nn.BatchNorm1d(self.k, eps=1e-5, momentum=0.1, affine=False))
        self.net("decoder", [self.k + self.lat] + widths[::-1] + [PIXELS])
        self.net("discriminator_y", [self.k] + cfg["discriminator"] + [1], bn=False)
        self.net("discriminator_z", [self.lat] + cfg["discriminator"] + [1], bn=False)
        recon, reg = self.lrs()
        enc = ["encoder", "encoder_y", "encoder_z"]
        self.opts["encoder"] = optim.make(cfg, self.encoder_params(), recon)
        self.optimizer("decoder", ["decoder"], recon)
        self.opts["generator"] = optim.make(cfg, self.encoder_params(), reg)
        self.opts["classifier"] = optim.make(cfg, self.encoder_params(), recon)
        self.optimizer("discriminator_y", ["discriminator_y"], reg)
        self.optimizer("discriminator_z", ["discriminator_z"], reg)
        self.enc_names = enc

    def encoder_params(self):
        """The encoder's parameters in the Go core's layout, where the two
        heads are one Linear: its weight rows y then z, then its bias."""
        return list(self.encoder.parameters()) + [self.encoder_y.weight, self.encoder_z.weight,
                                                  self.encoder_y.bias, self.encoder_z.bias]

    def loss_names(self):
        names = ["recon", "disc_y", "gen_y", "disc_z", "gen_z"]
        return names + ["xent"] if self.cfg["model"] == "semisupervised" else names

    def noisy(self, x, total, lo, hi):
        """What the encoder reads of x: x with the input dropout of
        input_dropout (0 or 1/(1-p) per pixel), then the Gaussian noise of
        input_noise added; fresh draws of the whole batch's rows for each
        of the three phases, as the Go core draws them."""
        c = self.cfg
        if c.get("input_dropout", 0) > 0:
            x = x * self.draws.dropout("input_dropout", (total, PIXELS), c["input_dropout"])[lo:hi]
        if c["input_noise"] > 0:
            x = x + self.draws.normal("input", (total, PIXELS), c["input_noise"])[lo:hi]
        return x

    def logits(self, h):
        """The logits of y from the encoder's hidden layers h: encoder_y's
        output, with logit_norm batch-normalised and scaled by it."""
        out = self.call("encoder_y", h)
        if self.cfg.get("logit_norm", 0) > 0:
            out = self.encoder_y_norm(out) * self.cfg["logit_norm"]
        return out

    def encode_train(self, x, total, lo, hi):
        h = self.call("encoder", self.noisy(x, total, lo, hi))
        return torch.softmax(self.logits(h), 1), self.call("encoder_z", h)

    def step(self, b):
        c = self.cfg
        total = b.n
        lo, hi = self.rows(total)
        x, n = b.x[lo:hi], hi - lo
        # Reconstruction.
        self.zero(*self.enc_names, "decoder")
        y, z = self.encode_train(x, total, lo, hi)
        recon = bce(self.call("decoder", torch.cat([y, z], 1)), x)
        self.backward(recon, n, total)
        self.update("decoder", "encoder")
        # Regularisation: the discriminators, then the encoder as generator.
        y, z = self.encode_train(x, total, lo, hi)
        y_prior = self.draws.categorical("noise", total, self.k)[lo:hi]
        z_prior = self.prior_rows(total)
        disc_y = self.discriminate("discriminator_y", y_prior, y, n, total)
        disc_z = self.discriminate("discriminator_z", z_prior, z, n, total)
        gen_y = bce_const(self.call("discriminator_y", y), 1)
        gen_z = bce_const(self.call("discriminator_z", z), 1)
        self.zero(*self.enc_names)
        self.backward(gen_y + gen_z, n, total)
        self.update("generator")
        out = [recon, disc_y, gen_y, disc_z, gen_z]
        shared = self.share(out, n, total)
        if c["model"] == "semisupervised" and b.lx is not None:
            ltotal = len(b.lx)
            llo, lhi = self.rows(ltotal)
            labels = torch.as_tensor(np.asarray(b.llabels[llo:lhi], dtype=np.int64), device=b.lx.device)
            self.zero(*self.enc_names)
            logits = self.logits(self.call("encoder", self.noisy(b.lx[llo:lhi], ltotal, llo, lhi)))
            loss = xent(logits, labels)
            self.backward(loss, lhi - llo, ltotal)
            self.update("classifier")
            shared += self.share([loss], lhi - llo, ltotal)
        elif c["model"] == "semisupervised":
            shared.append(0.0)
        return shared


class Supervised(Twin):
    """core/supervised: the decoder reads [z, one-hot label]; trains on
    the labelled batch alone (reconstruction, discriminator, generator)."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.lat = cfg["latent"]
        self.net("encoder", [PIXELS] + cfg["encoder"] + [self.lat])
        self.net("decoder", [self.lat + 10] + cfg["encoder"][::-1] + [PIXELS])
        self.net("discriminator", [self.lat] + cfg["discriminator"] + [1])
        recon, reg = self.lrs()
        self.optimizer("encoder", ["encoder"], recon)
        self.optimizer("decoder", ["decoder"], recon)
        self.optimizer("generator", ["encoder"], reg)
        self.optimizer("discriminator", ["discriminator"], reg)

    def loss_names(self):
        return ["recon", "disc", "gen"]

    def step(self, b):
        if b.lx is None:
            raise ValueError("supervised: a step needs a labelled batch (labels > 0)")
        total = len(b.lx)
        lo, hi = self.rows(total)
        x, n = b.lx[lo:hi], hi - lo
        labels = torch.as_tensor(np.asarray(b.llabels[lo:hi], dtype=np.int64), device=b.lx.device)
        self.zero("encoder", "decoder")
        z = self.call("encoder", x)
        u = torch.cat([z, F.one_hot(labels, 10).to(z.dtype)], 1)
        recon = bce(self.call("decoder", u), x)
        self.backward(recon, n, total)
        self.update("decoder", "encoder")
        z = self.call("encoder", x)
        disc = self.discriminate("discriminator", self.prior_rows(total), z, n, total)
        gen = self.fool("discriminator", z, n, total, ["encoder"], "generator")
        return self.share([recon, disc, gen], n, total)


class Classifier(Twin):
    """core/classifier: an MLP with softmax on the labelled batch."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.net("classifier", [PIXELS] + cfg["encoder"] + [cfg["classes"]])
        self.optimizer("classifier", ["classifier"], cfg["lr_recon"])

    def loss_names(self):
        return ["xent", "acc"]

    def step(self, b):
        total = len(b.lx)
        lo, hi = self.rows(total)
        n = hi - lo
        labels = torch.as_tensor(np.asarray(b.llabels[lo:hi], dtype=np.int64), device=b.lx.device)
        self.zero("classifier")
        logits = self.call("classifier", b.lx[lo:hi])
        loss = xent(logits, labels)
        self.backward(loss, n, total)
        self.update("classifier")
        acc = float((logits.detach().argmax(1) == labels).float().mean())
        return self.share([loss, acc], n, total)


class Pixel(Twin):
    """core/pixel: MADE, each pixel's intensity level (of levels) from the
    pixels before it, through weights masked by the units' degrees."""

    def __init__(self, cfg, draws):
        super().__init__(cfg, draws)
        self.k = cfg["levels"]
        widths = cfg["encoder"]
        net = self.net("made", [PIXELS] + widths + [PIXELS * self.k])
        degs = [np.array([1 + u * (PIXELS - 2) // max(h - 1, 1) for u in range(h)]) for h in widths]
        self.masks = []
        linears = [m for m in net if isinstance(m, nn.Linear)]
        for l, lin in enumerate(linears):
            if l == 0:
                below = lambda d: np.minimum(d, PIXELS)
            else:
                prev = np.sort(degs[l - 1])
                below = lambda d, prev=prev: np.searchsorted(prev, d, side="right")
            if l < len(degs):
                conn = below(degs[l])
            else:
                conn = np.repeat(below(np.arange(PIXELS)), self.k)  # pixel j sees degrees ≤ j, strictly before j+1
            mask = (np.arange(lin.in_features)[None, :] < conn[:, None]).astype(np.float32)
            self.masks.append((lin, torch.from_numpy(mask)))
        with torch.no_grad():
            for lin, mask in self.masks:
                lin.weight.mul_(mask)
        self.optimizer("made", ["made"], cfg["lr_recon"])

    def loss_names(self):
        return ["nll"]

    def quantise(self, x):
        """The levels of x (pixel.Level, rounded in float64) and their
        values level/(levels−1) in float32, on x's device."""
        q = torch.clamp(torch.floor(x.double() * (self.k - 1) + 0.5), 0, self.k - 1)
        return q.float() / (self.k - 1), q.long()

    def step(self, b):
        total = b.n
        lo, hi = self.rows(total)
        n = hi - lo
        xq, levels = self.quantise(b.x[lo:hi])
        self.zero("made")
        logits = self.call("made", xq).reshape(n * PIXELS, self.k)
        nll = F.cross_entropy(logits, levels.reshape(-1), reduction="sum") / n
        self.backward(nll, n, total)
        for lin, mask in self.masks:
            lin.weight.grad.mul_(mask.to(lin.weight.device))
        self.update("made")
        return self.share([nll], n, total)


KINDS = {
    "aae": AAE, "ae": AAE, "vae": VAE,
    "gan": GAN, "aegan": AEGAN, "bigan": BiGAN,
    "semisupervised": SemiSup, "cluster": SemiSup,
    "supervised": Supervised, "classifier": Classifier, "pixel": Pixel,
}


def build(cfg, draws):
    """The twin of the Go core's model of cfg (a config dict)."""
    kind = KINDS.get(cfg.get("model"))
    if kind is None:
        raise ValueError("unknown model %r (want %s)" % (cfg.get("model"), ", ".join(sorted(KINDS))))
    torch.manual_seed(cfg.get("seed", 1))  # the modules' own init, overwritten by a file's weights
    return kind(cfg, draws)


STATE_PREFIX = "training."


def load_tensors(model, tensors):
    """Copies a Latent Lab file's tensors into the model: every one the
    model has, by name and shape, and no other (a checkpoint's training.*
    state aside). Raises ValueError naming each mismatch; nothing changes
    unless all fit."""
    sd = model.state_dict()
    have = {k: v for k, v in tensors.items() if not k.startswith(STATE_PREFIX)}
    problems = []
    for name, t in sd.items():
        if name not in have:
            problems.append("%s: missing from the file, the model wants shape %s" % (name, list(t.shape)))
        elif list(have[name].shape) != list(t.shape):
            problems.append("%s: shape %s in the file, the model wants %s" % (name, list(have[name].shape), list(t.shape)))
    problems += ["%s: in the file, not in a %s model" % (k, model.cfg["model"]) for k in have if k not in sd]
    if problems:
        raise ValueError("the file's tensors do not fit the model: " + "; ".join(problems))
    for name, t in sd.items():
        if not np.all(np.isfinite(have[name])):
            raise ValueError("tensor %s is not finite: these weights diverged" % name)
    with torch.no_grad():
        for name, t in sd.items():
            t.copy_(torch.from_numpy(np.asarray(have[name]).astype(t.numpy().dtype)).reshape(t.shape))
    if isinstance(model, Pixel):
        with torch.no_grad():
            for lin, mask in model.masks:
                lin.weight.mul_(mask)


def tensors(model):
    """The model's tensors as a Latent Lab file holds them: (name, array)
    in the model's order, num_batches_tracked as int64 scalars."""
    return [(k, v.detach().cpu().numpy().copy()) for k, v in model.state_dict().items()]


def file_meta(cfg_json, step):
    """The metadata of a Latent Lab weights file (model.FileMeta)."""
    return {"format": "latentlab/1", "model": json.loads(cfg_json)["model"], "config": cfg_json, "step": str(step)}


def read_model(path):
    """The config (dict and its JSON), step and tensors of a Latent Lab file."""
    meta, tensors = safetensors.load(path)
    if meta.get("format", "latentlab/1") != "latentlab/1":
        raise ValueError("%s: format %r; this reads latentlab/1" % (path, meta.get("format")))
    if "config" not in meta:
        raise ValueError("%s: no config in the metadata; was it written by Latent Lab?" % path)
    cfg_json = meta["config"]
    try:
        cfg = json.loads(cfg_json)
        step = int(meta.get("step", "0"))
    except ValueError as e:
        raise ValueError("%s: the metadata's config or step is not valid: %s" % (path, e))
    if not isinstance(cfg, dict):
        raise ValueError("%s: the metadata's config is not a JSON object" % path)
    return cfg, cfg_json, step, tensors


def from_file(path):
    """The model a Latent Lab weights file (or checkpoint) holds, in eval
    mode (batch norm on its running statistics, no dropout), with its config
    and step: a download from the page, used in PyTorch. The networks are
    the file's names (model.encoder, model.decoder, ...; a decoder gives
    pixel logits, torch.sigmoid of which are the pixel probabilities)."""
    cfg, _, step, tensors = read_model(path)
    model = build(cfg, draws.Sampler(cfg.get("seed", 1)))
    load_tensors(model, tensors)
    model.eval()
    return model, cfg, step
