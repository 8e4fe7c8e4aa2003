"""Compiling a plan to native code (MCJIT for the host CPU) and calling it via ctypes.

The target machine uses the host CPU name and features (AVX2/AVX-512... as present)
at ``opt=3``; modules go through the new pass manager's O3 pipeline with loop and SLP
vectorization on.  No fast-math flags are set anywhere except ``reassoc`` on the
accumulation step of float sums and products and ``nsz`` on float max/min
accumulations (which zero wins a -0.0/+0.0 tie; reductions.py): every other float
operation is IEEE-exact, so compiled results match the NumPy reference up to the
documented error of the math functions (and of FMA contraction inside them, via
``llvm.fmuladd``) and the reordering of sums.

Compile time (``python -m benchmarks.llvm_kernels``, process CPU time on the 2-core
development machine): ~0.2 s for a 1,000-equation elementwise chain, ~2.1-2.5 s for
10,000 (linear thanks to tiling.py's segments; the O3 pipeline's loop vectorizer is
~60% of it).  ``Kernel`` objects own their code: keep the Kernel alive as long as its
function pointer is used.
"""
import ctypes
import functools
import threading

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from xla_like.backends.llvm import parallel
from xla_like.backends.llvm.codegen import build_function
from xla_like.backends.llvm.plan import make_plan

_lock = threading.Lock()
_shared_machine = None


@functools.cache
def host_features():
    """The host CPU's features (asked once: LLVM takes ~0.3 ms per ask, and every
    executable, restored ones included, makes a target machine).  On AVX-512 hosts
    LLVM's tuning still prefers 256-bit vectors; the math-heavy loops here run ~1.5x
    faster with 512-bit ones (measured: 11-op tanh/exp chain, 8.1 -> 5.5 ms for 4M
    float32), so that preference is off."""
    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" in features.split(","):
        features += ",-prefer-256-bit"
    return features


@functools.cache
def host_cpu_name():
    return llvm.get_host_cpu_name()


def new_target_machine(opt=3):
    """A fresh target machine for the host CPU and its features, at opt level ``opt``."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=host_cpu_name(), features=host_features(), opt=opt)


def target_machine():
    """The shared host target machine used for planning and optimizing.  Never hand it
    to an execution engine: an engine takes ownership of (and frees) its machine."""
    global _shared_machine
    with _lock:
        if _shared_machine is None:
            _shared_machine = new_target_machine()
        return _shared_machine


def optimize(module):
    """Run the O3 pipeline (with the loop and SLP vectorizers) on a parsed module."""
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(target_machine(), options)
    builder.getModulePassManager().run(module, builder)


def new_module(name):
    """An empty ``llvmlite.ir.Module`` for the host target."""
    tm = target_machine()
    module = ir.Module(name=name)
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    return module


def checked_inputs(args, avals, what):
    """``args`` as C-contiguous, aligned arrays of ``avals``' dtypes (copied if needed),
    checked against their shapes; errors name ``what`` was called."""
    if len(args) != len(avals):
        raise TypeError(f"{what} takes {len(avals)} inputs "
                        f"({', '.join(map(str, avals))}), got {len(args)}")
    arrays = []
    for i, (value, aval) in enumerate(zip(args, avals)):
        array = np.require(np.asarray(value, dtype=aval.dtype), requirements="CA")
        if array.shape != aval.shape:
            raise TypeError(f"{what} input {i} must have shape {aval.shape} ({aval}), got "
                            f"shape {array.shape}")
        arrays.append(array)
    return arrays


class Kernel:
    """A compiled region: ``kernel(*arrays) -> [outputs]``.

    Inputs are converted to the program's dtypes (as the reference interpreter does)
    and copied if not C-contiguous and aligned (a transposed or sliced NumPy view
    costs one copy; kernels are compiled for static, contiguous layouts), and must
    have the program's input shapes; outputs are freshly allocated NumPy arrays.
    ``call_into(inputs, outputs)`` skips the checks and conversions.
    ``llvm_ir`` is the generated IR, ``optimized_ir`` the IR after optimization.
    """

    def __init__(self, program, name="kernel"):
        self.program = program
        self.plan = make_plan(program)
        module = new_module(name)
        build_function(module, self.plan, name)
        self.llvm_ir = str(module)
        parsed = llvm.parse_assembly(self.llvm_ir)
        parsed.verify()
        optimize(parsed)
        self._module = parsed
        self._engine = llvm.create_mcjit_compiler(parsed, new_target_machine())
        self._engine.finalize_object()
        n_ptrs = len(self.plan.param_avals) + len(self.plan.out_avals)
        signature = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * n_ptrs, ctypes.c_int64,
                                     ctypes.c_int64)
        self._cfunc = signature(self._engine.get_function_address(name))
        self._consts = [np.require(np.asarray(c, dtype=v.aval.dtype), requirements="CA")
                        for c, v in zip(program.consts, program.constvars)]
        self._elements = self.plan.outer_size * max(1, self.plan.inner_size)

    @property
    def optimized_ir(self):
        """The LLVM IR after optimization (printed on demand: long kernels print slowly)."""
        return str(self._module)

    def _inputs(self, args):
        return checked_inputs(args, self.program.in_avals, "compiled kernel")

    def call_into(self, inputs, outputs):
        """Run on C-contiguous arrays of exactly the program's input avals, writing
        into C-contiguous ``outputs`` of its output avals (no checks, no copies)."""
        outer = self.plan.outer_size
        if outer:
            pointers = [a.ctypes.data for a in list(inputs) + self._consts + list(outputs)]
            parallel.run(self._cfunc, pointers, self.plan.loop_sizes[0], self._elements)

    def __call__(self, *args):
        outputs = [np.empty(a.shape, a.dtype) for a in self.plan.out_avals]
        self.call_into(self._inputs(args), outputs)
        return outputs


def compile_kernel(program):
    """Compile a fused region (see regions.py for what is accepted) into one native
    loop kernel; raises NotImplementedError saying why when it cannot be one kernel.

    >>> kernel = compile_kernel(make_ir(lambda x: fnp.sum(fnp.exp(x), axis=1))(np.ones((2, 3))))
    >>> kernel(np.zeros((2, 3)))
    [array([3., 3.])]
    """
    return Kernel(program)


def compile_elementwise(program):
    """Compile an elementwise ``Program`` into one vectorized native loop (the
    reduction-free case of ``compile_kernel``, kept for its callers).

    >>> kernel = compile_elementwise(make_ir(lambda x: fnp.tanh(x) * 2.0)(np.ones(3, np.float32)))
    >>> kernel(np.zeros(3, np.float32))
    [array([0., 0., 0.], dtype=float32)]
    """
    return Kernel(program)
