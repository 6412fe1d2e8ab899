"""Continues the training of a Latent Lab model in PyTorch, on one process
or many (DistributedDataParallel), and writes a file the page imports.

    python -m latentlab_torch.train --init FILE --epochs E --out FILE
    torchrun --nproc_per_node=N -m latentlab_torch.train --init FILE ...
    python -m latentlab_torch.train --nproc N --init FILE ...   (spawns N here)

The step is the Go core's (latentlab_torch.kinds), the batches are the Go
core's for the seed (the same digits in the same order), and the random
draws (prior samples, noise, dropout masks) come from this run's own
generators. Under torchrun, or with the variables it sets (MASTER_ADDR,
MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK), each process trains on its rows
of every batch and DistributedDataParallel averages the gradients: gloo on
the CPU, nccl on GPUs. Progress goes to stderr, a JSON line of mean losses
per --log-every steps to stdout (from the first process), and the first
process writes --out at the end (and every --save-every steps; a SIGINT or
SIGTERM stops after the current step and writes it too).
"""

import argparse
import json
import math
import os
import signal
import socket
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from . import draws as drawmod, kinds, mnist, optim, safetensors
from .data import load as load_batches


def parse(argv):
    ap = argparse.ArgumentParser(prog="python -m latentlab_torch.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--init", required=True, help="the Latent Lab .safetensors file to continue (weights and config)")
    ap.add_argument("--out", help="write the trained model to this .safetensors file")
    ap.add_argument("--epochs", type=float, default=1, help="passes over the training digits")
    ap.add_argument("--steps", type=int, default=0, help="training steps (batches); overrides --epochs")
    ap.add_argument("--data", default="assets/mnist", help="directory of the MNIST idx files")
    ap.add_argument("--seed", type=int, default=None, help="seed of this run's batch order and draws (default: the file's config's; a checkpoint's batch order continues unless --seed is given)")
    ap.add_argument("--dtype", default="f32", choices=["f32", "f16"], help="dtype of the written file")
    ap.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if there is one, else cpu)")
    ap.add_argument("--log-every", type=int, default=100, help="steps per JSON line")
    ap.add_argument("--save-every", type=int, default=0, help="also write --out every this many steps (0: at the end only)")
    ap.add_argument("--nproc", type=int, default=0, help="without torchrun: start this many processes on this machine")
    a = ap.parse_args(argv)
    if a.steps < 0 or (a.steps == 0 and not 0 < a.epochs <= 1e6):
        ap.error("give --steps N > 0 or --epochs E in (0, 1e6]")
    if a.log_every < 1:
        ap.error("--log-every must be at least 1")
    if a.save_every < 0 or (a.save_every and not a.out):
        ap.error("--save-every N needs N >= 0 and --out FILE")
    return a


def load_optimizers(model, tensors):
    """Puts a Go checkpoint's optimizer state (training.optim.NAME.SLOT and
    .step) into the model's optimizers; returns whether the file had it."""
    p = kinds.STATE_PREFIX + "optim."
    if not any(k.startswith(p) for k in tensors):
        return False
    for name, o in model.opts.items():
        for slot in o.slots:
            key = p + name + "." + slot
            if key not in tensors:
                raise ValueError("the checkpoint has no %s" % key)
            o.set_flat(slot, tensors[key])
        if o.t is not None:
            o.t = int(tensors[p + name + ".step"])
    return True


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    if a.nproc > 1 and "WORLD_SIZE" not in os.environ:
        return spawn(a.nproc, sys.argv[1:] if argv is None else argv)
    try:
        return run(a)
    except (OSError, ValueError) as e:
        print("latentlab_torch: %s" % e, file=sys.stderr)
    except KeyError as e:
        print("latentlab_torch: %s: the config has no field %s (is it a Latent Lab file?)" % (a.init, e), file=sys.stderr)
    return 1


def spawn(n, argv):
    """Starts n processes of this command on this machine, with the
    variables torchrun would set, and waits for them."""
    import subprocess
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for rank in range(n):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                   WORLD_SIZE=str(n), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(n))
        if sys.platform == "linux":
            # gloo otherwise finds its address through the host name, which
            # need not resolve to this machine; these processes share it.
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        procs.append(subprocess.Popen([sys.executable, "-m", "latentlab_torch.train"] + list(argv), env=env))
    codes = [p.wait() for p in procs]
    return next((c for c in codes if c), 0)


def save(a, model, cfg_json, step, world, lead, say):
    """Writes the model to --out (from the first process), the batch norms'
    running statistics averaged over the processes first."""
    if world > 1:
        with torch.no_grad():
            for buf in model.buffers():
                if buf.is_floating_point():
                    dist.all_reduce(buf)
                    buf /= world
    if lead:
        meta = kinds.file_meta(cfg_json, step)
        meta.update(mnist.dataset_meta(a.data))
        safetensors.dump(a.out, kinds.tensors(model), meta, "F16" if a.dtype == "f16" else "F32")
        say("wrote %s (step %d)" % (a.out, step))


def run(a):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(a.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        per = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // per))
    lead = rank == 0

    def say(msg):
        if lead:
            print("latentlab_torch: " + msg, file=sys.stderr, flush=True)

    cfg, cfg_json, done, tensors = kinds.read_model(a.init)
    seed = cfg["seed"] if a.seed is None else a.seed
    run_cfg = dict(cfg, seed=seed)
    sampler = drawmod.Sampler(seed, rank)
    sampler.device = device
    model = kinds.build(cfg, sampler)
    kinds.load_tensors(model, tensors)
    resumed = load_optimizers(model, tensors)
    model.to(device)
    for o in model.opts.values():
        o.to(device)
    model.train()
    if world > 1:
        if cfg["batch"] < world:
            raise ValueError("a batch of %d cannot be split over %d processes" % (cfg["batch"], world))
        model.part, model.world = rank, world
        from torch.nn.parallel import DistributedDataParallel as DDP
        for name, m in list(model.run.items()):
            # Each process's batch norms keep their own running statistics
            # (broadcasting them at every forward would change tensors a
            # pending backward saved); they are averaged before writing.
            model.run[name] = DDP(m, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=False)
    batches = load_batches(run_cfg, a.data)
    if a.seed is None and resumed and batches.restore(tensors):
        say("continuing the checkpoint's batch order: epoch %d, batch %d" % (batches.epoch, batches.batcher.pos))
    total = a.steps or int(a.epochs * batches.per_epoch)
    names = model.loss_names()
    say("continuing %s from step %d%s: %d steps of %d on %d process%s (%s)" % (
        cfg["model"], done, " with the file's optimizer state" if resumed else "", total, cfg["batch"],
        world, "es" if world > 1 else "", device))

    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sums = np.zeros(len(names))
    count, start, factor = 0, time.time(), None
    step = 0
    for step in range(1, total + 1):
        f = optim.schedule_factor(cfg["lr_schedule"], batches.epoch)
        if f != factor:
            factor = f
            for o in model.opts.values():
                o.scale_lr(f)
        b = batches.next()
        b.x = b.x.to(device)
        if b.lx is not None:
            b.lx = b.lx.to(device)
        sums += model.step(b)
        count += 1
        if step % a.log_every == 0 or step == total:
            mean = torch.tensor(sums / count, dtype=torch.float64, device=device)
            if world > 1:
                dist.all_reduce(mean)
            mean = mean.cpu()
            line = dict(step=done + step, epoch=round(batches.epoch + batches.batcher.pos / batches.per_epoch, 4),
                        samples_per_sec=round(count * cfg["batch"] / max(time.time() - start, 1e-9), 1),
                        **{n: float(v) for n, v in zip(names, mean)})
            if not all(math.isfinite(v) for v in mean.tolist()):
                say("the losses are not finite at step %d: the weights diverged; %s not written" % (done + step, a.out))
                return 1
            if lead:
                print(json.dumps(line), flush=True)
            sums[:] = 0
            count, start = 0, time.time()
        if a.save_every and step % a.save_every == 0 and step < total:
            save(a, model, cfg_json, done + step, world, lead, say)
        stopping = torch.tensor([1.0 if stop else 0.0], device=device)
        if world > 1:
            dist.all_reduce(stopping)
        if stopping.item():
            say("stopping after step %d" % (done + step))
            break
    if a.out:
        save(a, model, cfg_json, done + step, world, lead, say)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
