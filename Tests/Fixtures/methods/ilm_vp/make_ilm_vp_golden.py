"""Golden outputs of the official ILM-VP code at a tiny config (dev-time only; not run by the tests).

Usage: ILMVP_SRC=/tmp/src-ilmvp /work/venv-torch/bin/python make_ilm_vp_golden.py
  (ILMVP_SRC = a checkout of OPTML-Group/ILM-VP: `git --git-dir=/work/.mirror/OPTML-Group+ILM-VP/repo archive HEAD | tar -x`)

Official pieces used: models.ExpansiveVisualPrompt, algorithms.generate_label_mapping_by_frequency (which calls
get_dist_matrix and predictive_distribution_based_multi_label_mapping), algorithms.label_mapping_base,
data.const.IMAGENETNORMALIZE. The frozen network is a tiny torchvision-structured ResNet (our fixture helper
Tests/Fixtures/backbones/make_cnn_fixtures.py: TinyResNet, randomise_) with 40 "source" classes.
Writes mapping.json (a fixed batch of source logits with count ties → official mapping), weights.safetensors (network
+ program), io.safetensors (train batches, probe batch, logits, grad of program), golden.json.
"""
import importlib.util, json, os, subprocess, sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torchvision import transforms
from torchvision.models.resnet import BasicBlock

SRC = os.environ["ILMVP_SRC"]
HERE = os.path.dirname(os.path.abspath(__file__))
MIRROR = "/work/.mirror/OPTML-Group+ILM-VP/repo"
commit = subprocess.run(["git", "--git-dir", MIRROR, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
sys.path.insert(0, SRC)
from models import ExpansiveVisualPrompt  # noqa: E402
from algorithms import generate_label_mapping_by_frequency, label_mapping_base  # noqa: E402
_c = importlib.util.spec_from_file_location("ilm_const", os.path.join(SRC, "data", "const.py"))
const = importlib.util.module_from_spec(_c); _c.loader.exec_module(const)  # data/__init__ needs lmdb/six; const.py alone
IMAGENETNORMALIZE = const.IMAGENETNORMALIZE

spec = importlib.util.spec_from_file_location("cnnfx", os.path.join(HERE, "..", "..", "backbones", "make_cnn_fixtures.py"))
cnnfx = importlib.util.module_from_spec(spec); spec.loader.exec_module(cnnfx)


class Identity(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.p = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x


# ---------------------------------------------------------------- 1. mapping of fixed source logits
g = torch.Generator().manual_seed(0)
S, C, N = 12, 5, 80
preds = torch.randint(0, 4, (N,), generator=g) * 2  # few source classes → count ties and zero rows
labels = torch.randint(0, C, (N,), generator=g)
fx = torch.randn(N, S, generator=g)
fx[torch.arange(N), preds] = 10.0
batches = [(fx[i:i + 16], labels[i:i + 16]) for i in range(0, N, 16)]
mapping = generate_label_mapping_by_frequency(Identity(), lambda x: x, batches)
json.dump({"commit": commit, "source_classes": S, "logits": fx.tolist(), "labels": labels.tolist(),
           "mapping": mapping.tolist()}, open(os.path.join(HERE, "mapping.json"), "w"))

# ---------------------------------------------------------------- 2. tiny model
torch.manual_seed(0)
SRC_CLASSES, NC, IN, OUT = 40, 4, 8, 32
net = cnnfx.TinyResNet(BasicBlock, [1, 1, 1, 1], (4, 8, 8, 8), num_classes=SRC_CLASSES)
cnnfx.randomise_(net)
net.requires_grad_(False); net.eval()
vp = ExpansiveVisualPrompt(OUT, mask=np.zeros((IN, IN)),
                           normalize=transforms.Normalize(IMAGENETNORMALIZE["mean"], IMAGENETNORMALIZE["std"]))
with torch.no_grad():
    vp.program.normal_(0, 1.0)
train_x = torch.rand(24, 3, IN, IN, generator=g)
train_y = torch.arange(24) % NC
loader = [(train_x[i:i + 8], train_y[i:i + 8]) for i in range(0, 24, 8)]
mseq = generate_label_mapping_by_frequency(vp, net, loader)
x = torch.rand(4, 3, IN, IN, generator=g)
y = torch.tensor([0, 1, 2, 3])
with torch.no_grad():
    logits = label_mapping_base(net(vp(x)), mseq)
out = label_mapping_base(net(vp(x)), mseq)
loss = F.cross_entropy(out, y, reduction="mean")
loss.backward()
weights = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}
weights["program"] = vp.program.detach().clone()
save_file(weights, os.path.join(HERE, "weights.safetensors"))
save_file({"train_x": train_x.contiguous(), "train_y": train_y.float(), "images": x.contiguous(), "labels": y.float(),
           "logits": logits.contiguous(), "grad/program": vp.program.grad.contiguous()},
          os.path.join(HERE, "io.safetensors"))
json.dump({"commit": commit, "loss": loss.item(), "mapping": mseq.tolist(), "source_classes": SRC_CLASSES, "num_classes": NC,
           "input_size": IN, "out_size": OUT, "resnet": {"block": "basic", "layers": [1, 1, 1, 1], "widths": [4, 8, 8, 8]},
           "torch": torch.__version__}, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("mapping", mapping.tolist(), "model mapping", mseq.tolist(), "loss", loss.item())
