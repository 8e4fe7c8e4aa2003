"""Standalone native kernels for the primitives that do not fuse into loop kernels.

One equation (static params and input avals) becomes one LLVM function with its own
loop nest, compiled for the host CPU and cached in memory per (primitive, params,
avals).  The families, one table each, merged into ``STANDALONE``:

    emit.py         KernelBuilder: the function, loops, loads/stores, comparisons
    runtime.py      optimization + MCJIT; ``StandaloneKernel`` called through ctypes
    copies.py       slice, rev, pad, concatenate, dynamic_slice, dynamic_update_slice
    indexing.py     gather and the scatter family
    scans.py        argmax/argmin and cumsum/cumprod/cummax/cummin
    sorting.py      sort (stable, multi-operand, NaNs last): merge sort of key bits
    windows.py      reduce_window_sum/max/min (direct loops)
    convolution.py  conv_general_dilated, integer results (direct loops)
    dot.py          dot_general for the dtypes BLAS lacks (integers; direct loops)
    im2col.py       conv_general_dilated, float results (native im2col + BLAS matmul)
    random_bits.py  threefry2x32

Every kernel follows its primitive's NumPy ``impl`` exactly (integer wrap-around, NaN
propagation and ordering, index clamping); only the order of float summations may
differ (cumsum is sequential like NumPy; windows and convolution sum in loop order).
A compiled kernel is called as ``kernel(*arrays) -> [outputs]`` (inputs converted and
made C-contiguous as needed, outputs fresh) or ``kernel.call_into(inputs, outputs)`` on
ready C-contiguous buffers; row kernels split their rows across cores above
``parallel.PARALLEL_THRESHOLD`` (unless ``kernel.threaded`` is False).

Two ways to compile: ``compile_standalone``/``compile_standalone_many`` (their own
native modules, cached in memory), or ``linkable(eqn, name)``: the functions to emit
into a caller's own modules and how to assemble the kernel from their compiled
forms; the CPU executable links its standalone kernels that way, so they land in its
disk-cache entry (backends/native.py).

>>> eqn = make_ir(lambda x: lax.cumsum(x, axis=0))(np.ones(3)).eqns[0]
>>> compile_standalone(eqn)(np.ones(3))
[array([1., 2., 3.])]
"""
import threading

from xla_like.backends.llvm.lltypes import check_dtype
from xla_like.backends.llvm.standalone.convolution import CONVOLUTION
from xla_like.backends.llvm.standalone.copies import MOVEMENT
from xla_like.backends.llvm.standalone.dot import DOT
from xla_like.backends.llvm.standalone.im2col import IM2COL
from xla_like.backends.llvm.standalone.indexing import INDEXING
from xla_like.backends.llvm.standalone.random_bits import RANDOM_BITS
from xla_like.backends.llvm.standalone.runtime import StandaloneKernel, emit, link
from xla_like.backends.llvm.standalone.scans import SCANS
from xla_like.backends.llvm.standalone.sorting import SORTING
from xla_like.backends.llvm.standalone.windows import WINDOWS

__all__ = ["STANDALONE", "PlainKernel", "StandaloneKernel", "calls_blas", "compile_standalone",
           "compile_standalone_many", "emit_standalone", "has_standalone", "link_all",
           "linkable"]

# primitive -> builder(k: KernelBuilder, in_avals, out_avals, **params)
STANDALONE = {**MOVEMENT, **INDEXING, **SCANS, **SORTING, **WINDOWS, **CONVOLUTION,
              **RANDOM_BITS, **DOT}
# primitive -> factory(in_avals, out_avals, params, name) -> a composite kernel (several
# native calls and library calls; the ``linkable`` protocol), or None to use the builder:
# float convolution is im2col + BLAS
FACTORIES = {**IM2COL}

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


def calls_blas(eqn):
    """Whether ``eqn``'s kernel is a composite that calls BLAS (float convolution is
    im2col + ``np.matmul``); False for plain kernels and equations without one."""
    return has_standalone(eqn) and not isinstance(linkable(eqn, "probe"), PlainKernel)


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
    return compile_standalone_many([eqn])[0]


def compile_standalone_many(eqns):
    """``[compile_standalone(e) for e in eqns]``, compiling the uncached kernels
    together: one native module per set of optimization options instead of one per
    kernel (a program's standalone equations compile in one go).

    >>> rev, cumsum = compile_standalone_many(program.eqns[:2])
    """
    for eqn in eqns:
        _check(eqn)
    kernels = [None] * len(eqns)
    with _lock:
        pending = {}                # key -> positions in eqns, for the uncached ones
        for i, eqn in enumerate(eqns):
            key = _key(eqn)
            if key in _cache:
                kernels[i] = _cache[key]
            else:
                pending.setdefault(key, []).append(i)
        parts = {key: linkable(eqns[positions[0]], f"standalone_{len(_cache) + n}")
                 for n, (key, positions) in enumerate(pending.items())}
        for key, kernel in zip(parts, link_all(list(parts.values()))):
            _cache[key] = kernel
        for key, positions in pending.items():
            for i in positions:
                kernels[i] = _cache[key]
    return kernels


def link_all(parts):
    """Compile ``linkable`` parts together (``runtime.link``) and assemble them."""
    emitted = [item for part in parts for item in part.emit()]
    compiled = iter(link(emitted))
    return [part.assemble([next(compiled) for _ in part.signatures()]) for part in parts]


def _check(eqn):
    if eqn.prim not in STANDALONE:
        raise NotImplementedError(f"LLVM backend: no standalone kernel for primitive "
                                  f"'{eqn.prim.name}'")
    for aval in _avals(eqn.inputs) + _avals(eqn.outputs):
        check_dtype(aval.dtype, f"'{eqn.prim.name}'")


class PlainKernel:
    """The ``linkable`` part of an equation whose kernel is one plain function."""

    def __init__(self, eqn, name):
        self.eqn, self.name = eqn, name

    def signatures(self):
        return [(self.name, _avals(self.eqn.inputs), _avals(self.eqn.outputs))]

    def emit(self):
        return [emit_standalone(self.eqn, self.name)]

    def assemble(self, kernels):
        (kernel,) = kernels
        return kernel


def linkable(eqn, name):
    """``eqn``'s kernel before compilation, for a caller that links it into its own
    module: ``signatures()`` lists its native functions as ``(name, in_avals,
    out_avals)`` (names derived from ``name``, cheap: nothing is emitted), ``emit()``
    their ``runtime.Emitted`` IR, and ``assemble(compiled)`` turns the compiled
    functions (``StandaloneKernel`` s, in that order) into the equation's kernel
    (``call_into``, ``__call__``).  Float convolution is im2col + BLAS here.

    >>> part = linkable(eqn, "sort_0")
    >>> kernel = part.assemble(link(part.emit()))
    """
    _check(eqn)
    factory = FACTORIES.get(eqn.prim)
    composite = factory(_avals(eqn.inputs), _avals(eqn.outputs), eqn.params, name) \
        if factory else None
    return PlainKernel(eqn, name) if composite is None else composite


def emit_standalone(eqn, name):
    """The LLVM IR of ``eqn``'s kernel as a function ``name`` (``runtime.Emitted``:
    IR text, avals, scratch bytes), for a caller that links it into its own module:
    ``void name(ptr in0, ..., ptr out0, ..., ptr scratch)`` over C-contiguous buffers
    (scratch: ``scratch_bytes``, 8-byte aligned).  Always one plain function: float
    convolution gets the direct loops here, not im2col + BLAS.

    >>> emitted = emit_standalone(eqn, "sort_0"); module.link_in(parse_assembly(emitted.llvm_ir))
    """
    _check(eqn)
    return emit(name, STANDALONE[eqn.prim], _avals(eqn.inputs), _avals(eqn.outputs),
                eqn.params)
