"""Compiling standalone kernels to native code and calling them through ctypes.

The module is optimized with the shared host target machine (engine.py) at speed
level 2 with the loop and SLP vectorizers on (unless the builder turned them off) and
loop unrolling off unless the builder asks for it: unrolling doubled both the
optimization time and the code size of most kernels (conv: 52 -> 24 ms) without a
measurable speed-up of their vectorized loops; pooling asks for it, as fully
unrolling its small window loops makes it 3-8x faster (3x3 max pool of 1000x1000).

Kernels whose outermost loop runs over independent rows (emit.py, ``rows_loop``) are
split across the cores by parallel.py (B's pool and ``PARALLEL_THRESHOLD``); the
others run on the calling thread.
"""
import ctypes
from typing import NamedTuple

import llvmlite.binding as llvm
import numpy as np

from xla_like.backends.llvm import parallel
from xla_like.backends.llvm.engine import (checked_inputs, new_module, new_target_machine,
                                          target_machine)
from xla_like.backends.llvm.standalone.emit import KernelBuilder

OPT_LEVEL = 2


def optimize(module, vectorize=True, unroll=False, machine=None):
    """Run the standalone kernels' pipeline (see the module docstring) on a parsed
    module; ``machine``: a target machine the calling thread owns (default: the
    shared one, for the calling thread only)."""
    options = llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL)
    options.loop_vectorization = vectorize
    options.slp_vectorization = vectorize
    options.loop_unrolling = unroll
    builder = llvm.create_pass_builder(machine or target_machine(), options)
    builder.getModulePassManager().run(module, builder)


def as_inputs(args, avals):
    """``args`` as C-contiguous arrays of ``avals``' dtypes, checked against their shapes."""
    return checked_inputs(args, avals, "standalone kernel")


class Emitted(NamedTuple):
    """One kernel's LLVM function (in its own module's text), before compilation.
    A caller that loads the function's object code from a cache rebuilds it with
    ``llvm_ir=None``: the other fields are what calling it needs."""
    name: str
    llvm_ir: str
    in_avals: tuple
    out_avals: tuple
    scratch_bytes: int
    rows: int               # the rows a call may split (1: not splittable)
    work: int               # about the elements touched: decides the split
    options: tuple          # (vectorize, unroll): see the module docstring


def emit(name, builder, in_avals, out_avals, params):
    """Run ``builder(k, in_avals, out_avals, **params)`` on a fresh function ``name``."""
    module = new_module(name)
    k = KernelBuilder(module, name, len(in_avals), len(out_avals))
    builder(k, in_avals, out_avals, **params)
    k.finish()
    return Emitted(name, str(module), tuple(in_avals), tuple(out_avals), k.scratch_bytes,
                   k.rows, k.work, (k.vectorize, k.unroll))


def link(emitted):
    """Compile emitted functions (distinct names) into ``StandaloneKernel`` s: one
    native module per set of optimization options, so the fixed cost of optimizing
    and code generation (~5 ms a module here) is paid once per set, not per kernel."""
    groups = {}
    for item in emitted:
        groups.setdefault(item.options, []).append(item)
    kernels = {}
    for options, items in groups.items():
        module = llvm.parse_assembly(items[0].llvm_ir)
        for item in items[1:]:
            module.link_in(llvm.parse_assembly(item.llvm_ir))
        module.verify()
        optimize(module, *options)
        engine = llvm.create_mcjit_compiler(module, new_target_machine())
        engine.finalize_object()
        for item in items:
            kernels[item.name] = StandaloneKernel(engine, item)
    return [kernels[item.name] for item in emitted]


class StandaloneKernel:
    """One compiled equation: ``kernel(*arrays) -> [outputs]``.

    Inputs are converted to the equation's input dtypes and copied when not
    C-contiguous; outputs are freshly allocated.  ``llvm_ir`` is the generated IR.
    ``call_into(inputs, outputs)`` runs on ready buffers without checks.
    """

    # False: never split the rows across cores (an executable that also calls BLAS)
    threaded = True

    def __init__(self, engine, emitted):
        self.name = emitted.name
        self.in_avals, self.out_avals = emitted.in_avals, emitted.out_avals
        self.scratch_bytes = emitted.scratch_bytes
        self.rows, self.work = emitted.rows, emitted.work
        self.llvm_ir = emitted.llvm_ir
        self._engine = engine           # owns the code: keep it alive with the kernel
        n_ptrs = len(self.in_avals) + len(self.out_avals) + 1
        signature = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * n_ptrs, ctypes.c_int64,
                                     ctypes.c_int64)
        self._cfunc = signature(engine.get_function_address(emitted.name))

    def call_into(self, inputs, outputs):
        """Run on C-contiguous, aligned ``inputs`` of the input avals, writing into
        C-contiguous ``outputs`` of the output avals.  Outputs must not overlap the
        inputs (the kernels' pointers are ``noalias``)."""
        pointers = [a.ctypes.data for a in inputs] + [o.ctypes.data for o in outputs]

        def run_rows(start, stop):          # each part of a split gets its own scratch
            scratch = np.empty(max(self.scratch_bytes, 8), np.uint8)
            self._cfunc(*pointers, scratch.ctypes.data, start, stop)
        if self.threaded:
            parallel.run(run_rows, [], self.rows, self.work)
        else:
            run_rows(0, self.rows)

    def __call__(self, *args):
        outputs = [np.empty(a.shape, a.dtype) for a in self.out_avals]
        self.call_into(as_inputs(args, self.in_avals), outputs)
        return outputs
