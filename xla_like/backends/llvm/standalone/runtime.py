"""Compiling one standalone kernel to native code and calling it through ctypes.

The module is optimized with the shared host target machine (engine.py) at speed
level 2 with the loop and SLP vectorizers on (unless the builder turned them off) and
loop unrolling off unless the builder asks for it: unrolling doubled both the
optimization time and the code size of most kernels (conv: 52 -> 24 ms) without a
measurable speed-up of their vectorized loops; pooling asks for it, as fully
unrolling its small window loops makes it 3-8x faster (3x3 max pool of 1000x1000).
"""
import ctypes

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from xla_like.backends.llvm.engine import new_target_machine, target_machine

OPT_LEVEL = 2


def _optimize(module, vectorize=True, unroll=False):
    options = llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL)
    options.loop_vectorization = vectorize
    options.slp_vectorization = vectorize
    options.loop_unrolling = unroll
    builder = llvm.create_pass_builder(target_machine(), options)
    builder.getModulePassManager().run(module, builder)


def new_module(name):
    """An empty ``llvmlite.ir.Module`` for the host target."""
    tm = target_machine()
    module = ir.Module(name=name)
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    return module


class StandaloneKernel:
    """One compiled equation: ``kernel(*arrays) -> [outputs]``.

    Inputs are converted to the equation's input dtypes and copied when not
    C-contiguous; outputs are freshly allocated.  ``llvm_ir`` is the generated IR.
    ``call_into(inputs, outputs)`` runs on ready buffers without checks.
    """

    def __init__(self, module, name, in_avals, out_avals, scratch_bytes, vectorize=True,
                 unroll=False):
        self.in_avals, self.out_avals = tuple(in_avals), tuple(out_avals)
        self.scratch_bytes = scratch_bytes
        self.llvm_ir = str(module)
        parsed = llvm.parse_assembly(self.llvm_ir)
        parsed.verify()
        _optimize(parsed, vectorize, unroll)
        self._engine = llvm.create_mcjit_compiler(parsed, new_target_machine())
        self._engine.finalize_object()
        n_ptrs = len(self.in_avals) + len(self.out_avals) + 1
        signature = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * n_ptrs)
        self._cfunc = signature(self._engine.get_function_address(name))

    def _inputs(self, args):
        if len(args) != len(self.in_avals):
            raise TypeError(f"standalone kernel takes {len(self.in_avals)} inputs "
                            f"({', '.join(map(str, self.in_avals))}), got {len(args)}")
        arrays = []
        for i, (value, aval) in enumerate(zip(args, self.in_avals)):
            array = np.require(np.asarray(value, dtype=aval.dtype), requirements="CA")
            if array.shape != aval.shape:
                raise TypeError(f"standalone kernel input {i} must have shape {aval.shape} "
                                f"({aval}), got shape {array.shape}")
            arrays.append(array)
        return arrays

    def call_into(self, inputs, outputs):
        """Run on C-contiguous, aligned ``inputs`` of the input avals, writing into
        C-contiguous ``outputs`` of the output avals."""
        scratch = np.empty(max(self.scratch_bytes, 8), np.uint8)
        pointers = [a.ctypes.data for a in inputs] + [o.ctypes.data for o in outputs]
        self._cfunc(*pointers, scratch.ctypes.data)

    def __call__(self, *args):
        outputs = [np.empty(a.shape, a.dtype) for a in self.out_avals]
        self.call_into(self._inputs(args), outputs)
        return outputs
