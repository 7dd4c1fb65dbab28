"""InsVP train step with the OFFICIAL PyTorch code, for comparison with `bench throughput --methods insvp`.

Dev-time only (needs torch, timm, torchvision):

    INSVP_SRC=/tmp/src-insvp /work/venv-torch/bin/python -c \
        'import sys; sys.path.insert(0, "Benchmarks/official"); import insvp; d = insvp.build(2, 100)'

INSVP_SRC is a plain checkout of zhoujiahuan1991/MM2024-InsVP at SOURCE["commit"]. Nothing of it is copied here: the
arguments come from the official parser (utils/args.py: add_management/experiment/model_args) given the flags of
sh/cifar10.sh, set to our InsVPConfig defaults (p_len = p_len_vpt 16, deep_layer 12, prompt_dropout 0.1,
prompt_patch 16, hid_dim 16, prompt_patch_2 11, prompt_patch_22 25, hid_dim_2 6, prompts_2_weight 2,
TP_kernel 7/9/3, simam False, deep_prompt_type ours9, pretrained imagenet22k); the model is the official
`models.InstanceVPD.Model_InstanceVPD(args)`, whose `get_backbone` (models/utils.py:71-104) runs as is —
timm `vit_base_patch16_224.augreg_in21k`, `reset_classifier(classes)` — except that its checkpoint read
(`torch.load(path)`) returns an empty state dict (load_state_dict(..., strict=False) then loads nothing): random init.
The class count reaches get_backbone through the official `Dataset_N_classes` table under a dataset name of our own.

Train step (train/trainer.py:80-111): `model.train()` (the official override: backbone eval, prompt nets train),
`outputs = model(images)`, `loss = criterion(outputs, labels)`. The scripts train with `--mixup mixup`, i.e. timm
Mixup and SoftTargetCrossEntropy; our throughput uses no mixup, so the targets here are one-hot labels (the same
value as plain CE) through the official criterion, SoftTargetCrossEntropy. Not done here: Mixup itself, and the
official CUDA autocast/GradScaler (fp16); this runs in float32 on the CPU like ours.
Params = `model.learnable_parameters()` (what the official AdamW updates: head, meta_net, prompts, meta_net_2; not
TokenPrompt, spec §7.1 of our InsVP).

NOTE (official behaviour kept): the official code never sets requires_grad=False anywhere, so its backward also
computes (unused) gradients for every backbone weight and for TokenPrompt's convs. That is the default here. Set
OFFICIAL_BENCH_FREEZE=1 to set requires_grad=False on everything `learnable_parameters()` does not return (what our
Swift step computes: input gradients through the frozen parts, weight gradients only for trained tensors).
Logits: the official `eval()` (dropout off), forward, then back to `train()`.
"""
import functools
import os
import types

import torch

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("INSVP", "zhoujiahuan1991/MM2024-InsVP", "9a89ad5058cccd98d2b8c2856ccbc4ad4f15f070")
IMAGE_SIZE = 224  # the official code hard-codes 224 (InstanceVPD.py:124, tokenPrompt.py:37-45)

# sh/cifar10.sh's command line with our InsVPConfig defaults (Sources/Methods/InsVP.swift).
FLAGS = ["--model=InstanceVPD", "--pretrained=imagenet22k", "--arch=ViT/B-16", "--meta_net=19", "--hid_dim=16",
         "--prompt_patch=16", "--prompts_2_weight=2", "--prompt_patch_2=11", "--prompt_patch_22=25", "--hid_dim_2=6",
         "--deep_prompt_type=ours9", "--deep_layer=12", "--mixup=mixup", "--cutmix_alpha=1.0", "--TP_kernel_1=7",
         "--TP_kernel_2=9", "--TP_kernel_3=3", "--p_len=16", "--p_len_vpt=16", "--prompt_dropout=0.1",
         "--trainer=ours", "--simam=False", "--optimizer=AdamW", "--scheduler=cosine"]


@functools.cache
def _import_official():
    """The official modules, imported once."""
    # train/utils.py pulls the dataset modules; the model only imports `device` from it.
    tu = types.ModuleType("train.utils")
    tu.device = "cpu"
    names = ["models", "utils", "train", "data_utils", "src"]
    with checkout.official_imports(SRC, names, {"train.utils": tu}):
        import models.InstanceVPD as IV
        import models.utils as MU
        import utils.args as UA
    return IV, MU, UA


def build(batch: int, classes: int) -> dict:
    IV, MU, UA = _import_official()
    from argparse import ArgumentParser
    from timm.loss import SoftTargetCrossEntropy  # the official criterion with --mixup mixup (train/trainer.py:33-34)

    parser = ArgumentParser(allow_abbrev=False)  # main.py:18-37
    parser.add_argument("--model", type=str, default="perturbation", choices=["InstanceVPD"])
    UA.add_management_args(parser)
    UA.add_experiment_args(parser)
    UA.add_model_args(parser)
    dataset = f"vpt-bench-{classes}"
    args = parser.parse_args(FLAGS + [f"--dataset={dataset}"])
    MU.Dataset_N_classes[dataset] = classes

    torch.manual_seed(0)
    real_load = torch.load
    torch.load = lambda *a, **k: {}  # get_backbone's checkpoint file → nothing loaded (strict=False)
    try:
        model = IV.Model_InstanceVPD(args)
    finally:
        torch.load = real_load
    params = model.learnable_parameters()
    if os.environ.get("OFFICIAL_BENCH_FREEZE") == "1":
        keep = {id(p) for p in params}
        for p in model.parameters():
            p.requires_grad_(id(p) in keep)
    model.train()  # train/trainer.py:82 (the InstanceVPD override)
    criterion = SoftTargetCrossEntropy()

    def loss(x, y):
        outputs = model(x)
        target = torch.nn.functional.one_hot(y, classes).to(outputs.dtype)
        return criterion(outputs, target)

    def logits(x):
        model.eval()  # train/trainer.py eval(): model.eval() then forward
        try:
            return model(x)
        finally:
            model.train()

    g = torch.Generator().manual_seed(0)
    return {"params": params, "loss": loss, "logits": logits,
            "input": torch.randn(batch, 3, IMAGE_SIZE, IMAGE_SIZE, generator=g),
            "labels": torch.arange(batch) % classes, "source": dict(SOURCE)}
