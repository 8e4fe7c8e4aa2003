"""The LLVM CPU compiler (elementwise kernels for now).

``compile_elementwise(program)`` turns a program of elementwise primitives and
``broadcast_in_dim`` into one vectorized loop nest compiled for the host CPU:

    plan.py      Program -> per-element node list + collapsed loop shape
    rules.py     the lowering table: one rule per primitive
    mathlib.py   inline exp/exp2/log/log1p/expm1/tanh/logistic (float32, float64)
    widemath.py  inline float32 sin/cos/erf, computed in float64
    codegen.py   plan -> LLVM IR function (loop nest, loads, stores)
    engine.py    O3 + MCJIT, and ``Kernel``: call through ctypes on NumPy arrays
"""
from xla_like.backends.llvm.engine import Kernel, compile_elementwise

__all__ = ["Kernel", "compile_elementwise"]
