#!/usr/bin/env python3
"""PyTorch reference for `bench throughput`, measured in the same sitting, interleaved with ours.

Dev-time only (needs torch + timm): /work/venv-torch/bin/python Benchmarks/torch_reference.py \
    --bench .build/release/bench --methods vpt-deep --batch 8 --threads 1,2 --rounds 2 --steps 2

Every measurement runs in a fresh process (so peak RSS is per configuration): for each round and thread
count, PyTorch first, then ours (`bench throughput --sgemm`), alternating. Ours also reports the sgemm
ceiling of the sitting (the faster of OpenBLAS's own threading and the engine's split `gemm`, ViT-B/16 fc1 shape at
the run's batch, at most 32 images), from which the
GEMM limit in img/s is computed with the FLOP counts of the issue (35.1 GFLOP inference, 75.3 VPT-deep step,
105.2 full fine-tuning step; linear probing = inference; a prompted eval forward over 207 tokens = 36.97). Both sides'
eval runs the same forward: with the prompts for VPT, the plain ViT for the linear probe (plain inference).
`--unset-blas-env` drops OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the children's environment. Results: JSON
lines on stdout, appended to `--log` (default results/throughput/torch-reference.jsonl) as they come, and a Markdown
summary.

Methods with a module under Benchmarks/official/ (e2vpt, da-vpt, sa2vp, insvp, dam-vp, ilm-vp, full, fact, repadapter,
hydra, dtl, sct) are timed with
the OFFICIAL PyTorch model code: each module imports the official repository from the checkout its environment
variable names (E2VPT_SRC, DAVPT_SRC, SA2VP_SRC, INSVP_SRC, DAMVP_SRC, ILMVP_SRC, VPT_SRC, FACT_SRC, REPADAPTER_SRC,
HYDRA_SRC, DTL_SRC, SCT_SRC; sct needs timm 0.6.5, e.g. /work/venv-ssf/bin/python) and returns the trainable
tensors, the loss of one training batch and the inference logits; this script wraps them in the same SGD step as
ours. ILM-VP runs on ResNet-50 (ours: `--backbone resnet50`). `--like-for-like` sets OFFICIAL_BENCH_FREEZE=1: InsVP's
and DAM-VP's official code never freezes the backbone, so by default PyTorch also computes gradients for every frozen
weight (work ours skips); with the flag both sides compute the same gradients. vpt-deep/vpt-shallow/linear keep the
timm model (the numbers the issue quotes).
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

GFLOP = {"eval": 35.1, "vpt-deep": 75.3, "vpt-shallow": 75.3, "full": 105.2, "linear": 35.1}


def vit_b16_forward_gflop(tokens=197):
    """Multiply-add FLOPs (2 per MAC) of one ViT-B/16 forward over `tokens` tokens (Throughput.vitForwardFLOPs)."""
    n, d, m = tokens, 768, 3072
    block = 2 * n * d * 3 * d + 2 * n * d * d + 4 * n * d * m + 4 * n * n * d
    return (2 * 196 * d * 3 * 16 * 16 + 12 * block) / 1e9


# Inference FLOPs per image: the prompted methods' eval runs 10 prompt tokens more on both sides (36.97 vs 35.1).
EVAL_GFLOP = {"vpt-deep": vit_b16_forward_gflop(207), "vpt-shallow": vit_b16_forward_gflop(207)}
# Methods timed with the official model code: method id → module under Benchmarks/official/.
OFFICIAL = {"e2vpt": "e2vpt", "da-vpt": "da_vpt", "sa2vp": "sa2vp", "insvp": "insvp", "dam-vp": "dam_vp",
            "ilm-vp": "ilm_vp", "full": "full", "fact": "fact", "repadapter": "repadapter", "hydra": "hydra", "dtl": "dtl", "sct": "sct"}
# Our backbone for each method (ViT-B/16 unless named).
BACKBONE = {"ilm-vp": "resnet50"}


def measure_and_print(method, batch, threads, steps, warmup, params, loss_fn, logits_fn, **extra):
    """Times `steps` SGD steps of `loss_fn` and `steps` no-grad `logits_fn` passes after `warmup` of each (the same
    optimiser as `bench throughput`), then prints one JSON line with img/s and the process's peak RSS."""
    import torch

    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=1e-4)

    def step():
        loss = loss_fn()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def timed(fn):
        for _ in range(warmup):
            fn()
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        return batch * steps / (time.perf_counter() - t0)

    train = timed(step)
    with torch.no_grad():
        ev = timed(logits_fn)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"who": "torch", "method": method, "batch": batch, "threads": threads, "train_img_s": train,
                      "eval_img_s": ev, "peak_rss_mib": rss / 2**20, "torch": torch.__version__, **extra}))


def official_child(method, batch, threads, steps, warmup, classes):
    import importlib
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "official"))
    d = importlib.import_module(OFFICIAL[method]).build(batch, classes)
    x, y = d["input"], d["labels"]
    measure_and_print(method, batch, threads, steps, warmup, d["params"], lambda: d["loss"](x, y), lambda: d["logits"](x),
                      official=d["source"], freeze=os.environ.get("OFFICIAL_BENCH_FREEZE") == "1")


def torch_child(method, batch, threads, steps, warmup, classes):
    import torch
    import timm
    import torch.nn as nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = timm.create_model("vit_base_patch16_224", pretrained=False, num_classes=0)
    model.eval()  # VPT keeps the backbone in eval mode (dropout off); timm's default drop rates are 0 anyway
    D, P = 768, 10
    head = nn.Linear(D, classes)
    x = torch.randn(batch, 3, 224, 224)
    y = torch.arange(batch) % classes
    train_params = list(head.parameters())
    prompts = deep = None
    if method in ("vpt-deep", "vpt-shallow"):
        bound = (6.0 / (3 * 16 * 16 + D)) ** 0.5
        prompts = nn.Parameter(torch.empty(1, P, D).uniform_(-bound, bound))
        train_params.append(prompts)
        if method == "vpt-deep":
            deep = nn.Parameter(torch.empty(len(model.blocks) - 1, P, D).uniform_(-bound, bound))
            train_params.append(deep)
    for p in model.parameters():
        p.requires_grad_(method == "full")
    if method == "full":
        train_params += list(model.parameters())
    if method == "partial-1":  # KMnP/vpt "partial-1": the last block and the final norm train with the head
        tail = list(model.blocks[-1].parameters()) + list(model.norm.parameters())
        for p in tail:
            p.requires_grad_(True)
        train_params += tail

    def features(img):
        if prompts is None:
            if method == "linear":
                with torch.no_grad():
                    return model(img)
            return model(img)
        t = model._pos_embed(model.patch_embed(img))  # [B, 1 + N, D], CLS first
        b = t.shape[0]
        t = torch.cat([t[:, :1], prompts.expand(b, -1, -1), t[:, 1:]], 1)
        for i, blk in enumerate(model.blocks):
            if i > 0 and deep is not None:
                t = torch.cat([t[:, :1], deep[i - 1 : i].expand(b, -1, -1), t[:, 1 + P :]], 1)
            t = blk(t)
        return model.norm(t)[:, 0]

    # Eval runs what ours runs: the prompted forward for VPT (10 tokens more), the plain ViT for the linear probe.
    measure_and_print(method, batch, threads, steps, warmup, train_params,
                      lambda: nn.functional.cross_entropy(head(features(x)), y), lambda: head(features(x)))


def run_ours(bench, method, batch, threads, steps, warmup, env):
    cmd = [bench, "throughput", "--methods", method, "--backbone", BACKBONE.get(method, "vit-b16"), "--batch", str(batch),
           "--threads", str(threads), "--steps", str(steps), "--warmup", str(warmup), "--sgemm"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    sg = float(re.search(r"sgemm GFLOP/s: ([0-9.]+)", out).group(1))
    core = re.search(r"# throughput: openblas (\S+),", out)
    row = [c.strip() for c in out.strip().splitlines()[-2 if "→" in out else -1].strip("|").split("|")]
    # | method | backbone | batch | threads | train img/s | fwd ms | bwd ms | opt ms | eval img/s | eval GFLOP/s | peak RSS MiB | trainable |
    return {"who": "ours", "method": method, "batch": batch, "threads": threads, "train_img_s": float(row[4]),
            "fwd_ms": float(row[5]), "bwd_ms": float(row[6]), "opt_ms": float(row[7]), "eval_img_s": float(row[8]),
            "peak_rss_mib": float(row[10]), "sgemm_gflops": sg, "blas_core": core.group(1) if core else None,
            "cmd": " ".join(cmd)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--bench", default=".build/release/bench")
    ap.add_argument("--methods", default="vpt-deep")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--unset-blas-env", action="store_true")
    ap.add_argument("--like-for-like", action="store_true", help="OFFICIAL_BENCH_FREEZE=1 (see the docstring)")
    ap.add_argument("--log", default="results/throughput/torch-reference.jsonl",
                    help="every measurement is also appended here as a JSON line (so a cut-off sitting keeps its numbers)")
    a = ap.parse_args()
    if a.child:
        (official_child if a.methods in OFFICIAL else torch_child)(a.methods, a.batch, int(a.threads), a.steps, a.warmup, a.classes)
        return
    env = dict(os.environ)
    if a.like_for_like:
        env["OFFICIAL_BENCH_FREEZE"] = "1"
    if a.unset_blas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    rows = []
    sitting = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    blas_env = "unset" if a.unset_blas_env else os.environ.get("OPENBLAS_CORETYPE", "unset")
    log = open(a.log, "a") if a.log else None
    for r in range(a.rounds):
        for t in [int(s) for s in a.threads.split(",")]:
            for m in a.methods.split(","):
                cmd = [sys.executable, __file__, "--child", "--methods", m, "--batch", str(a.batch), "--threads", str(t),
                       "--steps", str(a.steps), "--warmup", str(a.warmup), "--classes", str(a.classes)]
                tr = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
                ou = run_ours(a.bench, m, a.batch, t, a.steps, a.warmup, env)
                for x in (tr, ou):
                    x.update(round=r, sitting=sitting, openblas_coretype_env=blas_env)
                    print(json.dumps(x), flush=True)
                    if log:
                        log.write(json.dumps(x) + "\n")
                        log.flush()
                    rows.append(x)
    # Summary: medians over rounds, per (method, threads).
    print("\n| method | threads | batch | ours train img/s | torch train img/s | ratio | % GEMM limit (train) | "
          "ours eval img/s | torch eval img/s | ratio | % GEMM limit (eval) | sgemm GFLOP/s | ours RSS MiB | torch RSS MiB | RSS ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in a.methods.split(","):
        for t in [int(s) for s in a.threads.split(",")]:
            o = [x for x in rows if x["who"] == "ours" and x["method"] == m and x["threads"] == t]
            p = [x for x in rows if x["who"] == "torch" and x["method"] == m and x["threads"] == t]
            med = lambda xs, k: statistics.median(x[k] for x in xs)
            sg = med(o, "sgemm_gflops")
            # The GEMM limit needs the FLOP model, which covers the plain / VPT / full ViT-B/16 steps only.
            lim_t = sg / GFLOP[m] if m in GFLOP else None
            lim_e = sg / EVAL_GFLOP.get(m, GFLOP["eval"]) if m in GFLOP else None
            pct = lambda v, lim: f"{100 * v / lim:.0f}%" if lim else "–"
            print(f"| {m} | {t} | {a.batch} | {med(o, 'train_img_s'):.2f} | {med(p, 'train_img_s'):.2f} | "
                  f"{med(o, 'train_img_s') / med(p, 'train_img_s'):.2f} | {pct(med(o, 'train_img_s'), lim_t)} | "
                  f"{med(o, 'eval_img_s'):.2f} | {med(p, 'eval_img_s'):.2f} | {med(o, 'eval_img_s') / med(p, 'eval_img_s'):.2f} | "
                  f"{pct(med(o, 'eval_img_s'), lim_e)} | {sg:.1f} | {med(o, 'peak_rss_mib'):.0f} | {med(p, 'peak_rss_mib'):.0f} | "
                  f"{med(o, 'peak_rss_mib') / med(p, 'peak_rss_mib'):.2f} |")


if __name__ == "__main__":
    main()
