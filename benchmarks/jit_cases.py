"""``jit`` on the CPU compiler: the cases of issue #5's table.

Every case times the steady state of a jitted function (tracing and compiling happen
in setup, untimed) against NumPy doing the same work op by op and, when installed,
``jax.jit`` (with ``block_until_ready``).  The compile-time cases instead time the
first call of a fresh function minus its run, ``jit(f).lower(x).compile()`` on both
sides: tracing plus a compile with no memory or disk cache, or tracing plus a load from
the disk cache (nothing compiled in memory); they have no NumPy column.

``python -m benchmarks jit_cases`` runs just these cases.
"""
import functools
import itertools
import tempfile

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as fnp
from benchmarks import batching
from benchmarks.harness import Case, optional_import, prepare, register
from xla_like.backends.cpu import CPU_BACKEND, CpuBackend
from xla_like.config import config

jax = optional_import("jax")
jnp = optional_import("jax.numpy") if jax is not None else None

GROUP = "jit_cases"
CHAIN_SIZE = 4194304
LSE_SHAPE = (4096, 4096)
MLP_SIZES, MLP_BATCH, LEARNING_RATE = (784, 512, 512, 10), 128, 0.01


def chain_11(x, lib):
    """Eleven elementwise operations (tanh, exp, neg, 4 mul, 2 add, 2 sub)."""
    return lib.tanh(x) * 0.5 + x * x - lib.exp(-x) * 0.25 + x * 0.1 - 1


def logsumexp_rows(x, lib):
    m = lib.max(x, axis=1, keepdims=True)
    return lib.log(lib.sum(lib.exp(x - m), axis=1)) + m[:, 0]


def _jax_block(fun):
    compiled = jax.jit(fun)
    return lambda *args: compiled(*args).block_until_ready()


def _elementwise_case(name, fun, x):
    impls = {"functorch_lite": lambda: _steady(fl.jit(functools.partial(fun, lib=fnp)),
                                               fnp.asarray(x)),
             "numpy": lambda: functools.partial(fun, x, lib=np)}
    if jax is not None:
        impls["jax"] = lambda: _steady(_jax_block(functools.partial(fun, lib=jnp)),
                                       jnp.asarray(x))
    register(Case(name, prepare(impls), GROUP))


def _steady(fun, *args):
    """Call once (trace and compile), return the timed call."""
    fun(*args)
    return lambda: fun(*args)


# ---- MLP SGD step ------------------------------------------------------------------------

def _mlp_params(rng):
    return [(rng.standard_normal((m, n)).astype(np.float32) * np.float32(1 / np.sqrt(m)),
             np.zeros(n, np.float32)) for m, n in zip(MLP_SIZES[:-1], MLP_SIZES[1:])]


def mlp_loss(params, x, y, lib):
    h = x
    for w, b in params[:-1]:
        h = lib.tanh(h @ w + b)
    w, b = params[-1]
    return lib.mean((h @ w + b - y) ** 2)


def sgd_step(params, x, y, grad_fn, lib):
    loss, grads = grad_fn(params, x, y)
    new = [(w - LEARNING_RATE * gw, b - LEARNING_RATE * gb)
           for (w, b), (gw, gb) in zip(params, grads)]
    return new, loss


def numpy_sgd_step(params, x, y):
    """The same step with a hand-written backward pass."""
    acts = [x]
    for w, b in params[:-1]:
        acts.append(np.tanh(acts[-1] @ w + b))
    w, b = params[-1]
    err = acts[-1] @ w + b - y
    loss = np.mean(err ** 2)
    delta = 2 * err / err.size
    new = []
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        gw, gb = acts[i].T @ delta, delta.sum(0)
        if i:
            delta = (delta @ w.T) * (1 - acts[i] ** 2)
        new.append((w - LEARNING_RATE * gw, b - LEARNING_RATE * gb))
    return new[::-1], loss


def _register_mlp():
    rng = np.random.default_rng(0)
    params = _mlp_params(rng)
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0])).astype(np.float32)
    y = rng.standard_normal((MLP_BATCH, MLP_SIZES[-1])).astype(np.float32)

    def ours():
        grad_fn = fl.value_and_grad(functools.partial(mlp_loss, lib=fnp))
        step = fl.jit(functools.partial(sgd_step, grad_fn=grad_fn, lib=fnp))
        args = [[(fnp.asarray(w), fnp.asarray(b)) for w, b in params], fnp.asarray(x),
                fnp.asarray(y)]
        return _steady(step, *args)
    impls = {"functorch_lite": ours,
             "numpy": lambda: functools.partial(numpy_sgd_step, params, x, y)}
    if jax is not None:
        def theirs():
            grad_fn = jax.value_and_grad(functools.partial(mlp_loss, lib=jnp))
            step = jax.jit(functools.partial(sgd_step, grad_fn=grad_fn, lib=jnp))
            jparams = [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]
            jx, jy = jnp.asarray(x), jnp.asarray(y)
            return _steady(lambda: jax.block_until_ready(step(jparams, jx, jy)))
        impls["jax"] = theirs
    register(Case("jit MLP 784-512-512-10 SGD step, batch 128", prepare(impls), GROUP))


# ---- per-example gradients -------------------------------------------------------------

def _per_example_problem():
    rng = np.random.default_rng(0)
    w = rng.standard_normal(batching.DIM).astype(np.float32) * np.float32(0.05)
    xs = rng.standard_normal((batching.BATCH, batching.DIM)).astype(np.float32)
    ys = (rng.random(batching.BATCH) < 0.5).astype(np.float32)
    return w, xs, ys


def _jax_logistic_loss(w, x, y):
    z = jnp.dot(x, w)
    return jax.nn.softplus(z) - y * z


def _register_per_example():
    """``jit(vmap(grad(loss), in_axes=(None, 0, 0)))`` of batching.py's logistic loss."""
    w, xs, ys = _per_example_problem()

    def ours():
        per_example = fl.jit(fl.vmap(fl.grad(batching.loss), in_axes=(None, 0, 0)))
        return _steady(per_example, *(fnp.asarray(a) for a in (w, xs, ys)))
    impls = {"functorch_lite": ours,
             "numpy": lambda: functools.partial(batching.numpy_per_example, w, xs, ys)}
    if jax is not None:
        def theirs():
            per_example = _jax_block(jax.vmap(jax.grad(_jax_logistic_loss),
                                              in_axes=(None, 0, 0)))
            return _steady(per_example, *(jnp.asarray(a) for a in (w, xs, ys)))
        impls["jax"] = theirs
    register(Case(f"jit per-example grads, logistic regression "
                  f"{batching.BATCH}x{batching.DIM}", prepare(impls), GROUP))


# ---- compile time --------------------------------------------------------------------------

def long_chain(n_ops, offset, lib):
    """A chain of about ``n_ops`` elementwise equations: ``x * a + b`` steps with a
    ``tanh`` every fifth step; ``offset`` makes each built function a new program."""
    def fun(x):
        for i in range(n_ops // 4):
            x = x * (1.0001 + offset) + 0.001 * (i % 7 + 1)
            if i % 5 == 4:
                x = lib.tanh(x)
        return x
    return fun


def _fresh_compile(n_ops):
    counter = itertools.count()
    x = np.ones(1024, np.float32)

    def compile_once():
        compile_without_caches(fl.make_ir(long_chain(n_ops, next(counter) * 1e-9, fnp))(x))
    return compile_once


def compile_without_caches(program):
    """Compile ``program`` on a fresh backend with the disk cache off (a cold compile)."""
    saved = config.compilation_cache
    config.update("compilation_cache", False)
    try:
        return CpuBackend().compile(program)
    finally:
        config.update("compilation_cache", saved)


def _jax_compile(n_ops):
    counter = itertools.count()
    x = jnp.ones(1024, jnp.float32)

    def compile_once():
        jax.jit(long_chain(n_ops, next(counter) * 1e-9, jnp)).lower(x).compile()
    return compile_once


def _trace_and_compile(make_fun, args, cache_dir):
    """Time ``jit(make_fun()).lower(*args).compile()`` (trace, then load from the disk
    cache or compile: a first call minus its run) with nothing compiled in memory;
    ``cache_dir`` None: the disk cache is off."""
    def compile_once():
        saved = (config.compilation_cache, config.compilation_cache_dir)
        config.update("compilation_cache", cache_dir is not None)
        config.update("compilation_cache_dir", cache_dir)
        try:
            CPU_BACKEND.clear()
            return fl.jit(make_fun()).lower(*args).compile()
        finally:
            config.update("compilation_cache", saved[0])
            config.update("compilation_cache_dir", saved[1])
    if cache_dir is not None:
        compile_once()      # fills the cache
    return compile_once


def _mlp_problem():
    rng = np.random.default_rng(0)
    params = [(fnp.asarray(w), fnp.asarray(b)) for w, b in _mlp_params(rng)]
    x = fnp.asarray(rng.standard_normal((MLP_BATCH, MLP_SIZES[0])).astype(np.float32))
    y = fnp.asarray(rng.standard_normal((MLP_BATCH, MLP_SIZES[-1])).astype(np.float32))
    return params, x, y


def _jax_mlp_compile():
    params, x, y = _mlp_problem()
    args = ([(jnp.asarray(w), jnp.asarray(b)) for w, b in params], jnp.asarray(x),
            jnp.asarray(y))

    def compile_once():
        grad_fn = jax.value_and_grad(functools.partial(mlp_loss, lib=jnp))
        jax.jit(functools.partial(sgd_step, grad_fn=grad_fn, lib=jnp)).lower(*args).compile()
    return compile_once


def _mlp_step():
    grad_fn = fl.value_and_grad(functools.partial(mlp_loss, lib=fnp))
    return functools.partial(sgd_step, grad_fn=grad_fn, lib=fnp)


def _register_compile_times():
    for n_ops in (1000, 10000):
        impls = {"functorch_lite": lambda n=n_ops: _fresh_compile(n)}
        if jax is not None:
            impls["jax"] = lambda n=n_ops: _jax_compile(n)
        register(Case(f"compile {n_ops}-op elementwise chain", prepare(impls), GROUP))
    x = np.ones(1024, np.float32)
    chain = functools.partial(long_chain, 1000, 0.0, fnp)
    for name, make, args in (("1000-op chain", chain, (x,)),
                             ("MLP step", _mlp_step, _mlp_problem())):
        cache = tempfile.mkdtemp(prefix="functorch_lite_bench_cache_")
        register(Case(f"trace + compile {name} from the disk cache", prepare(
            {"functorch_lite": lambda m=make, a=args, c=cache: _trace_and_compile(m, a, c)}),
            GROUP))
    impls = {"functorch_lite": lambda: _trace_and_compile(_mlp_step, _mlp_problem(), None)}
    if jax is not None:
        impls["jax"] = _jax_mlp_compile
    register(Case("trace + compile MLP step", prepare(impls), GROUP))


def _register_all():
    rng = np.random.default_rng(0)
    _elementwise_case(f"jit 11-op chain f32[{CHAIN_SIZE}]", chain_11,
                      rng.standard_normal(CHAIN_SIZE).astype(np.float32))
    _elementwise_case(f"jit row logsumexp f32{list(LSE_SHAPE)}", logsumexp_rows,
                      rng.standard_normal(LSE_SHAPE).astype(np.float32))
    _register_mlp()
    _register_per_example()
    _elementwise_case("jit dispatch x + 1, f32[1]", lambda x, lib: x + 1,
                      np.ones(1, np.float32))
    _register_compile_times()


_register_all()
