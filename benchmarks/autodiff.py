"""Eager differentiation: the overhead of ``grad`` and an MLP training step.

* ``f 100-op scalar`` and ``grad f 100-op scalar`` time a 100-operation scalar
  function and its gradient in each library; grad overhead = the second / the first.
* ``MLP step`` is one SGD step (784-512-512-10, tanh then relu, batch 128, softmax
  cross-entropy); the NumPy column is a hand-written forward and backward pass.
  HIPS autograd appears as the ``autograd`` column when it is installed.
"""
import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as fnp
from benchmarks.harness import Case, optional_import, prepare, register

torch = optional_import("torch")
jax = optional_import("jax")
jnp = optional_import("jax.numpy") if jax is not None else None
autograd = optional_import("autograd")
anp = optional_import("autograd.numpy") if autograd is not None else None

GROUP = "autodiff"


def scalar_100(x, sin):
    """100 operations: 20 rounds of sin, two multiplies, an add and a subtract."""
    for _ in range(20):
        x = sin(x) * 0.9 + 0.1
        x = x * x - 0.5
    return x


def _scalar_cases():
    x0 = 0.3
    forward = {
        "functorch_lite": lambda: (lambda x: lambda: scalar_100(x, fnp.sin))(
            fnp.asarray(np.float32(x0))),
        "numpy": lambda: (lambda x: lambda: scalar_100(x, np.sin))(np.float32(x0)),
    }
    backward = {
        "functorch_lite": lambda: (lambda g, x: lambda: g(x))(
            fl.grad(lambda x: scalar_100(x, fnp.sin)), fnp.asarray(np.float32(x0))),
    }
    if autograd is not None:
        forward["autograd"] = lambda: lambda: scalar_100(np.float32(x0), anp.sin)
        backward["autograd"] = lambda: (lambda g: lambda: g(x0))(
            autograd.grad(lambda x: scalar_100(x, anp.sin)))
    if torch is not None:
        forward["torch"] = lambda: (lambda x: lambda: scalar_100(x, torch.sin))(
            torch.tensor(x0))
        backward["torch"] = lambda: _torch_scalar_grad(x0)
    if jax is not None:
        forward["jax"] = lambda: (lambda x: lambda: scalar_100(x, jnp.sin)
                                  .block_until_ready())(jnp.float32(x0))
        backward["jax"] = lambda: (lambda g, x: lambda: g(x).block_until_ready())(
            jax.grad(lambda x: scalar_100(x, jnp.sin)), jnp.float32(x0))
    register(Case("f 100-op scalar", prepare(forward), GROUP))
    register(Case("grad f 100-op scalar", prepare(backward), GROUP))


def _torch_scalar_grad(x0):
    def step():
        x = torch.tensor(x0, requires_grad=True)
        scalar_100(x, torch.sin).backward()
        return x.grad
    return step


# ---- MLP step ----------------------------------------------------------------------

SIZES, BATCH, LR = (784, 512, 512, 10), 128, 0.01


def _host_problem():
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        scale = np.float32(1 / np.sqrt(n_in))
        params.append((rng.standard_normal((n_in, n_out)).astype(np.float32) * scale,
                       np.zeros(n_out, np.float32)))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, SIZES[-1], BATCH)
    onehot = np.eye(SIZES[-1], dtype=np.float32)[labels]
    return params, x, onehot


def mlp_loss(params, x, onehot, m):
    """Softmax cross-entropy of a tanh/relu MLP, written against a NumPy-like module ``m``."""
    (w1, b1), (w2, b2), (w3, b3) = params
    h = m.tanh(x @ w1 + b1)
    h = m.relu(h @ w2 + b2)
    logits = h @ w3 + b3
    shifted = logits - m.max(logits, axis=1, keepdims=True)
    logp = shifted - m.log(m.sum(m.exp(shifted), axis=1, keepdims=True))
    return -m.sum(logp * onehot) / x.shape[0]


def _sgd(params, grads):
    return [(w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(params, grads)]


def numpy_step(params, x, onehot):
    """A hand-written forward and backward pass of ``mlp_loss`` and an SGD update."""
    (w1, b1), (w2, b2), (w3, b3) = params
    a1 = np.tanh(x @ w1 + b1)
    z2 = a1 @ w2 + b2
    a2 = np.maximum(z2, 0.0)
    logits = a2 @ w3 + b3
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    d3 = (e / e.sum(axis=1, keepdims=True) - onehot) / x.shape[0]
    d2 = (d3 @ w3.T) * (z2 > 0)
    d1 = (d2 @ w2.T) * (1 - a1 * a1)
    grads = [(x.T @ d1, d1.sum(0)), (a1.T @ d2, d2.sum(0)), (a2.T @ d3, d3.sum(0))]
    return _sgd(params, grads)


class _Namespace:
    """A NumPy-like module plus that library's own ``relu``."""

    def __init__(self, module, relu):
        self.module, self.relu = module, relu

    def __getattr__(self, name):
        return getattr(self.module, name)


def _mlp_cases():
    host, x, onehot = _host_problem()
    ours_ns = _Namespace(fnp, fl.nn.relu)
    impls = {"numpy": lambda: lambda: numpy_step(host, x, onehot)}

    def ours():
        params = [(fnp.asarray(w), fnp.asarray(b)) for w, b in host]
        xs, ys = fnp.asarray(x), fnp.asarray(onehot)
        grad = fl.grad(lambda p: mlp_loss(p, xs, ys, ours_ns))
        return lambda: _sgd(params, grad(params))
    impls["functorch_lite"] = ours
    if autograd is not None:
        ag_ns = _Namespace(anp, lambda v: anp.maximum(v, 0.0))
        grad_ag = autograd.grad(lambda p: mlp_loss(p, x, onehot, ag_ns))
        impls["autograd"] = lambda: lambda: _sgd(host, grad_ag(host))
    if torch is not None:
        impls["torch"] = lambda: _torch_mlp(host, x, onehot)
    if jax is not None:
        jax_ns = _Namespace(jnp, jax.nn.relu)
        grad_jax = jax.grad(lambda p: mlp_loss(p, jnp.asarray(x), jnp.asarray(onehot), jax_ns))
        impls["jax"] = lambda: (lambda p: lambda: jax.block_until_ready(
            _sgd(p, grad_jax(p))))([(jnp.asarray(w), jnp.asarray(b)) for w, b in host])
    register(Case("MLP step 784-512-512-10, batch 128", prepare(impls), GROUP))


def _torch_mlp(host, x, onehot):
    params = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
              for w, b in host]
    xs, ys = torch.tensor(x), torch.tensor(onehot)

    def step():
        loss = mlp_loss(params, xs, ys, _TorchOps)
        flat = [t for pair in params for t in pair]
        grads = torch.autograd.grad(loss, flat)
        with torch.no_grad():
            return [t - LR * g for t, g in zip(flat, grads)]
    return step


class _TorchOps:
    """The few NumPy-style functions ``mlp_loss`` needs, for torch tensors."""
    tanh, exp, log = (staticmethod(torch.tanh), staticmethod(torch.exp),
                      staticmethod(torch.log)) if torch is not None else (None,) * 3

    @staticmethod
    def relu(a):
        return torch.relu(a)

    @staticmethod
    def max(a, axis, keepdims):
        return torch.amax(a, dim=axis, keepdim=keepdims)

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        return a.sum() if axis is None else a.sum(dim=axis, keepdim=keepdims)


_scalar_cases()
_mlp_cases()
