"""Compiled elementwise: one fused, vectorized LLVM loop against NumPy's op-by-op work.

The functorch_lite column calls the kernel that ``xla_like.backends.llvm`` compiles
from the staged program (staging and compiling happen in setup, untimed; each call
still converts the input and allocates the output).  NumPy evaluates the same Python
expression one ufunc at a time, with a temporary array per operation.

``python -m benchmarks.compiled_elementwise`` runs just these cases.
"""
import functools

import numpy as np

import functorch_lite as fl
import functorch_lite.numpy as fnp
from benchmarks import harness
from benchmarks.harness import Case, prepare, register
from xla_like.backends.llvm import compile_elementwise

GROUP = "compiled_elementwise"
SIZE = 4194304


def chain_11(x, lib):
    """Eleven elementwise operations: tanh, exp, neg, 4 multiplies, 2 adds, 2 subtracts.

    ``lib`` is the NumPy-like module supplying tanh and exp (NumPy or functorch_lite).
    """
    return lib.tanh(x) * 0.5 + x * x - lib.exp(-x) * 0.25 + x * 0.1 - 1


def _setups(size):
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)

    def compiled():
        program = fl.make_ir(functools.partial(chain_11, lib=fnp))(x)
        return functools.partial(compile_elementwise(program), x)

    def numpy():
        return functools.partial(chain_11, x, np)
    return {"functorch_lite": compiled, "numpy": numpy}


def _register_all():
    register(Case(f"compiled 11-op chain f32[{SIZE}]", prepare(_setups(SIZE)), GROUP))


_register_all()


def main():
    """Time this module's cases and print the table."""
    harness.print_group(GROUP)


if __name__ == "__main__":
    main()
