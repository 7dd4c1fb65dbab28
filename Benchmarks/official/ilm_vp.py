"""ILM-VP train step with the OFFICIAL PyTorch code, for comparison with `bench throughput --methods ilm-vp
--backbone resnet50`.

Dev-time only (needs torch, torchvision):

    ILMVP_SRC=/tmp/src-ilmvp /work/venv-torch/bin/python -c \
        'import sys; sys.path.insert(0, "Benchmarks/official"); import ilm_vp; d = ilm_vp.build(2, 100)'

ILMVP_SRC is a plain checkout of OPTML-Group/ILM-VP at SOURCE["commit"]. Nothing of it is copied here. Used, as
experiments/cnn/ilm_vp.py sets them up for `--network resnet50` (lines 48-62):
  - network: torchvision `resnet50` (official: weights=ResNet50_Weights.IMAGENET1K_V2; here weights=None, random
    init, 1000 source classes), `requires_grad_(False)`, `eval()`;
  - models.ExpansiveVisualPrompt(224, mask=np.zeros((32, 32)), normalize=Normalize(IMAGENETNORMALIZE)) — the mask of
    the 32-px datasets (data/prepare_data.py: cifar10/100, svhn, gtsrb), zero init; IMAGENETNORMALIZE from
    data/const.py (loaded alone: data/__init__.py needs lmdb). Our ILMVPConfig defaults: input_size 32,
    out_size 224, input_normalization "none" (the official loaders apply only ToTensor, no normalisation);
  - algorithms.label_mapping_base with a fixed mapping_sequence = source classes 0..classes-1 (the frequency
    mapping runs once per epoch before training, `mapping_interval` 1; it is not part of the train step).
Train step (ilm_vp.py:79-96): `visual_prompt.train()`, `fx = label_mapping(network(visual_prompt(x)))`,
`F.cross_entropy(fx, y, reduction='mean')`. Not done here: the official CUDA autocast + GradScaler (fp16 on a GPU; on a
CPU they disable themselves), so this is float32 like ours. Params = visual_prompt.parameters() = [program]
(3·224·224 = 150,528 entries, of which the 147,456 border entries get non-zero gradients).
Logits: `visual_prompt.eval()` then `label_mapping(network(visual_prompt(x)))` (ilm_vp.py:99-111), back to train().
Input: [batch, 3, 32, 32], the image the prompt pads to 224.
"""
import functools
import importlib.util
import os
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

import checkout  # Benchmarks/official/checkout.py

SRC, SOURCE = checkout.source("ILMVP", "OPTML-Group/ILM-VP", "84ca0424dce5df9972b9ab6b5a6ddc0f706e8223")
INPUT_SIZE, OUT_SIZE = 32, 224


@functools.cache
def _import_official():
    """The official modules, imported once."""
    with checkout.official_imports(SRC, ["models", "algorithms", "data", "tools", "cfg"], {}):
        from models import ExpansiveVisualPrompt
        from algorithms import label_mapping_base
    spec = importlib.util.spec_from_file_location("ilm_vp_official_const", os.path.join(SRC, "data", "const.py"))
    const = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(const)
    return ExpansiveVisualPrompt, label_mapping_base, const.IMAGENETNORMALIZE


def build(batch: int, classes: int) -> dict:
    ExpansiveVisualPrompt, label_mapping_base, IMAGENETNORMALIZE = _import_official()
    from torchvision import transforms
    from torchvision.models import resnet50

    assert classes <= 1000, "ILM-VP maps target classes to distinct ImageNet classes"
    torch.manual_seed(0)
    normalize = transforms.Normalize(IMAGENETNORMALIZE["mean"], IMAGENETNORMALIZE["std"])
    network = resnet50(weights=None)
    network.requires_grad_(False)
    network.eval()
    visual_prompt = ExpansiveVisualPrompt(OUT_SIZE, mask=np.zeros((INPUT_SIZE, INPUT_SIZE)), normalize=normalize)
    label_mapping = partial(label_mapping_base, mapping_sequence=torch.arange(classes))
    visual_prompt.train()
    params = list(visual_prompt.parameters())  # torch.optim.Adam(visual_prompt.parameters(), lr=args.lr)

    def loss(x, y):
        fx = label_mapping(network(visual_prompt(x)))
        return F.cross_entropy(fx, y, reduction="mean")

    def logits(x):
        visual_prompt.eval()
        try:
            return label_mapping(network(visual_prompt(x)))
        finally:
            visual_prompt.train()

    g = torch.Generator().manual_seed(0)
    return {"params": params, "loss": loss, "logits": logits,
            "input": torch.randn(batch, 3, INPUT_SIZE, INPUT_SIZE, generator=g),
            "labels": torch.arange(batch) % classes, "source": dict(SOURCE)}
