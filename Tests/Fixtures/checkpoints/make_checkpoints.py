#!/usr/bin/env python3
"""Dev-time generator for the tiny checkpoint fixtures used by Tests/CheckpointsTests.

Users and CI never run this: its outputs are committed next to it. It needs
Python 3.11 + numpy + torch (CPU) + safetensors.

    python3 make_checkpoints.py                 # rewrite every fixture and expected.json
    python3 make_checkpoints.py --verify DIR    # check files written by our Swift writers

`--verify` is the other half of the writer tests: `swift test --filter CheckpointsTests`
(test `testWritersOutputForPython`) leaves npy/npz/safetensors files plus a
`swift_expected.json` in $TMPDIR/vpt-ckpt-swift-out; this mode loads them with numpy and
safetensors (the reference readers) and compares every value exactly.

expected.json maps file -> tensor name -> {dtype, shape, values (flattened, C order)}.
Values are exact, written as decimal strings (repr of the double, or the integer), so the Swift
tests compare with ==, not with a tolerance.
"""
import argparse
import collections
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
from safetensors.numpy import load_file as st_load_np
from safetensors.torch import save_file as st_save

HERE = os.path.dirname(os.path.abspath(__file__))
expected = {}


def vals(x):
    """Flattened exact values of a numpy array or torch tensor (C order)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().contiguous()
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        x = x.numpy()
    x = np.ascontiguousarray(x)
    # Strings, not JSON numbers: some JSON parsers (Foundation's on Linux) round doubles inexactly,
    # while repr() of a double parsed with strtod round-trips exactly.
    if x.dtype == np.bool_ or x.dtype.kind in "iu":
        return [str(int(v)) for v in x.reshape(-1)]
    return [repr(float(v)) for v in x.astype(np.float64).reshape(-1)]


def dtname(x):
    if isinstance(x, torch.Tensor):
        return {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
                torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
                torch.int8: "I8", torch.int16: "I16"}[x.dtype]
    return {"float32": "F32", "float16": "F16", "float64": "F64", "int64": "I64", "int32": "I32",
            "uint8": "U8", "bool": "BOOL"}[str(x.dtype)]


def record(fname, tensors):
    expected[fname] = {k: {"dtype": dtname(v), "shape": list(v.shape), "values": vals(v)} for k, v in tensors.items()}


def ramp(shape, scale=0.37, shift=-1.5, dtype=np.float32):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n, dtype=np.float64) * scale + shift).astype(dtype).reshape(shape)


def p(name):
    return os.path.join(HERE, name)


def make_npz():
    t = {
        "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel": ramp((8, 2, 4)),
        "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/bias": ramp((2, 4), 0.5),
        "Transformer/encoder_norm/scale": ramp((8,), 0.125, 1.0),
        "embedding/kernel": ramp((2, 2, 3, 8), 0.01),
        "cls": ramp((1, 1, 8), -0.25),
        "Transformer/posembed_input/pos_embedding": ramp((1, 5, 8), 0.0625, dtype=np.float16),
    }
    np.savez(p("vit_stored.npz"), **t)
    record("vit_stored.npz", t)
    np.savez_compressed(p("vit_deflated.npz"), **t)
    record("vit_deflated.npz", t)


def make_npy():
    arrays = {
        "f4_2x3.npy": ramp((2, 3)),
        "f8_scalar.npy": np.array(3.141592653589793, dtype=np.float64),
        "i8_vec.npy": np.array([-7, 0, 2**40 + 3, 5, 9], dtype=np.int64),
        "i4_2x2.npy": np.array([[1, -2], [2**31 - 1, -2**31]], dtype=np.int32),
        "u1_vec.npy": np.array([0, 1, 128, 255], dtype=np.uint8),
        "b1_vec.npy": np.array([True, False, True], dtype=np.bool_),
        "f2_vec.npy": ramp((6,), 0.5, dtype=np.float16),
    }
    for name, a in arrays.items():
        np.save(p(name), a)
        record(name, {"": a})
    # v2: numpy only picks version 2.0 for headers over 65535 bytes, which plain arrays never
    # need; write one by hand (the format allows any amount of space padding before '\n').
    a = ramp((3, 2), 0.75)
    d = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
    total = 12 + len(d) + 70000 + 1
    total += (-total) % 64  # data starts 64-byte aligned, as numpy writes it
    header = (d + " " * (total - 12 - len(d) - 1) + "\n").encode("latin1")
    with open(p("v2_long_header.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header + a.tobytes())
    assert np.array_equal(np.load(p("v2_long_header.npy"), max_header_size=10**6), a)
    record("v2_long_header.npy", {"": a})
    np.save(p("fortran.npy"), np.asfortranarray(ramp((2, 3))))


def make_safetensors():
    base = torch.from_numpy(ramp((2, 3)))
    t = {
        "w.f32": base,
        "w.f16": torch.from_numpy(ramp((4,), 0.25)).half(),
        "w.bf16": torch.from_numpy(ramp((2, 2), 0.5)).bfloat16(),
        "ids.i64": torch.tensor([3, -1, 2**40 + 3], dtype=torch.int64),
        "empty": torch.zeros(0, 3),
    }
    st_save(t, p("mixed.safetensors"), metadata={"format": "pt", "source": "make_checkpoints.py"})
    record("mixed.safetensors", t)


def example_state_dict():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        m[0].weight.copy_(torch.from_numpy(ramp((2, 3))))
        m[0].bias.copy_(torch.tensor([0.5, -0.25]))
        m[1].running_mean.copy_(torch.tensor([0.125, 2.0]))
    sd = m.state_dict()  # OrderedDict with _metadata, incl. int64 scalar num_batches_tracked
    base = torch.from_numpy(ramp((10,), 0.5))
    sd["shared.base"] = base
    sd["shared.offset"] = base[2:5]  # shares storage with shared.base, storage_offset 2
    sd["transposed"] = torch.from_numpy(ramp((3, 4), 0.25)).t()  # non-contiguous strides (1, 4)
    sd["strided"] = base[1::3]  # offset 1, stride 3
    sd["half"] = torch.from_numpy(ramp((2, 2), 0.125)).half()
    sd["bf16"] = torch.from_numpy(ramp((3,), 0.5)).bfloat16()
    sd["f64"] = torch.tensor([1e-300, -2.5, 1.0 / 3.0], dtype=torch.float64)
    sd["i32"] = torch.tensor([-5, 7], dtype=torch.int32)
    sd["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False], dtype=torch.bool)
    sd["scalar"] = torch.tensor(2.5)
    sd["param"] = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    return sd


def make_torch():
    sd = example_state_dict()
    torch.save(sd, p("state_dict.pth"))
    record("state_dict.pth", sd)
    torch.save(sd, p("legacy.pth"), _use_new_zipfile_serialization=False)
    record("legacy.pth", sd)

    # MoCo v3 style: module.-prefixed state dict plus epoch, args Namespace and optimizer state.
    w = torch.nn.Parameter(torch.from_numpy(ramp((2, 2), 0.5)))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    w.sum().backward()
    opt.step()
    moco = {
        "epoch": 3,
        "arch": "vit_small",
        "state_dict": collections.OrderedDict([
            ("module.base_encoder.blocks.0.w", torch.from_numpy(ramp((2, 2), 0.5))),
            ("module.base_encoder.cls_token", torch.from_numpy(ramp((1, 1, 3), 0.25))),
            ("module.predictor.0.bias", torch.tensor([0.75, -0.5])),
        ]),
        "optimizer": opt.state_dict(),
        "args": argparse.Namespace(lr=0.1, arch="vit_small", moco_m=0.99),
    }
    torch.save(moco, p("moco.pth.tar"))
    record("moco.pth.tar", {"state_dict." + k: v for k, v in moco["state_dict"].items()}
           | {"optimizer.state.0.momentum_buffer": opt.state_dict()["state"][0]["momentum_buffer"]})

    # numpy inside a pickle (CIFAR python batches, numpy scalars in checkpoints).
    cifar_like = {b"batch_label": b"testing batch 1 of 1", b"labels": [3, 8, 0],
                  b"data": (np.arange(3 * 12) % 256).astype(np.uint8).reshape(3, 12),
                  b"mean": np.float64(0.25)}
    with open(p("numpy_in_pickle.pkl"), "wb") as f:
        pickle.dump(cifar_like, f, protocol=2)
    record("numpy_in_pickle.pkl", {"data": cifar_like[b"data"], "mean": np.array(0.25)})


class Evil:
    """Pickles as a call of os.system; loading it with pickle.load would run the command."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/vpt_bench_pwned",))


def make_malicious():
    with open(p("malicious.pkl"), "wb") as f:
        pickle.dump(Evil(), f, protocol=2)
    torch.save(collections.OrderedDict([("w", torch.tensor([1.0])), ("evil", Evil())]), p("malicious.pth"))


def make_truncated():
    for src, dst in [("state_dict.pth", "truncated.pth"), ("mixed.safetensors", "truncated.safetensors"),
                     ("f4_2x3.npy", "truncated.npy")]:
        data = open(p(src), "rb").read()
        open(p(dst), "wb").write(data[: len(data) * 2 // 3])


def verify(directory):
    exp = json.load(open(os.path.join(directory, "swift_expected.json")))
    bad = 0
    for fname, tensors in exp.items():
        path = os.path.join(directory, fname)
        if fname.endswith(".safetensors"):
            import safetensors.torch as stt
            loaded = {k: v for k, v in stt.load_file(path).items()}
        elif fname.endswith(".npz"):
            loaded = dict(np.load(path))
        else:
            loaded = {"": np.load(path)}
        for name, e in tensors.items():
            x = loaded.get(name)
            ok = x is not None and list(x.shape) == e["shape"] and dtname(x) == e["dtype"] and vals(x) == e["values"]
            print(("ok   " if ok else "FAIL ") + fname + " " + name)
            bad += 0 if ok else 1
        if set(loaded) != set(tensors):
            print("FAIL " + fname + " names differ: %s vs %s" % (sorted(loaded), sorted(tensors)))
            bad += 1
    print("verified %d files, %d failures" % (len(exp), bad))
    return bad == 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify", metavar="DIR")
    a = ap.parse_args()
    if a.verify:
        sys.exit(0 if verify(a.verify) else 1)
    make_npz()
    make_npy()
    make_safetensors()
    make_torch()
    make_malicious()
    make_truncated()
    with open(p("expected.json"), "w") as f:
        json.dump(expected, f, indent=0, sort_keys=True)
    assert not os.path.exists("/tmp/vpt_bench_pwned")
