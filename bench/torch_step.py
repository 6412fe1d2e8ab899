"""The native peer: the Latent Lab AAE training step in PyTorch on the CPU.

One step is exactly core/aae's Step and bench/tfjs.js's, batch 100, with
four Adam optimizers (beta1 0.5, beta2 0.999, eps 1e-8):

1. reconstruction (lr 1e-3): z = enc(x), BCE-with-logits(dec(z), x) summed
   over the 784 pixels, mean over the batch; encoder and decoder updated;
2. discriminator (lr 2e-4): codes enc(x) (no gradient to the encoder) are
   fake, samples of N(0, 5^2 I) real; discriminator updated;
3. generator (lr 2e-4): BCE(D(enc(x)), 1); the encoder alone updated (a
   third optimizer on its parameters).

Each --threads value given is measured (torch.set_num_threads: intra-op
threads; OpenBLAS keeps its own pool on every core), and the fastest is
reported, with all of them. Prints one JSON object on stdout.

    /usr/bin/python3 bench/torch_step.py --seconds 10 --threads 1,2
"""

import argparse
import json
import os
import platform
import time

import torch
from torch import nn

MODELS = {
    "small": ([512, 256], 2, [256, 256]),
    "paper": ([1000, 1000], 8, [1000, 1000]),
}
BATCH = 100


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def build(name):
    hidden, latent, disc = MODELS[name]
    enc = mlp([784, *hidden, latent])
    dec = mlp([latent, *hidden[::-1], 784])
    dis = mlp([latent, *disc, 1])
    adam = lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999), eps=1e-8)
    opts = (adam(list(enc.parameters()) + list(dec.parameters()), 1e-3),
            adam(dis.parameters(), 2e-4), adam(enc.parameters(), 2e-4))
    return enc, dec, dis, latent, opts


def step(enc, dec, dis, latent, opts, x):
    bce = nn.functional.binary_cross_entropy_with_logits
    recon, disc, gen = opts
    # 1. reconstruction
    recon.zero_grad(set_to_none=True)
    loss = bce(dec(enc(x)), x, reduction="sum") / x.shape[0]
    loss.backward()
    recon.step()
    # 2. discriminator
    disc.zero_grad(set_to_none=True)
    with torch.no_grad():
        fake = enc(x)
    real = torch.randn(x.shape[0], latent) * 5
    d_real, d_fake = dis(real), dis(fake)
    d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    d_loss.backward()
    disc.step()
    # 3. generator
    gen.zero_grad(set_to_none=True)
    d_gen = dis(enc(x))
    g_loss = bce(d_gen, torch.ones_like(d_gen))
    g_loss.backward()
    gen.step()
    return loss.item(), d_loss.item(), g_loss.item()


def measure(name, seconds, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    enc, dec, dis, latent, opts = build(name)
    mean = torch.rand(784)
    batches = [(mean + 0.2 * torch.randn(BATCH, 784)).clamp(0, 1) for _ in range(10)]
    for i in range(3):  # warm-up
        step(enc, dec, dis, latent, opts, batches[i])
    steps, spent = 0, 0.0
    while steps < 3 or spent < seconds:
        t = time.perf_counter()
        losses = step(enc, dec, dis, latent, opts, batches[steps % 10])
        spent += time.perf_counter() - t
        steps += 1
    return {"model": name, "threads": threads, "steps": steps, "seconds": round(spent, 3),
            "samples_per_sec": round(steps * BATCH / spent, 1), "last_losses": losses}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--models", default="small,paper")
    ap.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts to try")
    args = ap.parse_args()
    results = []
    for name in args.models.split(","):
        runs = [measure(name, args.seconds, int(t)) for t in args.threads.split(",")]
        best = max(runs, key=lambda r: r["samples_per_sec"])
        results.append({**best, "runs": [{"threads": r["threads"], "samples_per_sec": r["samples_per_sec"]} for r in runs]})
        print(f"torch {name}: " + ", ".join(f"{r['threads']} thread(s) {r['samples_per_sec']} samples/s" for r in runs),
              file=__import__("sys").stderr)
    print(json.dumps({
        "torch": torch.__version__, "python": platform.python_version(),
        "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
        "cores": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    main()
