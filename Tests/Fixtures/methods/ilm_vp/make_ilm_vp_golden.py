"""Golden outputs of the official ILM-VP code at a tiny config (dev-time only; not run by the tests).

Usage: ILMVP_SRC=/tmp/src-ilmvp /work/venv-torch/bin/python make_ilm_vp_golden.py
  (ILMVP_SRC = a checkout of OPTML-Group/ILM-VP: `git --git-dir=/work/.mirror/OPTML-Group+ILM-VP/repo archive HEAD | tar -x`)

Official pieces used: models.ExpansiveVisualPrompt, algorithms.generate_label_mapping_by_frequency (which calls
get_dist_matrix and predictive_distribution_based_multi_label_mapping), algorithms.label_mapping_base,
data.const.IMAGENETNORMALIZE. The frozen network is a tiny torchvision-structured ResNet (our fixture helper
Tests/Fixtures/backbones/make_cnn_fixtures.py: TinyResNet, randomise_) with 40 "source" classes.
Writes mapping.json (a fixed batch of source logits with count ties → official mapping), weights.safetensors (network
+ program), io.safetensors (train batches, probe batch, logits, grad of program), golden.json.
Section 3 runs the official training script experiments/cnn/ilm_vp.py itself (runpy, `--network resnet18 --epoch 5`) for
its first 5 training steps: train_batches.safetensors + golden.json "first_losses" (losses, per-epoch mappings, lrs).
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

# ---------------------------------------------------------------- 3. first 5 training losses of the official script
# experiments/cnn/ilm_vp.py run as __main__ with --epoch 5 --lr 0.1 on CPU (autocast/GradScaler disable themselves
# without CUDA: fp32). Replaced around it, not in it: prepare_expansive_data (the `data` package; returns a training
# loader that yields one fixed batch per epoch, e → batch e, for both the epoch's mapping pass and its training pass, and
# a small test loader), torchvision.models.resnet18 (→ the tiny network above, loaded from weights.safetensors),
# TensorBoard's SummaryWriter and plot_mapping (logging only), HOME (checkpoints go to a temp dir). Recorded by wrapping:
# F.cross_entropy (loss values), algorithms.generate_label_mapping_by_frequency (each epoch's mapping), and the
# disabled GradScaler's step (the optimiser's lr at each step). The program starts at the official zero init.
import runpy, tempfile, types as _types
import torchvision.models as tvm
import algorithms as _alg
from PIL import Image as _Image

E3, B3, IN3, LR3 = 5, 8, 16, 0.1
g3 = torch.Generator().manual_seed(3)
tr_x = torch.rand(E3, B3, 3, IN3, IN3, generator=g3)
tr_y = torch.stack([torch.randperm(B3, generator=g3) % NC for _ in range(E3)])


class EpochLoader:
    def __init__(self):
        self.passes = 0

    def __len__(self):
        return 1

    def __iter__(self):
        e = self.passes // 2  # pass 2e: the epoch's mapping, pass 2e+1: its training
        self.passes += 1
        return iter([(tr_x[e], tr_y[e])])


data_stub = _types.ModuleType("data")
data_stub.IMAGENETNORMALIZE = IMAGENETNORMALIZE
data_stub.IMAGENETCLASSES = const.IMAGENETCLASSES
data_stub.prepare_expansive_data = lambda dataset, data_path: (
    {"train": EpochLoader(), "test": [(tr_x[0][:4], tr_y[0][:4])]},
    {"class_names": [str(i) for i in range(NC)], "mask": np.zeros((IN3, IN3))})
sys.modules["data"] = data_stub
tb = _types.ModuleType("torch.utils.tensorboard")


class _Writer:
    def __init__(self, *a, **k): pass
    def add_scalar(self, *a, **k): pass
    def add_image(self, *a, **k): pass


tb.SummaryWriter = _Writer
sys.modules["torch.utils.tensorboard"] = tb
mv = _types.ModuleType("tools.mapping_visualization")
mv.plot_mapping = lambda m, s, buf, row_names, col_names: _Image.new("RGB", (2, 2)).save(buf, format="PNG")
sys.modules["tools.mapping_visualization"] = mv
sd3 = dict(weights)
sd3.pop("program")


def tiny_resnet18(weights=None):
    n = cnnfx.TinyResNet(BasicBlock, [1, 1, 1, 1], (4, 8, 8, 8), num_classes=SRC_CLASSES)
    n.load_state_dict(sd3)
    return n


tvm.resnet18 = tiny_resnet18
rec3 = {"losses": [], "mappings": [], "lrs": []}
orig_map = _alg.generate_label_mapping_by_frequency


def recording_map(*a, **k):
    m_ = orig_map(*a, **k)
    rec3["mappings"].append(m_.tolist())
    return m_


_alg.generate_label_mapping_by_frequency = recording_map
orig_ce = F.cross_entropy


def recording_ce(*a, **k):
    l_ = orig_ce(*a, **k)
    rec3["losses"].append(l_.item())
    return l_


F.cross_entropy = recording_ce


class Done(Exception):
    pass


class RecordingScaler(torch.cuda.amp.GradScaler):
    def step(self, optimizer, *a, **k):
        rec3["lrs"].append(optimizer.param_groups[0]["lr"])
        return super().step(optimizer, *a, **k)


torch.cuda.amp.GradScaler = RecordingScaler
os.environ["HOME"] = tempfile.mkdtemp()
sys.argv = ["ilm_vp.py", "--network", "resnet18", "--dataset", "cifar10", "--epoch", str(E3), "--lr", str(LR3)]
runpy.run_path(os.path.join(SRC, "experiments", "cnn", "ilm_vp.py"), run_name="__main__")
F.cross_entropy = orig_ce
save_file({"x": tr_x.contiguous(), "y": tr_y.float().contiguous()}, os.path.join(HERE, "train_batches.safetensors"))
gj = json.load(open(os.path.join(HERE, "golden.json")))
gj["first_losses"] = dict(lr=LR3, epochs=E3, iters_per_epoch=1, batch=B3, input_size=IN3, out_size=224,
                          losses=rec3["losses"], mappings=rec3["mappings"], lrs=rec3["lrs"])
json.dump(gj, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
print("first losses", rec3["losses"], "mappings", rec3["mappings"], "lrs", rec3["lrs"])
