"""The CPU backend: buffers are NumPy arrays, so eager ops run each primitive's reference
implementation on them directly (``transforms.core.eager``); ``compile(program)``
turns a program into an ``Executable`` of native code.

The compiler pipeline (``CpuBackend.compile``), unless the disk cache holds the
whole executable under the given program's fingerprint (executable_entry.py: then
none of these steps runs):

1. ``xla_like.passes.optimize``: inlining, simplification, constant folding, CSE, DCE;
2. ``partition``: fused regions (``xla_like.backends.llvm.fusible``) and single
   equations; a region the kernel compiler refuses is split into single equations;
   each single equation gets the first step kind that takes it (``STEP_KINDS``: BLAS,
   its standalone native kernel, a view, a compiled call, a loop over compiled
   sub-programs: loop_step.py), else the reference
   fallback (the documented few: executable.py);
3. ``buffer_plan``: drop values after their last use; kernels and standalone kernels
   write into dead buffers of their outputs' shape and dtype;
4. the fused kernels and the standalone kernels in LLVM modules compiled to object
   code in parallel threads, all loaded into one MCJIT engine (native.py);
5. an ``Executable`` with one runner per step.

Kernels above ``parallel.PARALLEL_THRESHOLD`` elements are split across the cores,
except in executables that also call BLAS (see ``_specs``).

Compiled executables are cached in memory by program identity (programs are
immutable) and by the program's fingerprint (``compile_cache.fingerprint``: equal
structure, params and constants, whatever the source locations).
"""
import threading
from typing import NamedTuple

import numpy as np

from xla_like.backends import compile_cache, executable_entry
from xla_like.backends.executable import (Executable, RunStep, StepInfo, blas_eligible,
                                          blas_runner, call_eligible, call_runner,
                                          reference_runner, slot_numbers, view_eligible,
                                          view_runner)
from xla_like.backends.llvm import fusible
from xla_like.backends.loop_step import control_flow_eligible, control_flow_runner
from xla_like.backends.llvm.plan import make_plan
from xla_like.backends.llvm.standalone import calls_blas, has_standalone
from xla_like.backends.native import KernelSpec, NativeModule, StandaloneSpec
from xla_like.config import config
from xla_like.gc_pause import gc_paused
from xla_like.ir import Program
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


# step kind -> does it take this single (unfused) equation; the first that does wins,
# "reference" (the primitive's NumPy impl) takes what none takes: see executable.py
STEP_KINDS = (("blas", blas_eligible), ("view", view_eligible), ("native", has_standalone),
              ("call", call_eligible), ("loop", control_flow_eligible))


def _kind(step, plan):
    if plan is not None:
        return "kernel"
    eqn = step.eqns[0]
    for kind, takes in STEP_KINDS:
        if takes(eqn):
            return kind
    return "reference"


class _Context(NamedTuple):
    """What the step builders share: slots, the callers of the native module's kernels
    (iterators, in step order) and the Vars native code reads."""
    slots: dict
    kernels: object
    standalone: object
    readers: set


# Steps whose outputs are fresh buffers nothing else aliases (the buffer plan may hand
# them on once dead), and steps that can write into such a handed-on buffer.
FRESH_KINDS = {"kernel", "blas", "native"}
BUFFER_TAKING_KINDS = {"kernel", "native"}


def _specs(steps, kinds, kernel_args):
    """The native module's ``(KernelSpec list, StandaloneSpec list)``; ``kernel_args``
    holds per fused kernel ``{"plan": plan}`` or, restored, ``{"counts": counts}``."""
    # OpenBLAS's threads spin-wait after each call and starve the kernels' worker
    # threads (measured: MLP step 112 ms with both, 2.6 ms with single-threaded
    # kernels), so an executable that calls BLAS (float convolution does too) runs its
    # kernels on the calling thread.
    natives = [s.eqns[0] for s, kind in zip(steps, kinds) if kind == "native"]
    may_thread = "blas" not in kinds and not any(calls_blas(e) for e in natives)
    kernels = [(i, s) for i, (s, kind) in enumerate(zip(steps, kinds)) if kind == "kernel"]
    specs = [KernelSpec(i, _region_program(s), may_thread, **args)
             for (i, s), args in zip(kernels, kernel_args)]
    standalone = [StandaloneSpec(i, eqn, may_thread) for i, eqn in enumerate(natives)]
    return specs, standalone


def build_executable(program, key=None):
    """Compile an already optimized ``program`` (the pipeline, steps 2-5); with a
    disk-cache ``key``, store the whole executable under it (executable_entry.py)."""
    planned = _plan_steps(program)
    steps = [s for s, _ in planned]
    kinds = [_kind(s, p) for s, p in planned]
    specs, standalone = _specs(steps, kinds, [{"plan": p} for _, p in planned if p is not None])
    native = NativeModule(specs, standalone)
    if key is not None:         # even without native code: a hit skips the passes
        payload = executable_entry.encode(program, steps, kinds, native)
        if payload is not None:
            compile_cache.store(key, payload)
    return _assemble(program, steps, kinds, native)


def _restore(entry):
    """The executable of a decoded disk-cache entry, or None if it does not fit."""
    program = entry.program
    steps = steps_from_groups(entry.groups, program)
    kernel_steps = [s for s, kind in zip(steps, entry.kinds) if kind == "kernel"]
    if any(c[0] != len(s.inputs) + len(s.outputs) for s, c in zip(kernel_steps, entry.kernels)):
        return None
    specs, standalone = _specs(steps, entry.kinds, [{"counts": c} for c in entry.kernels])
    if not all(spec.restore(meta) for spec, meta in zip(standalone, entry.standalone)):
        return None
    return _assemble(program, steps, entry.kinds, NativeModule(specs, standalone, entry.objects))


def _compile_program(program, fingerprint):
    """Load the executable of ``program`` from the disk cache, or compile (and store) it."""
    key = None
    if fingerprint is not None and config.compilation_cache:
        key = compile_cache.entry_key(fingerprint)
        entry = executable_entry.decode(compile_cache.load(key), STEP_BUILDERS)
        executable = _restore(entry) if entry is not None else None
        if executable is not None:
            return executable
    # the passes' output type-checks (tests/test_passes.py); checking it on every
    # compile would cost more than the passes themselves
    return build_executable(optimize_program(program, check=False), key)


def _assemble(program, steps, kinds, native):
    """The ``Executable`` running ``steps`` of ``kinds`` with ``native``'s kernels."""
    kind_of = dict(zip(steps, kinds))
    buffers = buffer_plan(program, steps, fresh=lambda s: kind_of[s] in FRESH_KINDS,
                          accepts_buffers=lambda s: kind_of[s] in BUFFER_TAKING_KINDS)
    slots = slot_numbers(program)
    readers = {v for step, kind in zip(steps, kinds) if kind != "reference"
               for v in step.inputs}
    context = _Context(slots, iter(native.callers), iter(native.standalone_callers), readers)
    run_steps = []
    for step, kind, donations, frees in zip(steps, kinds, buffers.donations, buffers.frees):
        run, inputs, outputs = STEP_BUILDERS[kind](step, donations, context)
        run_steps.append(RunStep(run, inputs, outputs, tuple(slots[v] for v in frees)))
    infos = [StepInfo(kind, s.eqns, s.inputs, s.outputs) for s, kind in zip(steps, kinds)]
    executable = Executable(program, run_steps, infos, slots, buffers, native.llvm_ir)
    executable.loaded_from_disk_cache = native.from_cache
    return executable


# Each builder returns ``(run, input slots, output slots)`` for one step.

def _kernel_step(step, donations, context):
    slots = context.slots
    positions = {step.outputs.index(o): k for k, (o, _) in enumerate(donations)}
    call = next(context.kernels)
    run = _kernel_runner(call, [v.aval for v in step.outputs], positions)
    run.kernel = call           # ``call(*inputs, *outputs)``, for native loops (native_loop.py)
    inputs = tuple(slots[v] for v in step.inputs) + tuple(slots[d] for _, d in donations)
    return run, inputs, tuple(slots[v] for v in step.outputs)


def _native_step(step, donations, context):
    """A standalone kernel reads every operand (literals from their own slots) and
    writes every output of its equation (used or not), some into donated buffers."""
    (eqn,) = step.eqns
    slots = context.slots
    positions = {eqn.outputs.index(o): k for k, (o, _) in enumerate(donations)}
    run = _kernel_runner(next(context.standalone), [v.aval for v in eqn.outputs], positions)
    inputs = tuple(slots[a] for a in eqn.inputs) + tuple(slots[d] for _, d in donations)
    return run, inputs, tuple(slots[v] for v in eqn.outputs)


def _single_eqn_step(make_runner):
    """A builder for a step running one equation through ``make_runner(eqn, contiguous)``
    (``contiguous[i]``: output ``i`` is read by native code)."""
    def build(step, donations, context):
        (eqn,) = step.eqns
        slots = context.slots
        run = make_runner(eqn, [v in context.readers for v in eqn.outputs])
        return run, tuple(slots[a] for a in eqn.inputs), tuple(slots[v] for v in eqn.outputs)
    return build


STEP_BUILDERS = {"kernel": _kernel_step, "native": _native_step,
                 "blas": _single_eqn_step(lambda eqn, contiguous: blas_runner(eqn)),
                 "view": _single_eqn_step(view_runner),
                 "call": _single_eqn_step(
                     lambda eqn, contiguous: call_runner(eqn, contiguous, CPU_BACKEND.compile)),
                 "loop": _single_eqn_step(
                     lambda eqn, contiguous: control_flow_runner(eqn, contiguous,
                                                                 CPU_BACKEND.compile)),
                 "reference": _single_eqn_step(reference_runner)}


class CpuBackend:
    platform = "cpu"
    CACHE_LIMIT = 1024

    def __init__(self):
        self._devices = [CpuDevice(0)]
        self._by_identity = {}      # id(program) -> (program, executable)
        self._by_fingerprint = {}   # compile_cache.fingerprint(program) -> executable
        self._lock = threading.Lock()

    def devices(self):
        return list(self._devices)

    def clear(self):
        """Forget the executables compiled in this process (the disk cache stays), so
        the next compile of any program is a disk-cache hit or a fresh compile."""
        with self._lock:
            self._by_identity.clear()
            self._by_fingerprint.clear()

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
        with gc_paused():
            fingerprint = compile_cache.fingerprint(program)
            executable = self._by_fingerprint.get(fingerprint) if fingerprint else None
            if executable is None:
                executable = _compile_program(program, fingerprint)
        with self._lock:
            if len(self._by_identity) >= self.CACHE_LIMIT:
                self._by_identity.clear()
                self._by_fingerprint.clear()
            self._by_identity[id(program)] = (program, executable)
            if fingerprint is not None:
                self._by_fingerprint[fingerprint] = executable
        return executable


CPU_BACKEND = CpuBackend()
