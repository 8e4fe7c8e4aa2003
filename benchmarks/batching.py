"""Batching: per-example gradients of logistic regression (batch 256, dimension 512).

functorch_lite runs ``vmap(grad(loss))`` eagerly; PyTorch runs
``torch.func.vmap(torch.func.grad(loss))``; JAX runs ``vmap(grad(loss))`` without jit;
the NumPy column is the hand-derived vectorized formula ``(sigmoid(X w) - y) X``.
"""
import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as fnp
from functorch_lite import nn
from benchmarks.harness import Case, optional_import, prepare, register

torch = optional_import("torch")
jax = optional_import("jax")
jnp = optional_import("jax.numpy") if jax is not None else None

GROUP = "batching"
BATCH, DIM = 256, 512


def _problem():
    rng = np.random.default_rng(0)
    w = rng.standard_normal(DIM).astype(np.float32) * np.float32(0.05)
    xs = rng.standard_normal((BATCH, DIM)).astype(np.float32)
    ys = (rng.random(BATCH) < 0.5).astype(np.float32)
    return w, xs, ys


def loss(w, x, y):
    """Logistic loss of one example: softplus(z) - y z with z = x . w."""
    z = fnp.dot(x, w)
    return nn.softplus(z) - y * z


def numpy_per_example(w, xs, ys):
    z = xs @ w
    return (1 / (1 + np.exp(-z)) - ys)[:, None] * xs


def _register():
    w, xs, ys = _problem()
    impls = {"numpy": lambda: lambda: numpy_per_example(w, xs, ys)}

    def ours():
        per_example = fl.vmap(fl.grad(loss), in_axes=(None, 0, 0))
        args = fnp.asarray(w), fnp.asarray(xs), fnp.asarray(ys)
        return lambda: per_example(*args)
    impls["functorch_lite"] = ours
    if torch is not None:
        def torch_loss(w, x, y):
            z = torch.dot(x, w)
            return torch.nn.functional.softplus(z) - y * z
        per_ex_t = torch.func.vmap(torch.func.grad(torch_loss), in_dims=(None, 0, 0))
        targs = [torch.from_numpy(a.copy()) for a in (w, xs, ys)]
        impls["torch"] = lambda: lambda: per_ex_t(*targs)
    if jax is not None:
        def jax_loss(w, x, y):
            z = jnp.dot(x, w)
            return jax.nn.softplus(z) - y * z
        per_ex_j = jax.vmap(jax.grad(jax_loss), in_axes=(None, 0, 0))
        jargs = [jnp.asarray(a) for a in (w, xs, ys)]
        impls["jax"] = lambda: lambda: per_ex_j(*jargs).block_until_ready()
    register(Case("per-example grads, logistic regression 256x512", prepare(impls), GROUP))


_register()
