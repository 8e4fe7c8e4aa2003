"""Standalone native kernels for the primitives that do not fuse into loop kernels.

One equation (static params and input avals) becomes one LLVM function with its own
loop nest, compiled for the host CPU and cached in memory per (primitive, params,
avals).  The families, one table each, merged into ``STANDALONE``:

    emit.py         KernelBuilder: the function, loops, loads/stores, comparisons
    runtime.py      optimization + MCJIT; ``StandaloneKernel`` called through ctypes
    copies.py       slice, rev, pad, concatenate, dynamic_slice, dynamic_update_slice
    indexing.py     gather and the scatter family
    scans.py        argmax/argmin and cumsum/cumprod/cummax/cummin
    sorting.py      sort (stable, multi-operand, NaNs last): merge sort of a permutation
    windows.py      reduce_window_sum/max/min (direct loops)
    convolution.py  conv_general_dilated (direct loops, vectorized along the last axis)
    random_bits.py  threefry2x32

Every kernel follows its primitive's NumPy ``impl`` exactly (integer wrap-around, NaN
propagation and ordering, index clamping); only the order of float summations may
differ (cumsum is sequential like NumPy; windows and convolution sum in loop order).

>>> eqn = make_ir(lambda x: lax.cumsum(x, axis=0))(np.ones(3)).eqns[0]
>>> compile_standalone(eqn)(np.ones(3))
[array([1., 2., 3.])]
"""
import threading

from xla_like.backends.llvm.lltypes import check_dtype
from xla_like.backends.llvm.standalone.convolution import CONVOLUTION
from xla_like.backends.llvm.standalone.copies import MOVEMENT
from xla_like.backends.llvm.standalone.emit import KernelBuilder
from xla_like.backends.llvm.standalone.indexing import INDEXING
from xla_like.backends.llvm.standalone.random_bits import RANDOM_BITS
from xla_like.backends.llvm.standalone.runtime import StandaloneKernel, new_module
from xla_like.backends.llvm.standalone.scans import SCANS
from xla_like.backends.llvm.standalone.sorting import SORTING
from xla_like.backends.llvm.standalone.windows import WINDOWS

__all__ = ["STANDALONE", "StandaloneKernel", "compile_standalone", "has_standalone"]

# primitive -> builder(k: KernelBuilder, in_avals, out_avals, **params)
STANDALONE = {**MOVEMENT, **INDEXING, **SCANS, **SORTING, **WINDOWS, **CONVOLUTION,
              **RANDOM_BITS}

_cache = {}
_lock = threading.Lock()


def _avals(atoms):
    return tuple(a.aval for a in atoms)


def has_standalone(eqn):
    """Whether ``eqn`` has a standalone kernel: its primitive has a builder and every
    input and output dtype has an LLVM type (complex and float16 do not)."""
    if eqn.prim not in STANDALONE:
        return False
    try:
        for aval in _avals(eqn.inputs) + _avals(eqn.outputs):
            check_dtype(aval.dtype, eqn.prim.name)
    except NotImplementedError:
        return False
    return True


def _key(eqn):
    avals = tuple((a.shape, a.dtype) for a in _avals(eqn.inputs) + _avals(eqn.outputs))
    return eqn.prim, tuple(sorted(eqn.params.items())), avals


def compile_standalone(eqn):
    """Compile one equation into a native kernel ``kernel(*arrays) -> [outputs]``
    (cached in memory per primitive, params and avals).

    >>> eqn = make_ir(lambda x: lax.rev(x, (0,)))(np.arange(3.0)).eqns[0]
    >>> compile_standalone(eqn)(np.arange(3.0))
    [array([2., 1., 0.])]
    """
    builder = STANDALONE.get(eqn.prim)
    if builder is None:
        raise NotImplementedError(f"LLVM backend: no standalone kernel for primitive "
                                  f"'{eqn.prim.name}'")
    for aval in _avals(eqn.inputs) + _avals(eqn.outputs):
        check_dtype(aval.dtype, f"'{eqn.prim.name}'")
    key = _key(eqn)
    with _lock:
        kernel = _cache.get(key)
        if kernel is None:
            kernel = _cache[key] = _build(eqn, builder)
    return kernel


def _build(eqn, builder):
    in_avals, out_avals = _avals(eqn.inputs), _avals(eqn.outputs)
    name = eqn.prim.name
    module = new_module(name)
    k = KernelBuilder(module, name, len(in_avals), len(out_avals))
    builder(k, in_avals, out_avals, **eqn.params)
    k.finish()
    return StandaloneKernel(module, name, in_avals, out_avals, k.scratch_bytes, k.vectorize,
                            k.unroll)
