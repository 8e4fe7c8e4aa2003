"""The LLVM CPU compiler: fused loop kernels (elementwise, views, iota, reductions).

``compile_kernel(program)`` turns a fused region into one vectorized loop nest
compiled for the host CPU; ``fusible(eqn)`` and ``kernel_compatible(program)`` say
what it accepts (the contract with the fusion pass, documented in regions.py):

    regions.py    fusible / kernel_compatible: what a kernel may contain
    placement.py  how each value is indexed by the loop space (views are free)
    argreduce.py  argmax/argmin rewritten as two vectorizable reductions
    plan.py       Program -> loop space, passes over reduced axes, node list
    rules.py      the elementwise lowering table: one rule per primitive
    reductions.py the reduction table: identity and accumulation step
    mathlib.py    inline exp/exp2/log/log1p/expm1/tanh/logistic (float32, float64)
    widemath.py   inline float32 sin/cos/erf, computed in float64
    widemath32.py inline float32 pow/tan/atan/asin/acos/atan2/sinh/cosh/asinh/...
    mathlib64.py  inline float64 sin/cos/tan/atan/asin/acos/atan2/sinh/.../cbrt
    pow64.py, erf64.py, gamma64.py  inline float64 pow, erf/erfc, lgamma
    specialmath.py digamma and erf_inv
    emitters.py   loops, offsets, one emitter per node type
    codegen.py    plan -> LLVM IR function (loop nest, passes, loads, stores;
                  multi-pass rows software-pipelined)
    streaming.py  non-temporal stores for large elementwise outputs
    tiling.py     blocked nests: long bodies in segments, column reductions
    engine.py     optimization + MCJIT, and ``Kernel``: call through ctypes
    parallel.py   splitting the outer loop across cores above a size threshold
"""
from xla_like.backends.llvm.engine import Kernel, compile_elementwise, compile_kernel
from xla_like.backends.llvm.regions import fusible, kernel_compatible

__all__ = ["Kernel", "compile_elementwise", "compile_kernel", "fusible", "kernel_compatible"]
