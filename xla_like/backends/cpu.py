"""The CPU backend: buffers are NumPy arrays, so eager ops run each primitive's reference
implementation on them directly (``transforms.core.eager``); ``compile(program)``
turns a program into an ``Executable`` of native code.

The compiler pipeline (``CpuBackend.compile``):

1. ``xla_like.passes.optimize``: inlining, simplification, constant folding, CSE, DCE;
2. ``partition``: fused regions (``xla_like.backends.llvm.fusible``), BLAS calls,
   reference calls; a region the kernel compiler refuses is split into single
   equations;
3. ``buffer_plan``: drop values after their last use, reuse dead kernel buffers;
4. the regions' kernels (``xla_like.backends.llvm``) in one LLVM module per core,
   optimized and compiled to object code in parallel threads, or loaded from the
   disk cache (compile_cache.py), all loaded into one MCJIT engine;
5. an ``Executable`` with one runner per step.

Small kernels are called through a wrapper that reads the arrays' data pointers
itself (``DATA_OFFSET``), so a call costs one ctypes call with object arguments;
kernels above ``parallel.PARALLEL_THRESHOLD`` elements are split across the cores,
except in executables that also call BLAS (see ``build_executable``).

Compiled executables are cached in memory by program identity (programs are
immutable) and by the program's serialized text.
"""
import ctypes
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from xla_like import serialize
from xla_like.backends import compile_cache
from xla_like.backends.executable import (Executable, RunStep, StepInfo, blas_eligible,
                                          blas_runner, reference_runner, slot_numbers)
from xla_like.backends.llvm import fusible, parallel
from xla_like.backends.llvm.codegen import build_function
from xla_like.backends.llvm.engine import new_target_machine, target_machine
from xla_like.backends.llvm.plan import make_plan
from xla_like.config import config
from xla_like.ir import Eqn, Program
from xla_like.passes import optimize as optimize_program
from xla_like.passes.buffers import buffer_plan
from xla_like.passes.fusion import partition, steps_from_groups


class CpuDevice:
    platform = "cpu"

    def __init__(self, id):
        self.id = id

    def __repr__(self):
        return f"CpuDevice(id={self.id})"

    def __eq__(self, other):
        return type(other) is CpuDevice and other.id == self.id

    def __hash__(self):
        return hash(("cpu", self.id))


# ---- calling kernels -------------------------------------------------------------------

def _array_data_offset():
    """Byte offset of the data pointer inside an ndarray object (16 on CPython's
    ``PyArrayObject``), verified on a probe array; None if it cannot be found.  With
    it, a kernel wrapper reads the pointers itself and ctypes passes the arrays as
    plain objects: ~0.2 us a call instead of ~0.8 us per ``arr.ctypes.data``."""
    probe = np.arange(4.0)
    for offset in range(8, 64, 8):
        if ctypes.c_void_p.from_address(id(probe) + offset).value == probe.ctypes.data:
            return offset
    return None


DATA_OFFSET = _array_data_offset()
_I8, _I64, _PTR = ir.IntType(8), ir.IntType(64), ir.PointerType()


def _add_object_wrapper(module, kernel, name, n_ptrs, outer):
    """``void name(PyArrayObject* ...)``: load each array's data pointer and run the
    whole outer loop of ``kernel`` (on the calling thread)."""
    wrapper = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * n_ptrs), name)
    b = ir.IRBuilder(wrapper.append_basic_block("entry"))
    pointers = [b.load(b.gep(arg, [ir.Constant(_I64, DATA_OFFSET)], source_etype=_I8),
                       typ=_PTR) for arg in wrapper.args]
    b.call(kernel, pointers + [ir.Constant(_I64, 0), ir.Constant(_I64, outer)])
    b.ret_void()


class _KernelSpec:
    """A fused region to compile: its program, plan and function names."""

    def __init__(self, index, program, plan, may_thread):
        self.program, self.plan = program, plan
        self.name = f"kernel{index}"
        self.n_ptrs = len(plan.param_avals) + len(plan.out_avals)
        self.outer = plan.loop_sizes[0] if plan.outer_size else 0
        self.elements = plan.outer_size * max(1, plan.inner_size)
        self.threaded = DATA_OFFSET is None or (
            may_thread and self.elements >= parallel.PARALLEL_THRESHOLD)

    def build(self, module):
        fn = build_function(module, self.plan, self.name)
        if not self.threaded:
            _add_object_wrapper(module, fn, self.name + "_objects", self.n_ptrs, self.outer)

    def caller(self, engine):
        """``call(*arrays)``: run the kernel on input then output arrays."""
        if not self.outer:
            return lambda *arrays: None
        if not self.threaded:
            signature = ctypes.PYFUNCTYPE(None, *[ctypes.py_object] * self.n_ptrs)
            return signature(engine.get_function_address(self.name + "_objects"))
        signature = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * self.n_ptrs, ctypes.c_int64,
                                     ctypes.c_int64)
        cfunc = signature(engine.get_function_address(self.name))
        outer, elements = self.outer, self.elements

        def call(*arrays):
            parallel.run(cfunc, [a.ctypes.data for a in arrays], outer, elements)
        return call


def _kernel_runner(call, out_avals, donated):
    """``run(*inputs, *donated buffers)``: allocate (or take) outputs, call the kernel.
    ``donated[j]`` is the position among the trailing buffers output ``j`` takes."""
    shapes = [(a.shape, a.dtype) for a in out_avals]
    if len(shapes) == 1 and not donated:
        (shape, dtype), = shapes
        empty = np.empty

        def run_one(*arrays):
            out = empty(shape, dtype)
            call(*arrays, out)
            return (out,)
        return run_one
    n_donated = len(donated)

    def run(*arrays):
        given = arrays[len(arrays) - n_donated:]
        outs = tuple(given[donated[j]] if j in donated else np.empty(s, d)
                     for j, (s, d) in enumerate(shapes))
        call(*arrays[:len(arrays) - n_donated], *outs)
        return outs
    return run


# ---- native code -----------------------------------------------------------------------

def _optimize_and_emit(text):
    """LLVM IR text -> object code: verify, the O3 pipeline with the loop and SLP
    vectorizers (as ``llvm.engine.optimize``), native code generation.  Runs in a
    worker thread: it owns its LLVM context and target machine (neither is
    thread-safe), and llvmlite releases the GIL inside LLVM."""
    context = llvm.create_context()
    machine = new_target_machine()
    module = llvm.parse_assembly(text, context=context)
    module.verify()
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(machine, options)
    builder.getModulePassManager().run(module, builder)
    return machine.emit_object(module)


def _groups(specs, parts):
    """Split ``specs`` into at most ``parts`` contiguous groups of similar size."""
    sizes = [len(spec.plan.nodes) for spec in specs]
    target = sum(sizes) / max(1, parts)
    groups, current, total = [], [], 0
    for spec, size in zip(specs, sizes):
        if current and total >= target and len(groups) < parts - 1:
            groups.append(current)
            current, total = [], 0
        current.append(spec)
        total += size
    return groups + [current] if current else groups


_LENGTH = struct.Struct("<Q")


def _pack(objects):
    return b"".join(_LENGTH.pack(len(o)) + o for o in objects)


def _unpack(payload):
    """The object files of a cache payload, or None when it is malformed."""
    objects, offset = [], 0
    while offset < len(payload):
        if offset + _LENGTH.size > len(payload):
            return None
        (length,) = _LENGTH.unpack_from(payload, offset)
        offset += _LENGTH.size
        if offset + length > len(payload):
            return None
        objects.append(payload[offset:offset + length])
        offset += length
    return objects


class NativeModule:
    """Every kernel of one executable as object code loaded into one MCJIT engine.

    The kernels are split into one LLVM module per core, compiled in parallel
    threads.  ``key`` names the object code in the disk cache (None: do not cache)."""

    # below this many planned nodes in all, one module (threads would cost more)
    PARALLEL_NODES = 40

    def __init__(self, specs, key):
        self.specs = specs
        parts = parallel.worker_count() if sum(len(s.plan.nodes) for s in specs) \
            >= self.PARALLEL_NODES else 1
        self.groups = _groups(specs, parts) if specs else []
        cached = compile_cache.load(key) if key is not None and specs else None
        objects = _unpack(cached) if cached is not None else None
        self.from_cache = objects is not None
        if objects is None:
            objects = self._compile()
            if key is not None and objects:
                compile_cache.store(key, _pack(objects))
        self._engine = None
        self.callers = []
        if specs:               # a program without kernels needs no engine
            self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""),
                                                      new_target_machine())
            for obj in objects:
                self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
            self._engine.finalize_object()
            self.callers = [spec.caller(self._engine) for spec in specs]

    def _group_ir(self, group):
        tm = target_machine()
        module = ir.Module(name="executable")
        module.triple = tm.triple
        module.data_layout = str(tm.target_data)
        for spec in group:
            spec.build(module)
        return str(module)

    def llvm_ir(self):
        """The LLVM IR of every kernel before optimization (rebuilt on demand)."""
        return "\n".join(self._group_ir(group) for group in self.groups)

    def _compile(self):
        texts = [self._group_ir(group) for group in self.groups]
        if len(texts) <= 1:
            return [_optimize_and_emit(text) for text in texts]
        with ThreadPoolExecutor(max_workers=len(texts)) as pool:
            return list(pool.map(_optimize_and_emit, texts))


# ---- the pipeline ----------------------------------------------------------------------

def _region_program(step):
    return Program(step.inputs, (), (), step.eqns, step.outputs)


def _plan_or_none(step):
    try:
        return make_plan(_region_program(step))
    except NotImplementedError:
        return None


def _plan_steps(program):
    """Partition, then split any region the kernel compiler refuses into single
    equations; returns ``[(Step, plan or None)]``."""
    steps = partition(program, fusible)
    plans = [_plan_or_none(step) if step.fused else None for step in steps]
    if all(plan is not None or not step.fused for step, plan in zip(steps, plans)):
        return list(zip(steps, plans))
    groups = []
    for step, plan in zip(steps, plans):
        if step.fused and plan is None:
            groups.extend(((eqn,), True) for eqn in step.eqns)
        else:
            groups.append((step.eqns, step.fused))
    resplit = steps_from_groups(groups, program)
    return [(s, _plan_or_none(s) if s.fused else None) for s in resplit]


def _kind(step, plan):
    if plan is not None:
        return "kernel"
    return "blas" if blas_eligible(step.eqns[0]) else "reference"


def _native_readers(planned):
    """Vars read by kernels or BLAS calls (they need C-contiguous buffers)."""
    return {v for step, plan in planned if _kind(step, plan) != "reference"
            for v in step.inputs}


def _structural_key(program):
    """The serialized text of ``program`` without source locations (they do not change
    the code), or None for programs a document cannot hold (params with Python rules)."""
    eqns = [Eqn(e.prim, e.inputs, e.outputs, e.params) for e in program.eqns]
    bare = Program(program.invars, program.constvars, program.consts, eqns, program.outvars)
    try:
        return serialize.dumps(bare)
    except (TypeError, ValueError):
        return None


def _disk_key(program):
    if not config.compilation_cache:
        return None
    text = _structural_key(program)
    return None if text is None else compile_cache.entry_key(text)


def build_executable(program):
    """Compile an already optimized ``program`` (the pipeline, steps 2-5)."""
    planned = _plan_steps(program)
    steps = [s for s, _ in planned]
    kinds = [_kind(s, p) for s, p in planned]
    kind_of = dict(zip(steps, kinds))
    buffers = buffer_plan(program, steps, fresh=lambda s: kind_of[s] != "reference",
                          accepts_buffers=lambda s: kind_of[s] == "kernel")
    # OpenBLAS's threads spin-wait after each call and starve the kernels' worker
    # threads (measured: MLP step 112 ms with both, 2.6 ms with single-threaded
    # kernels), so an executable that calls BLAS runs its kernels on the calling thread.
    may_thread = "blas" not in kinds
    specs = [_KernelSpec(i, _region_program(s), p, may_thread)
             for i, (s, p) in enumerate(planned) if p is not None]
    native = NativeModule(specs, _disk_key(program))
    slots = slot_numbers(program)
    callers = iter(native.callers)
    readers = _native_readers(planned)
    run_steps = []
    for step, kind, donations, frees in zip(steps, kinds, buffers.donations, buffers.frees):
        run, inputs, outputs = RUNNERS[kind](step, callers, donations, readers, slots)
        run_steps.append(RunStep(run, inputs, outputs, tuple(slots[v] for v in frees)))
    infos = [StepInfo(kind, s.eqns, s.inputs, s.outputs) for s, kind in zip(steps, kinds)]
    executable = Executable(program, run_steps, infos, slots, buffers, native.llvm_ir)
    executable.loaded_from_disk_cache = native.from_cache
    return executable


# Each builder returns ``(run, input slots, output slots)`` for one step.

def _kernel_step(step, callers, donations, readers, slots):
    positions = {step.outputs.index(o): k for k, (o, _) in enumerate(donations)}
    run = _kernel_runner(next(callers), [v.aval for v in step.outputs], positions)
    inputs = tuple(slots[v] for v in step.inputs) + tuple(slots[d] for _, d in donations)
    return run, inputs, tuple(slots[v] for v in step.outputs)


def _blas_step(step, callers, donations, readers, slots):
    (eqn,) = step.eqns
    return (blas_runner(eqn), tuple(slots[a] for a in eqn.inputs),
            tuple(slots[v] for v in eqn.outputs))


def _reference_step(step, callers, donations, readers, slots):
    """A single equation's runner returns all its outputs (used or not); literal
    operands are read from their own slots."""
    (eqn,) = step.eqns
    run = reference_runner(eqn, [v in readers for v in eqn.outputs])
    return run, tuple(slots[a] for a in eqn.inputs), tuple(slots[v] for v in eqn.outputs)


RUNNERS = {"kernel": _kernel_step, "blas": _blas_step, "reference": _reference_step}


class CpuBackend:
    platform = "cpu"
    CACHE_LIMIT = 1024

    def __init__(self):
        self._devices = [CpuDevice(0)]
        self._by_identity = {}      # id(program) -> (program, executable)
        self._by_text = {}          # serialized program -> executable
        self._lock = threading.Lock()

    def devices(self):
        return list(self._devices)

    def put(self, host_array, device=None):
        """Copy a host array into a buffer the backend owns."""
        return np.array(host_array, copy=True)

    def get(self, buffer):
        return np.asarray(buffer)

    def compile(self, program):
        """The ``Executable`` of ``program``, compiled once and cached.

        >>> exe = CPU_BACKEND.compile(make_ir(lambda x: x + 1.0)(np.ones(3, np.float32)))
        >>> exe(np.zeros(3, np.float32))
        [array([1., 1., 1.], dtype=float32)]
        """
        hit = self._by_identity.get(id(program))
        if hit is not None and hit[0] is program:
            return hit[1]
        text = _structural_key(program)
        executable = self._by_text.get(text) if text is not None else None
        if executable is None:
            # the passes' output type-checks (tests/test_passes.py); checking it on
            # every compile would cost more than the passes themselves
            executable = build_executable(optimize_program(program, check=False))
        with self._lock:
            if len(self._by_identity) >= self.CACHE_LIMIT:
                self._by_identity.clear()
                self._by_text.clear()
            self._by_identity[id(program)] = (program, executable)
            if text is not None:
                self._by_text[text] = executable
        return executable


CPU_BACKEND = CpuBackend()
