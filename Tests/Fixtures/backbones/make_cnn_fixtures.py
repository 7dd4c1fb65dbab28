"""Dev-time fixtures for Tests/BackbonesTests: tiny random-weight Swin, ResNet-18-style and ResNeXt-style
networks in eval mode, saved as official-layout .pth and as .safetensors, with an input batch, the logits and
the input gradient of a fixed scalar loss. Run once with /work/venv-torch/bin/python; outputs are committed.

    /work/venv-torch/bin/python Tests/Fixtures/backbones/make_cnn_fixtures.py

Also prints (and records in versions.json) the parameter counts of the full-size reference models, which
the Swift tests compare against their count-from-config.
"""
import copy
import json
import os

import safetensors.torch as st
import timm
import torch
import torchvision
from timm.models.swin_transformer import SwinTransformer
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


def randomise_(model):
    """Random weights everywhere (incl. LayerNorm/BN affine and BN running stats) so that every tensor
    matters for the logits; scaled to keep activations O(1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:
                p.copy_(torch.randn_like(p) * 0.2 + (1.0 if name.endswith("weight") else 0.0))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.2)
            elif name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)


class TinyResNet(ResNet):
    """torchvision's ResNet (its own BasicBlock/Bottleneck and _make_layer) with narrower stages, so the
    committed fixtures stay small; only the widths differ from resnet18/resnext."""

    def __init__(self, block, layers, widths, num_classes, groups=1, width_per_group=64):
        torch.nn.Module.__init__(self)
        self._norm_layer = torch.nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = torch.nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(widths[0])
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(widths[3] * block.expansion, num_classes)


def timm_swin_to_official(sd, model):
    """timm's current Swin layout -> the official microsoft/Swin-Transformer checkpoint layout:
    PatchMerging lives at the END of stage i (timm: START of stage i+1), the head is `head` (timm:
    `head.fc`), and the buffers `relative_position_index` / `attn_mask` (shifted blocks only) are stored."""
    out = {}
    for k, v in sd.items():
        parts = k.split(".")
        if parts[0] == "layers" and parts[2] == "downsample":
            parts[1] = str(int(parts[1]) - 1)
        elif parts[0] == "head" and parts[1] == "fc":
            parts = ["head"] + parts[2:]
        out[".".join(parts)] = v
    buffers = dict(model.named_buffers())
    # Official state-dict order: a module's own tensors before its children's, children in definition
    # order. So a block starts with its `attn_mask` buffer, the attention holds table then index, and
    # PatchMerging defines `reduction` before `norm`.
    official = {}
    for k, v in out.items():
        if k.endswith("norm1.weight"):
            blk = model.get_submodule(k[: -len(".norm1.weight")])
            if blk.attn_mask is not None:
                official[k.replace("norm1.weight", "attn_mask")] = blk.attn_mask.clone()
        if k.endswith("downsample.norm.weight"):
            red = k.replace("norm.weight", "reduction.weight")
            official[red] = out[red]
        if k.endswith("downsample.reduction.weight") and k in official:
            continue
        official[k] = v
        if k.endswith("attn.relative_position_bias_table"):
            official[k.replace("relative_position_bias_table", "relative_position_index")] = \
                buffers[k.replace("relative_position_bias_table", "relative_position_index")].clone()
    return official


def save_case(name, model, x, official_sd=None, safetensors_sd=None, extra_meta=None, out_dir=HERE, formats=("pth", "safetensors"),
              f64_reference=False):
    HERE = out_dir
    model.eval()
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    if "pth" in formats:
        torch.save({"model": official_sd} if official_sd is not None else sd, os.path.join(HERE, f"{name}.pth"))
    if "safetensors" in formats:
        st_sd = safetensors_sd if safetensors_sd is not None else sd
        st.save_file({k: v.contiguous() for k, v in st_sd.items()}, os.path.join(HERE, f"{name}.safetensors"))
    x = x.clone().requires_grad_(True)
    logits = model(x)
    w = torch.randn(logits.shape)
    (logits * w).sum().backward()
    arrays = {"input": x.detach(), "logits": logits.detach(), "loss_weight": w, "input_grad": x.grad}
    if f64_reference:
        # Deep ReLU/max-pool nets are ill-conditioned at kinks: PyTorch's own float32 input gradient of
        # full-size resnet50 differs from its float64 one by 6e-3 (max-rel), so also store the float64 truth.
        m64 = copy.deepcopy(model).double()
        x64 = x.detach().double().requires_grad_(True)
        y64 = m64(x64)
        (y64 * w.double()).sum().backward()
        arrays["logits_f64"], arrays["input_grad_f64"] = y64.detach().float(), x64.grad.float()
    st.save_file(arrays, os.path.join(HERE, f"{name}_io.safetensors"))
    return {"params": sum(p.numel() for p in model.parameters()), "input": list(x.shape),
            "logits": list(logits.shape), **(extra_meta or {})}


def main():
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__, "timm": timm.__version__,
            "cases": {}, "full_size_parameter_counts": {}}

    # Tiny Swin: 64x64 image, patch 4 -> 16x16 tokens, window 4: stages 0 and 1 shift (2), stage 2 (4x4)
    # has resolution == window, so it neither shifts nor pads; two merges.
    swin_cfg = dict(img_size=64, patch_size=4, embed_dim=12, depths=(2, 2, 2), num_heads=(2, 4, 8),
                    window_size=4, num_classes=7)
    swin = SwinTransformer(**swin_cfg)
    randomise_(swin)
    swin.eval()
    timm_sd = {k: v.detach().clone() for k, v in swin.state_dict().items()}
    official = timm_swin_to_official(timm_sd, swin)
    meta["cases"]["swin_tiny"] = save_case(
        "swin_tiny", swin, torch.randn(2, 3, 64, 64), official_sd=official, safetensors_sd=timm_sd,
        extra_meta={"config": {k: list(v) if isinstance(v, tuple) else v for k, v in swin_cfg.items()},
                    "pth_layout": "official microsoft/Swin-Transformer {'model': state_dict} with buffers",
                    "safetensors_layout": "timm 1.x (layers.i.downsample at stage start, head.fc)"})

    # ResNet-18 structure (BasicBlock, [2,2,2,2]) with widths (4,8,16,32); odd input size 35.
    r18 = TinyResNet(BasicBlock, [2, 2, 2, 2], (4, 8, 16, 32), num_classes=10)
    randomise_(r18)
    r18.eval()
    meta["cases"]["resnet18_tiny"] = save_case(
        "resnet18_tiny", r18, torch.randn(2, 3, 35, 35),
        extra_meta={"config": {"block": "basic", "layers": [2, 2, 2, 2], "widths": [4, 8, 16, 32], "num_classes": 10}})

    # ResNeXt-style bottleneck net: layers [1,1,1,1], planes (4,8,16,32), groups 4, width_per_group 32
    # -> inner widths 8,16,32,64 (2 channels per group), outputs 16..128.
    rx = TinyResNet(Bottleneck, [1, 1, 1, 1], (4, 8, 16, 32), num_classes=10, groups=4, width_per_group=32)
    randomise_(rx)
    rx.eval()
    meta["cases"]["resnext_tiny"] = save_case(
        "resnext_tiny", rx, torch.randn(2, 3, 32, 32),
        extra_meta={"config": {"block": "bottleneck", "layers": [1, 1, 1, 1], "widths": [4, 8, 16, 32],
                               "groups": 4, "width_per_group": 32, "num_classes": 10}})

    # Full-size reference counts (parameters only, buffers excluded), instantiated without weights.
    tv = torchvision.models
    counts = meta["full_size_parameter_counts"]
    counts["resnet18-in1k"] = sum(p.numel() for p in tv.resnet18().parameters())
    counts["resnet50-in1k"] = sum(p.numel() for p in tv.resnet50().parameters())
    counts["resnext101-32x8d-ig"] = sum(p.numel() for p in tv.resnext101_32x8d().parameters())
    swin_b = SwinTransformer(img_size=224, patch_size=4, embed_dim=128, depths=(2, 2, 18, 2),
                             num_heads=(4, 8, 16, 32), window_size=7, num_classes=21841)
    counts["swin-b-in22k"] = sum(p.numel() for p in swin_b.parameters())
    # Official-layout key count of swin-b-in22k incl. the stored buffers (what the .pth holds).
    off = timm_swin_to_official(swin_b.state_dict(), swin_b)
    counts["swin-b-in22k official tensors"] = len(off)
    print(json.dumps(meta, indent=1))
    with open(os.path.join(HERE, "versions.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def full_size(out_dir):
    """Full-size architectures with random weights (not committed): checks the real configs end to end."""
    os.makedirs(out_dir, exist_ok=True)
    tv = torchvision.models
    for name, model in [("resnet50", tv.resnet50()), ("resnext101_32x8d", tv.resnext101_32x8d())]:
        randomise_(model)
        save_case(name, model, torch.randn(1, 3, 224, 224), out_dir=out_dir, formats=("safetensors",), f64_reference=True)
    swin = SwinTransformer(img_size=224, patch_size=4, embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32),
                           window_size=7, num_classes=21841)
    randomise_(swin)
    swin.eval()
    official = timm_swin_to_official({k: v.detach().clone() for k, v in swin.state_dict().items()}, swin)
    save_case("swin_base_22k", swin, torch.randn(1, 3, 224, 224), official_sd=official, out_dir=out_dir, formats=("pth",), f64_reference=True)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--full-size":
        full_size(sys.argv[2])
    else:
        main()
