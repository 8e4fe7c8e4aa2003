"""The native code of one executable: its fused loop kernels and its standalone kernels,
compiled together into one MCJIT engine and stored in the disk cache as one entry.

* A fused region (``KernelSpec``) becomes a loop kernel (``xla_like.backends.llvm``),
  optimized with the O3 pipeline and its vectorizers.
* An equation with a standalone kernel (``StandaloneSpec``: gather/scatter, sort,
  cumulative ops, windows, convolution, copies, random bits, integer ``dot_general``)
  links that package's functions (``standalone.linkable``) into the executable's
  modules, optimized with that package's own options (runtime.py: speed level 2,
  unrolling and vectorizers per kernel; measured on 8 mixed standalone kernels, 105 ms
  that way against 140 ms under the fused kernels' O3 pipeline).  Float convolution
  links its native im2col function and calls BLAS for the sums.

Why linked in rather than ``standalone.compile_standalone_many``: the object code then
lands in the executable's disk-cache entry (a process that loads the entry compiles
nothing; emitting the IR alone costs ~1 ms a kernel, so the entry also holds the
little each kernel's caller needs: scratch bytes, rows, work), and all the modules
compile in parallel threads.  Measured on a program with 12 standalone kernels (sort,
cumsum, cummax, rev, pad, slice, concatenate, int and float convolutions, int
``dot_general``) and 3 fused kernels, on this loaded 2-core machine: compiling the
executable took ~200 ms, about the sum of its parts compiled one after the other
(fused module ~100 ms, ``compile_standalone_many`` of the 12 equations ~118 ms);
loading it from the disk cache took ~4 ms.

Functions are grouped into modules: the fused kernels into up to one module per
core, the standalone functions into one module per set of optimization options; each
module is optimized and compiled to object code in its own thread.

Small kernels are called through a wrapper that reads the arrays' data pointers
itself (``DATA_OFFSET``), so a call costs one ctypes call with object arguments;
kernels that may split across cores are called with raw pointers.
"""
import ctypes
import struct
from concurrent.futures import ThreadPoolExecutor

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from xla_like.backends.llvm import parallel
from xla_like.backends.llvm.codegen import build_function
from xla_like.backends.llvm.engine import new_module, new_target_machine, target_machine
from xla_like.backends.llvm.plan import make_plan
from xla_like.backends.llvm.standalone import PlainKernel, StandaloneKernel, linkable
from xla_like.backends.llvm.standalone import runtime as standalone_runtime


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
# the scratch argument of standalone kernels that need none (never read)
_NO_SCRATCH = np.empty(8, np.uint8)


def _add_object_wrapper(module, kernel, name, n_ptrs, extra):
    """``void name(PyArrayObject* ...)``: load each array's data pointer and call
    ``kernel(pointers..., *extra)`` (on the calling thread)."""
    wrapper = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * n_ptrs), name)
    b = ir.IRBuilder(wrapper.append_basic_block("entry"))
    pointers = [b.load(b.gep(arg, [ir.Constant(_I64, DATA_OFFSET)], source_etype=_I8),
                       typ=_PTR) for arg in wrapper.args]
    b.call(kernel, pointers + [ir.Constant(_I64, e) for e in extra])
    b.ret_void()


def _object_caller(engine, name, n_ptrs):
    """The object wrapper ``name`` as a Python callable, or None when the object code
    has none (an entry compiled under another ``PARALLEL_THRESHOLD``)."""
    address = engine.get_function_address(name)
    if not address:
        return None
    return ctypes.PYFUNCTYPE(None, *[ctypes.py_object] * n_ptrs)(address)


class KernelSpec:
    """A fused region to compile: its program, plan and function names.  A spec
    restored from a disk-cache entry has ``counts`` instead of a plan (its plan is
    made on demand: only ``NativeModule.llvm_ir`` needs it)."""
    options = None          # the fused kernels' O3 pipeline

    def __init__(self, index, program, may_thread, plan=None, counts=None):
        self.program, self._plan = program, plan
        self.name = f"kernel{index}"
        if plan is not None:
            counts = (len(plan.param_avals) + len(plan.out_avals),
                      plan.loop_sizes[0] if plan.outer_size else 0,
                      plan.outer_size * max(1, plan.inner_size))
        self.n_ptrs, self.outer, self.elements = counts
        self.threaded = DATA_OFFSET is None or (
            may_thread and self.elements >= parallel.PARALLEL_THRESHOLD)

    @property
    def plan(self):
        if self._plan is None:
            self._plan = make_plan(self.program)
        return self._plan

    def counts(self):
        """What calling the kernel needs besides its object code (see ``restore``)."""
        return [self.n_ptrs, self.outer, self.elements]

    def build(self, module):
        fn = build_function(module, self.plan, self.name)
        if not self.threaded:
            _add_object_wrapper(module, fn, self.name + "_objects", self.n_ptrs,
                                (0, self.outer))

    def inlined(self):
        """Whether only the object wrapper calls the kernel (see ``_optimize_and_emit``)."""
        return not self.threaded

    def caller(self, engine):
        """``call(*arrays)``: run the kernel on input then output arrays."""
        if not self.outer:
            return lambda *arrays: None
        wrapper = None if self.threaded else _object_caller(engine, self.name + "_objects",
                                                            self.n_ptrs)
        if wrapper is not None:
            return wrapper
        address = engine.get_function_address(self.name)
        if not address:         # compiled unthreaded (another PARALLEL_THRESHOLD)
            return _object_caller(engine, self.name + "_objects", self.n_ptrs)
        signature = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * self.n_ptrs, ctypes.c_int64,
                                     ctypes.c_int64)
        cfunc = signature(address)
        outer, elements = self.outer, self.elements

        def call(*arrays):
            parallel.run(cfunc, [a.ctypes.data for a in arrays], outer, elements)
        return call


class StandaloneSpec:
    """One equation's standalone kernel, linked into the executable (see the module
    docstring).  ``emitted`` holds its functions' ``runtime.Emitted`` once emitted (or
    rebuilt from a cache entry's metadata)."""

    def __init__(self, index, eqn, may_thread):
        self.eqn, self.may_thread = eqn, may_thread
        self.part = linkable(eqn, f"standalone{index}")
        self.plain = isinstance(self.part, PlainKernel)
        self.emitted = None

    def emit(self):
        self.emitted = self.part.emit()
        return self.emitted

    def wrapped(self):
        """A plain kernel too small to split is called through an object wrapper."""
        (e,) = self.emitted
        return DATA_OFFSET is not None and not (
            self.may_thread and e.rows > 1 and e.work >= parallel.PARALLEL_THRESHOLD)

    def wrapper_ir(self):
        """The object wrapper's module (it declares the kernel; linking resolves it)."""
        (e,) = self.emitted
        module = new_module("wrapper")
        n_ptrs = len(e.in_avals) + len(e.out_avals) + 1
        kernel = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * n_ptrs
                                                     + [_I64, _I64]), e.name)
        _add_object_wrapper(module, kernel, e.name + "_objects", n_ptrs, (0, e.rows))
        return str(module)

    def metadata(self):
        return [[e.name, e.scratch_bytes, e.rows, e.work] for e in self.emitted]

    def restore(self, metadata):
        """Rebuild ``emitted`` (without IR) from a cache entry; False if it does not fit."""
        signatures = self.part.signatures()
        shaped = isinstance(metadata, list) and all(
            isinstance(m, list) and len(m) == 4 and all(type(v) is int for v in m[1:])
            for m in metadata)
        if not shaped or [m[0] for m in metadata] != [s[0] for s in signatures]:
            return False
        self.emitted = [standalone_runtime.Emitted(name, None, ins, outs, *meta[1:], None)
                        for (name, ins, outs), meta in zip(signatures, metadata)]
        return True

    def _wrapper_call(self, engine):
        """``call(*inputs, *outputs)`` through the object wrapper, or None."""
        if not (self.plain and self.wrapped()):
            return None
        (e,) = self.emitted
        cfunc = _object_caller(engine, e.name + "_objects",
                               len(e.in_avals) + len(e.out_avals) + 1)
        if cfunc is None:
            return None
        if not e.scratch_bytes:
            return lambda *arrays: cfunc(*arrays, _NO_SCRATCH)
        nbytes, empty = e.scratch_bytes, np.empty
        return lambda *arrays: cfunc(*arrays, empty(nbytes, np.uint8))

    def caller(self, engine):
        """``call(*inputs, *outputs)``; a call with no output element does nothing."""
        if all(v.aval.size == 0 for v in self.eqn.outputs):
            return lambda *arrays: None
        call = self._wrapper_call(engine)
        if call is not None:
            return call
        kernels = [StandaloneKernel(engine, e) for e in self.emitted]
        for k in kernels:
            k.threaded = self.may_thread
        kernel = self.part.assemble(kernels)
        n_in = len(self.eqn.inputs)
        return lambda *arrays: kernel.call_into(arrays[:n_in], arrays[n_in:])


# ---- compiling ---------------------------------------------------------------------------

def _optimize_and_emit(job):
    """``(texts, options, inlined)`` -> object code: parse and link the LLVM IR texts,
    verify, optimize (``options`` None: the O3 pipeline with the loop and SLP
    vectorizers, as ``llvm.engine.optimize``; else the standalone kernels'
    ``(vectorize, unroll)``), generate native code.  Runs in a worker thread: it owns
    its LLVM context and target machine (neither is thread-safe), and llvmlite
    releases the GIL inside LLVM.

    The functions named in ``inlined`` are called only by their object wrapper, with
    constant bounds: made internal and always inlined there, their loop gets a known
    trip count and no other copy survives, so LLVM compiles one vector loop instead
    of a vector body, a vector epilogue and a scalar remainder (when the count is a
    multiple of the vector width).  Measured on the 1,000-equation chain of 1,024
    elements: LLVM's work 0.38 s -> 0.21 s of CPU, run time unchanged."""
    texts, options, inlined = job
    context = llvm.create_context()
    machine = new_target_machine()
    module = llvm.parse_assembly(texts[0], context=context)
    for text in texts[1:]:
        module.link_in(llvm.parse_assembly(text, context=context))
    module.verify()
    for name in inlined:
        function = module.get_function(name)
        function.linkage = "internal"
        function.add_function_attribute("alwaysinline")
    if options is None:
        tuning = llvm.create_pipeline_tuning_options(speed_level=3)
        tuning.loop_vectorization = True
        tuning.slp_vectorization = True
        builder = llvm.create_pass_builder(machine, tuning)
        builder.getModulePassManager().run(module, builder)
    else:
        standalone_runtime.optimize(module, *options, machine=machine)
    return machine.emit_object(module)


def _groups(specs, parts):
    """Split fused ``specs`` into at most ``parts`` contiguous groups of similar size."""
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


def pack(objects):
    """Length-prefixed blobs as one payload (``unpack`` reverses it)."""
    return b"".join(_LENGTH.pack(len(o)) + o for o in objects)


def unpack(payload):
    """The blobs of a payload, or None when it is malformed."""
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

    ``objects`` is the object code read from a disk-cache entry (``standalone``
    specs already restored), or None: compile it (then kept in ``objects`` for the
    cache).  ``callers`` and ``standalone_callers`` hold one ``call(*arrays)`` per spec."""

    # below this many planned nodes in all, one fused module (threads would cost more)
    PARALLEL_NODES = 40

    def __init__(self, specs, standalone, objects=None):
        self.specs, self.standalone = specs, standalone
        self.from_cache = objects is not None
        anything = bool(specs or standalone)
        if objects is None:
            objects = self._compile() if anything else []
        self.objects = objects
        self._engine = None
        self.callers, self.standalone_callers = [], []
        if anything:            # a program without kernels needs no engine
            self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""),
                                                      new_target_machine())
            for obj in objects:
                self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
            self._engine.finalize_object()
            self.callers = [spec.caller(self._engine) for spec in specs]
            self.standalone_callers = [spec.caller(self._engine) for spec in standalone]

    @property
    def groups(self):
        """The fused specs per LLVM module (one module per core when big enough)."""
        parts = parallel.worker_count() if sum(len(s.plan.nodes) for s in self.specs) \
            >= self.PARALLEL_NODES else 1
        return _groups(self.specs, parts) if self.specs else []

    def _group_ir(self, group):
        module = new_module("executable")
        for spec in group:
            spec.build(module)
        return str(module)

    def _group_job(self, group):
        return [self._group_ir(group)], None, [s.name for s in group if s.inlined()]

    def _standalone_jobs(self):
        """``(texts, options, ())`` per set of optimization options of the standalone
        functions (emitting them first if needed)."""
        jobs = {}
        for spec in self.standalone:
            emitted = spec.emitted if spec.emitted and spec.emitted[0].llvm_ir else spec.emit()
            for e in emitted:
                jobs.setdefault(e.options, []).append(e.llvm_ir)
            if spec.plain and spec.wrapped():
                jobs[emitted[0].options].append(spec.wrapper_ir())
        return [(texts, options, ()) for options, texts in jobs.items()]

    def llvm_ir(self):
        """The LLVM IR of every kernel before optimization (rebuilt on demand)."""
        texts = [self._group_ir(group) for group in self.groups]
        return "\n".join(texts + [t for texts, _, _ in self._standalone_jobs() for t in texts])

    def _compile(self):
        """Object code of every module.  Each module is handed to a worker thread as
        soon as its IR is built, so building the next module's IR (Python, holding
        the GIL) overlaps LLVM's work on the previous ones (LLVM releases the GIL)."""
        groups = self.groups
        if len(groups) + bool(self.standalone) <= 1:
            jobs = [self._group_job(group) for group in groups]
            return [_optimize_and_emit(job) for job in jobs + self._standalone_jobs()]
        with ThreadPoolExecutor(max_workers=parallel.worker_count()) as pool:
            futures = [pool.submit(_optimize_and_emit, self._group_job(group))
                       for group in groups]
            futures += [pool.submit(_optimize_and_emit, job) for job in self._standalone_jobs()]
            return [future.result() for future in futures]
