"""Standalone native kernels (xla_like/backends/llvm/standalone) against the NumPy
reference implementations and, when installed, jax.jit.

``python -m benchmarks.llvm_standalone`` times one representative case per kernel
family (the native call on ready buffers, compile excluded), then prints each case's
compile time (first ``compile_standalone`` of the equation, cache cleared).
"""
import time

import numpy as np

from benchmarks import harness
from benchmarks.harness import Case, prepare, register
from xla_like import primitives as P
from xla_like.backends.llvm import standalone
from xla_like.ir import Eqn, Var, aval_of_value

GROUP = "llvm_standalone"


def one_equation(prim, args, params):
    invars = [Var(aval_of_value(np.asarray(a))) for a in args]
    out = prim.abstract_eval(*[v.aval for v in invars], **params)
    outs = out if prim.multiple_results else [out]
    return Eqn(prim, invars, [Var(o) for o in outs], params)


def _native(prim, args, params):
    kernel = standalone.compile_standalone(one_equation(prim, args, params))
    outputs = [np.empty(a.shape, a.dtype) for a in kernel.out_avals]
    inputs = [np.ascontiguousarray(a) for a in args]
    return lambda: kernel.call_into(inputs, outputs)


def _jax(fun, args):
    jax = harness.optional_import("jax")
    if jax is None or fun is None:
        raise RuntimeError("jax is not installed" if jax is None else "no jax equivalent")
    jitted = jax.jit(lambda *xs: fun(jax, *xs))
    device_args = [jax.device_put(a) for a in args]
    jax.block_until_ready(jitted(*device_args))
    return lambda: jax.block_until_ready(jitted(*device_args))


def _cases():
    """(name, prim, args, params, jax function or None)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 1000)).astype(np.float32)
    v = rng.standard_normal(1_000_000).astype(np.float32)
    rows = rng.integers(0, 1000, (10_000, 1))
    images = rng.standard_normal((8, 16, 32, 32)).astype(np.float32)
    kernel = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    words = [rng.integers(0, 2**32, 1_000_000, dtype=np.uint64).astype(np.uint32)
             for _ in range(4)]
    pool = {"window_dimensions": (3, 3), "window_strides": (2, 2), "padding": ((1, 1), (1, 1)),
            "base_dilation": (1, 1), "window_dilation": (1, 1)}
    conv = {"window_strides": (1, 1), "padding": ((1, 1), (1, 1)), "lhs_dilation": (1, 1),
            "rhs_dilation": (1, 1), "feature_group_count": 1, "batch_group_count": 1,
            "preferred_element_type": None}
    return [
        ("sort f32[1000000]", P.sort_p, [v], {"dimension": 0, "is_stable": True, "num_keys": 1},
         lambda jax, a: jax.numpy.sort(a, stable=True)),
        ("argmax rows f32[1000,1000]", P.argmax_p, [x],
         {"axis": 1, "index_dtype": np.dtype(np.int32)}, lambda jax, a: jax.numpy.argmax(a, 1)),
        ("cumsum axis 0 f32[1000,1000]", P.cumsum_p, [x], {"axis": 0, "reverse": False},
         lambda jax, a: jax.numpy.cumsum(a, 0)),
        ("gather 10000 rows of f32[1000,1000]", P.gather_p, [x, rows],
         {"axes": (0,), "mode": "clip"}, lambda jax, a, i: a[i[:, 0]]),
        ("scatter_add 10000 rows into f32[1000,1000]", P.scatter_add_p,
         [x, rows, np.ones((10_000, 1000), np.float32)], {"axes": (0,), "mode": "drop"},
         lambda jax, a, i, u: a.at[i[:, 0]].add(u)),
        ("pad interior f32[1000,1000]", P.pad_p, [x, np.float32(0)],
         {"padding_config": ((2, 2, 0), (1, 1, 1))}, None),
        ("max pool 3x3/2 f32[1000,1000]", P.reduce_window_max_p, [x], pool,
         lambda jax, a: jax.lax.reduce_window(a, -np.inf, jax.lax.max, (3, 3), (2, 2),
                                              ((1, 1), (1, 1)))),
        ("conv 3x3 f32[8,16,32,32] x f32[32,16,3,3]", P.conv_general_dilated_p,
         [images, kernel], conv,
         lambda jax, a, w: jax.lax.conv_general_dilated(a, w, (1, 1), ((1, 1), (1, 1)))),
        ("threefry2x32 u32[1000000]", P.threefry2x32_p, words, {}, None),
    ]


def _register_all():
    for name, prim, args, params, jax_fun in _cases():
        setups = {"functorch_lite": (lambda p=prim, a=args, q=params: _native(p, a, q)),
                  "numpy": (lambda p=prim, a=args, q=params: lambda: p.impl(*a, **q)),
                  "jax": (lambda f=jax_fun, a=args: _jax(f, a))}
        register(Case(f"standalone {name}", prepare(setups), GROUP))


_register_all()


def compile_milliseconds():
    """(case name, milliseconds of the first ``compile_standalone``) per case."""
    times = []
    for name, prim, args, params, _ in _cases():
        eqn = one_equation(prim, args, params)
        standalone._cache.clear()
        start = time.perf_counter()
        standalone.compile_standalone(eqn)
        times.append((name, 1e3 * (time.perf_counter() - start)))
    return times


def main():
    """Time this module's cases and print the table, then compile times."""
    harness.print_group(GROUP)
    for name, ms in compile_milliseconds():
        print(f"compile_standalone {name}: {ms:.1f} ms")


if __name__ == "__main__":
    main()
