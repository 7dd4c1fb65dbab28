"""What the official-code timing modules share: the checkout an environment variable names, the commit it is at, and
importing from it without leaking its top-level module names (`models`, `utils`, ...) into the next one.

Dev-time only. Nothing here comes from an official repository.
"""
import contextlib
import os
import subprocess
import sys
import types
import warnings


def _rev_parse(*args):
    try:
        out = subprocess.run(["git", *args, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if len(out) == 40 else None


def source(var, repo, pinned):
    """(checkout path, {"repo", "commit"}) for the checkout named by `<var>_SRC`. The commit is `<var>_COMMIT`, else
    `git rev-parse HEAD` of the checkout, else of `<var>_GIT` (default: the local mirror of `repo`), else `pinned`,
    the commit the module was written against (a warning when the checkout is at another one)."""
    src = os.environ.get(var + "_SRC")
    if not src:
        raise RuntimeError(f"{var}_SRC must name a checkout of {repo} (written against {pinned})")
    mirror = os.environ.get(var + "_GIT", f"/work/.mirror/{repo.replace('/', '+')}/repo")
    commit = os.environ.get(var + "_COMMIT") or _rev_parse("-C", src) or _rev_parse("--git-dir", mirror) or pinned
    if commit != pinned:
        warnings.warn(f"{repo} checkout is at {commit}, the timing module was written against {pinned}")
    return src, {"repo": repo, "commit": commit}


@contextlib.contextmanager
def official_imports(src, names, stubs=None):
    """Imports from `src` with the top-level `names` fresh (and `stubs` installed), then takes them off sys.modules
    again, so another official checkout with the same module names can be imported later in the same process."""
    def ours(k):
        return any(k == n or k.startswith(n + ".") for n in names)
    saved = {k: sys.modules.pop(k) for k in [k for k in sys.modules if ours(k)]}
    sys.modules.update(stubs or {})
    sys.path.insert(0, src)
    try:
        yield
    finally:
        sys.path.remove(src)
        for k in [k for k in sys.modules if ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved)


def stub(name, **attrs):
    """A placeholder module for an import the model does not use."""
    m = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(m, k, v)
    return m


def drop_attn_mask(model):
    """Official code written for older timm replaces Attention.forward with a function of x alone; timm ≥ 1.0's Block
    calls `attn(x, attn_mask=None, is_causal=False)`. Wraps every instance-level Attention.forward to drop both (a plain
    ViT passes no mask and no causal flag; anything else is refused)."""
    for m in model.modules():
        f = m.__dict__.get("forward")
        if f is not None and type(m).__name__ == "Attention":
            def call(x, *args, _f=f, **kwargs):
                assert not args and kwargs.get("attn_mask") is None and not kwargs.get("is_causal", False), "a mask or causal flag was passed"
                return _f(x)
            m.forward = call
