"""Golden first training steps of ILM-VP's CNN baselines, run from the official scripts themselves (dev-time only).

Usage: ILMVP_SRC=/work/src/ILM-VP /work/venv-torch/bin/python make_ilm_lp_ff_golden.py
  (ILMVP_SRC = a checkout of OPTML-Group/ILM-VP: `git --git-dir=/work/.mirror/OPTML-Group+ILM-VP/repo archive HEAD | tar -x`)

Each case runs experiments/cnn/linear_probing.py or experiments/cnn/full_finetune.py as __main__ (runpy, CPU: autocast and
GradScaler disable themselves without CUDA, so fp32) up to its first optimiser step, so the model construction (which
layer is replaced and how it is initialised, what is frozen, train/eval mode) is the official code's. Replaced around
the scripts, not in them:
- the network constructor (torchvision.models.resnet18 for --network resnet18, torch.hub.load for --network instagram)
  returns a tiny torchvision-structured ResNet (Tests/Fixtures/backbones/make_cnn_fixtures.py TinyResNet, randomise_)
  with K source classes, loaded from the same random weights every time;
- `data.prepare_additive_data` returns a training loader of one fixed batch (already normalised: the transforms are the
  recipe's pipeline, tested elsewhere) and C class names; the `data` package itself needs lmdb/sklearn;
- TensorBoard's SummaryWriter (logging only) and HOME (checkpoints go to a temp dir).
Recorded by wrapping: F.cross_entropy (its input logits and the loss) and GradScaler.step, which saves every parameter
with requires_grad, its gradient, the network's state dict (the new fc included) and the BatchNorm running statistics
after the training forward, then stops the script before the update.
Writes <case>_weights.safetensors (the network as the step saw it, BatchNorm statistics before the forward),
<case>_io.safetensors (images, labels, logits, grad/<name>, after/<running stat>) and golden.json (losses, trainable
counts, configs, commit).
"""
import importlib.util, json, os, runpy, subprocess, sys, tempfile, types

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torchvision.models.resnet import BasicBlock, Bottleneck

SRC = os.environ["ILMVP_SRC"]
HERE = os.path.dirname(os.path.abspath(__file__))
MIRROR = "/work/.mirror/OPTML-Group+ILM-VP/repo"
commit = subprocess.run(["git", "--git-dir", MIRROR, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
sys.path.insert(0, SRC)
spec = importlib.util.spec_from_file_location("cnnfx", os.path.join(HERE, "..", "..", "backbones", "make_cnn_fixtures.py"))
cnnfx = importlib.util.module_from_spec(spec); spec.loader.exec_module(cnnfx)

tb = types.ModuleType("torch.utils.tensorboard")


class _Writer:
    def __init__(self, *a, **k): pass
    def add_scalar(self, *a, **k): pass


tb.SummaryWriter = _Writer
sys.modules["torch.utils.tensorboard"] = tb
os.environ["HOME"] = tempfile.mkdtemp()

NC, K, B, S = 5, 16, 6, 32   # target classes, source classes (the kept fc of full fine-tuning), batch, image side
CASES = {
    # name: (script, --network, block, layers, widths, groups, width_per_group)
    "lp_basic": ("linear_probing.py", "resnet18", "basic", [1, 1, 1, 1], [4, 8, 8, 8], 1, 64),
    "ff_basic": ("full_finetune.py", "resnet18", "basic", [1, 1, 1, 1], [4, 8, 8, 8], 1, 64),
    "ff_bottleneck": ("full_finetune.py", "instagram", "bottleneck", [1, 1, 1, 1], [8, 8, 8, 8], 2, 16),
}


class Done(Exception):
    pass


golden = {"commit": commit, "torch": torch.__version__, "num_classes": NC, "source_classes": K, "cases": {}}
for case_index, (name, (script, network, block, layers, widths, groups, wpg)) in enumerate(CASES.items()):
    g = torch.Generator().manual_seed(100 + case_index)
    torch.manual_seed(11)
    blk = BasicBlock if block == "basic" else Bottleneck
    ref = cnnfx.TinyResNet(blk, layers, widths, num_classes=K, groups=groups, width_per_group=wpg)
    cnnfx.randomise_(ref)
    init_sd = {k: v.clone() for k, v in ref.state_dict().items()}

    def tiny(*a, **k):
        n = cnnfx.TinyResNet(blk, layers, widths, num_classes=K, groups=groups, width_per_group=wpg)
        n.load_state_dict(init_sd)
        return n

    import torchvision.models as tvm
    x = torch.randn(B, 3, S, S, generator=g)
    y = torch.randint(0, NC, (B,), generator=g)
    data_stub = types.ModuleType("data")
    data_stub.IMAGENETNORMALIZE = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    data_stub.prepare_additive_data = lambda dataset, data_path, preprocess: (
        {"train": [(x, y)], "test": [(x, y)]}, [str(i) for i in range(NC)])
    sys.modules["data"] = data_stub
    rec = {}
    orig_ce = F.cross_entropy

    def recording_ce(logits, target, *a, **k):
        loss = orig_ce(logits, target, *a, **k)
        rec["logits"], rec["loss"] = logits.detach().clone(), loss.item()
        return loss

    F.cross_entropy = recording_ce

    class RecordingScaler(torch.cuda.amp.GradScaler):
        def step(self, optimizer, *a, **k):
            params = [p for grp in optimizer.param_groups for p in grp["params"]]
            rec["optimizer"] = {"lr": optimizer.param_groups[0]["lr"], "weight_decay": optimizer.param_groups[0]["weight_decay"],
                                "betas": list(optimizer.param_groups[0]["betas"]), "eps": optimizer.param_groups[0]["eps"],
                                "kind": type(optimizer).__name__, "tensors": len(params)}
            rec["params"] = params
            raise Done()

    torch.cuda.amp.GradScaler = RecordingScaler
    # Capture the network the script builds (the constructor's result, mutated in place by the script).
    built = []
    tvm.resnet18 = lambda weights=None: built.append(tiny()) or built[-1]
    torch.hub.load = lambda *a, **k: built.append(tiny()) or built[-1]
    sys.argv = [script, "--network", network, "--dataset", "cifar10", "--epoch", "4"]
    try:
        runpy.run_path(os.path.join(SRC, "experiments", "cnn", script), run_name="__main__")
        raise RuntimeError("the script finished without an optimiser step")
    except Done:
        pass
    F.cross_entropy = orig_ce
    net = built[0]
    trainable = {n: p for n, p in net.named_parameters() if p.requires_grad}
    assert {id(p) for p in trainable.values()} == {id(p) for p in rec["params"]}, "optimiser params = requires_grad params"
    sd = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    after = {}
    for k in list(sd):
        if k.endswith("running_mean") or k.endswith("running_var"):
            after["after/" + k] = sd[k]
            sd[k] = init_sd[k].clone().contiguous()   # the statistics the forward started from
    save_file(sd, os.path.join(HERE, f"{name}_weights.safetensors"))
    io = {"images": x.contiguous(), "labels": y.float(), "logits": rec["logits"].float().contiguous()}
    io.update({"grad/" + n: p.grad.detach().clone().contiguous() for n, p in trainable.items()})
    if name.startswith("ff"):
        io.update(after)
    save_file(io, os.path.join(HERE, f"{name}_io.safetensors"))
    golden["cases"][name] = dict(script=f"experiments/cnn/{script}", network=network, loss=rec["loss"],
                                 trainable=sum(p.numel() for p in trainable.values()), trainable_names=sorted(trainable),
                                 training_mode=net.training, optimizer=rec["optimizer"],
                                 resnet=dict(block=block, layers=layers, widths=widths, groups=groups, widthPerGroup=wpg, numClasses=K))
    print(name, "loss", rec["loss"], "trainable", golden["cases"][name]["trainable"], "train mode", net.training, rec["optimizer"])
json.dump(golden, open(os.path.join(HERE, "golden.json"), "w"), indent=1)
