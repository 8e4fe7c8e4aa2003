"""Control flow under ``jit``: issue #6's tanh RNN with ``lax.scan``.

``h = tanh(h @ W + x_t @ U + b)`` over a sequence of ``STEPS`` inputs (hidden
``HIDDEN``, batch ``BATCH``, float32); the loss is the mean of every ``h``.

* run time, steady state (tracing and compiling happen in setup, untimed): the
  forward pass under ``jit`` and forward+backward under ``jit(grad(loss))`` (gradients
  of ``W``, ``U`` and ``b``), against NumPy running the same loop (and a hand-written
  backward pass through time) and, when installed, ``jax.jit`` with ``jax.lax.scan``;
* compile time: one whole compilation of a fresh function (a new constant inside the
  loop body, so no in-memory cache hits; the disk cache off), tracing included as in
  ``jax.jit(f).lower(x).compile()``.  A loop step compiles its sub-programs with the
  step (backends/loop_step.py), so the executable is complete when ``compile``
  returns;
* compile-time independence of the trip count: the same RNN forward compiled for 10
  and for 1,000 steps (compare the two rows; ``python -m benchmarks.control_flow``
  also prints their ratio).

``python -m benchmarks control_flow`` runs just these cases.
"""
import functools
import itertools

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as fnp
from benchmarks.harness import Case, optional_import, prepare, register
from benchmarks.jit_cases import compile_without_caches
from functorch_lite import lax

jax = optional_import("jax")
jnp = optional_import("jax.numpy") if jax is not None else None

GROUP = "control_flow"
HIDDEN, STEPS, BATCH = 256, 200, 32
SHORT, LONG = 10, 1000          # trip counts of the compile-independence pair


def rnn_loss(params, xs, h0, lib, scan, offset=0.0):
    """Mean of the hidden states of a tanh RNN; ``offset`` (inside the body) makes a
    new program for the compile-time cases."""
    w, u, b = params
    bias = b if offset == 0.0 else b + offset

    def step(h, x):
        h = lib.tanh(h @ w + x @ u + bias)
        return h, h
    _, hs = scan(step, h0, xs)
    return lib.mean(hs)


def problem(steps=STEPS, seed=0):
    """``(params, xs, h0)`` as float32 NumPy arrays."""
    rng = np.random.default_rng(seed)
    scale = np.float32(1 / np.sqrt(HIDDEN))
    w = rng.standard_normal((HIDDEN, HIDDEN)).astype(np.float32) * scale
    u = rng.standard_normal((HIDDEN, HIDDEN)).astype(np.float32) * scale
    b = rng.standard_normal(HIDDEN).astype(np.float32) * np.float32(0.1)
    xs = rng.standard_normal((steps, BATCH, HIDDEN)).astype(np.float32)
    return (w, u, b), xs, np.zeros((BATCH, HIDDEN), np.float32)


# ---- NumPy: the same loop, and backpropagation through time by hand ----------------------

def numpy_forward(params, xs, h0):
    w, u, b = params
    h, total = h0, 0.0
    for x in xs:
        h = np.tanh(h @ w + x @ u + b)
        total += h.sum()
    return total / (xs.shape[0] * h0.size)


def numpy_grad(params, xs, h0):
    """Gradients of ``rnn_loss`` with respect to ``(W, U, b)``."""
    w, u, b = params
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ w + x @ u + b))
    seed = np.float32(1 / (xs.shape[0] * h0.size))
    dw, du, db = np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in range(xs.shape[0] - 1, -1, -1):
        dz = (dh + seed) * (1 - hs[t + 1] ** 2)
        dw += hs[t].T @ dz
        du += xs[t].T @ dz
        db += dz.sum(0)
        dh = dz @ w.T
    return dw, du, db


# ---- run time -------------------------------------------------------------------------------

def _ours(transform):
    params, xs, h0 = problem()
    fun = transform(functools.partial(rnn_loss, lib=fnp, scan=lax.scan))
    args = (tuple(fnp.asarray(p) for p in params), fnp.asarray(xs), fnp.asarray(h0))
    fun(*args)                  # trace and compile
    return lambda: fun(*args)


def _theirs(transform):
    params, xs, h0 = problem()
    fun = jax.jit(transform(functools.partial(rnn_loss, lib=jnp, scan=jax.lax.scan)))
    args = (tuple(jnp.asarray(p) for p in params), jnp.asarray(xs), jnp.asarray(h0))
    jax.block_until_ready(fun(*args))
    return lambda: jax.block_until_ready(fun(*args))


def _register_run_times():
    name = f"h{HIDDEN} T{STEPS} b{BATCH}"
    cases = (("forward", lambda f: f, lambda f: f, numpy_forward),
             ("forward+backward", fl.grad, jax.grad if jax is not None else None,
              numpy_grad))
    for what, ours, theirs, numpy_fun in cases:
        impls = {"functorch_lite": lambda t=ours: _ours(lambda f: fl.jit(t(f))),
                 "numpy": lambda n=numpy_fun: functools.partial(n, *problem())}
        if jax is not None:
            impls["jax"] = lambda t=theirs: _theirs(t)
        register(Case(f"jit scan RNN {what}, {name}", prepare(impls), GROUP))


# ---- compile time ---------------------------------------------------------------------------

def _fresh_compile(steps, transform):
    """A callable compiling a new program (trace included) with no cache, each call."""
    counter = itertools.count(1)
    params, xs, h0 = problem(steps)

    def compile_once():
        fun = transform(functools.partial(rnn_loss, lib=fnp, scan=lax.scan,
                                          offset=next(counter) * 1e-9))
        compile_without_caches(fl.make_ir(fun)(params, xs, h0))
    return compile_once


def _jax_compile(steps, transform):
    counter = itertools.count(1)
    params, xs, h0 = problem(steps)
    args = (tuple(jnp.asarray(p) for p in params), jnp.asarray(xs), jnp.asarray(h0))

    def compile_once():
        fun = transform(functools.partial(rnn_loss, lib=jnp, scan=jax.lax.scan,
                                          offset=next(counter) * 1e-9))
        jax.jit(fun).lower(*args).compile()
    return compile_once


def _compile_case(label, steps, ours, theirs):
    impls = {"functorch_lite": lambda: _fresh_compile(steps, ours)}
    if jax is not None:
        impls["jax"] = lambda: _jax_compile(steps, theirs)
    return register(Case(f"compile scan RNN {label}, T{steps}", prepare(impls), GROUP))


def _register_compile_times():
    identity = lambda f: f  # noqa: E731
    _compile_case("forward", STEPS, identity, identity)
    _compile_case("forward+backward", STEPS, fl.grad,
                  jax.grad if jax is not None else None)
    _compile_case("forward", SHORT, identity, identity)
    _compile_case("forward", LONG, identity, identity)


_register_run_times()
_register_compile_times()


def main():
    """Time the cases, print the table and the long/short compile-time ratios."""
    from benchmarks import harness
    results = {c.name: harness.run_case(c) for c in harness.registered_cases()
               if c.group == GROUP}
    print(harness.environment_line())
    print(harness.format_table(harness.table_rows(results)))
    short = results[f"compile scan RNN forward, T{SHORT}"]
    long = results[f"compile scan RNN forward, T{LONG}"]
    for impl in short:
        if short[impl].error is None and long[impl].error is None:
            print(f"{impl}: compile T{LONG} / T{SHORT} = "
                  f"{long[impl].seconds / short[impl].seconds:.2f}")
    for line in harness.full_errors(results):
        print(f"  {line}")


if __name__ == "__main__":
    main()
