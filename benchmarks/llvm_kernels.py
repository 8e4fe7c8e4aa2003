"""LLVM loop kernels (xla_like/backends/llvm) against NumPy and, when installed, jax.jit.

Cases: the issue's row-wise logsumexp of float32[4096, 4096] (one kernel, two passes
per row), its 11-op elementwise chain on float32[4194304] and a column sum (reduced
a block of columns at a time), each also on one thread to show the multithreading
gain.  Inputs are preallocated and outputs reused (the kernel's own time).
``python -m benchmarks.llvm_kernels`` also prints compile times of long elementwise
chains (``compile_kernel``, first call).
"""
import functools
import time

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as fnp
from benchmarks import harness
from benchmarks.harness import Case, prepare, register
from xla_like.backends.llvm import compile_kernel, parallel

GROUP = "llvm_kernels"


def logsumexp(x, lib):
    m = lib.max(x, axis=-1, keepdims=True)
    return lib.log(lib.sum(lib.exp(x - m), axis=-1)) + m[..., 0]


def chain_11(x, lib):
    return lib.tanh(x) * 0.5 + x * x - lib.exp(-x) * 0.25 + x * 0.1 - 1


def column_sum(x, lib):
    return lib.sum(x, axis=0)


def _compiled(fun, x, threshold):
    kernel = compile_kernel(fl.make_ir(functools.partial(fun, lib=fnp))(x))
    inputs, outputs = [x], [np.empty(a.shape, a.dtype) for a in kernel.plan.out_avals]
    pointers = [a.ctypes.data for a in inputs + outputs]

    def call():
        parallel.run(kernel._cfunc, pointers, kernel.plan.loop_sizes[0], kernel._elements,
                     threshold)
        return outputs
    return call


def _jax(fun, x):
    jax = harness.optional_import("jax")
    if jax is None:
        raise RuntimeError("jax is not installed")
    jitted = jax.jit(functools.partial(fun, lib=jax.numpy))
    xj = jax.device_put(x)
    jitted(xj).block_until_ready()
    return lambda: jitted(xj).block_until_ready()


def _setups(fun, x):
    return {"functorch_lite": lambda: _compiled(fun, x, None),
            "numpy": lambda: functools.partial(fun, x, np),
            "jax": lambda: _jax(fun, x),
            "functorch_lite 1 thread": lambda: _compiled(fun, x, float("inf"))}


def _register_all():
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((4096, 4096)).astype(np.float32)
    vector = rng.standard_normal(4194304).astype(np.float32)
    register(Case("kernel logsumexp rows f32[4096,4096]", prepare(_setups(logsumexp, matrix)),
                  GROUP))
    register(Case("kernel 11-op chain f32[4194304]", prepare(_setups(chain_11, vector)), GROUP))
    register(Case("kernel column sum f32[4096,4096] axis 0",
                  prepare(_setups(column_sum, matrix)), GROUP))


_register_all()


_STEPS = (lambda x: x + 1.0, lambda x: x * 0.999, lambda x: fnp.maximum(x, -1.0))


def long_chain(n):
    """``n`` equations: add, mul, max in turn, each with the broadcast of its scalar
    (as staging writes ``x + 1.0``)."""
    def fun(x):
        for i in range(n // 2):
            x = _STEPS[i % 3](x)
        return x
    return fun


def compile_seconds(n, size=1024):
    """Seconds ``compile_kernel`` takes for ``long_chain(n)`` (staging excluded)."""
    program = fl.make_ir(long_chain(n))(np.ones(size, np.float32))
    start = time.perf_counter()
    compile_kernel(program)
    return time.perf_counter() - start, len(program.eqns)


def main():
    """Time this module's cases and print the table, then compile times."""
    harness.print_group(GROUP)
    compile_seconds(10)
    for n in (1000, 10000):
        seconds, eqns = compile_seconds(n)
        print(f"compile_kernel of a {eqns}-equation elementwise chain: {seconds:.3f} s")


if __name__ == "__main__":
    main()
