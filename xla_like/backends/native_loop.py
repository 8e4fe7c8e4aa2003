"""A scan's loop in native code, for bodies made only of fused kernels and matrix
products (a tanh RNN's ``h @ W`` then ``tanh(. + x_t @ U + b)``, and its backward
body's ``dz @ W.T``).

The Python loop of loop_step.py costs ~5 us per iteration (slicing, the body's step
list, a ctypes call per kernel, a copy into the stacked ``ys``), as much as a
32x256x256 matrix product.  Here one LLVM function runs every iteration:

* each step is a direct call: a kernel's object wrapper (native.py) with the
  ``PyArrayObject*`` of its operands, or NumPy's own ``cblas_?gemm`` on their data
  pointers (either operand may be transposed);
* a carry lives in two buffers used in turn (iteration ``t`` reads one, writes the
  other), so a step producing the next carry writes it in place and nothing reads a
  buffer while it is written; a carry passed through unchanged is copied;
* an ``xs`` slice is a view object whose data pointer the loop moves along ``xs`` (and
  puts back at the end); each ``ys`` slice is copied into its stacked buffer.

Buffers are allocated per call (so an executable may run on several threads), the
function's addresses are constants of the module, compiled once per executable (no
optimization passes: it is only calls), so the loop is never stored in the disk cache.
``build`` returns None for any body it does not cover; loop_step.py then runs it in
Python.
"""
import ctypes
import functools
import os

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from xla_like.backends.llvm.engine import new_module, new_target_machine
from xla_like.backends.native import DATA_OFFSET
from xla_like.ir import Var
from xla_like.primitives.contractions import matrix_product_transposes

_I8, _I32, _I64, _PTR = ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.PointerType()
# NumPy 2's wheels ship OpenBLAS with 64-bit integers and prefixed, suffixed names
_GEMM = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", ir.FloatType()),
         np.dtype(np.float64): ("scipy_cblas_dgemm64_", ir.DoubleType())}
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


@functools.cache
def _numpy_blas_symbol(name):
    """The address of ``name`` in the BLAS library NumPy itself loaded (its OpenBLAS),
    or None.  The loop must use that library: a second BLAS (SciPy's) brings a second
    pool of spinning worker threads, which on two cores made each product 1.4x slower."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower()}
    except OSError:
        return None
    root = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    for path in sorted(p for p in paths if p.startswith(root)):
        try:
            return ctypes.cast(getattr(ctypes.CDLL(path), name), ctypes.c_void_p).value
        except (OSError, AttributeError):
            continue
    return None


class _Plan:
    """Where each body value lives: ``slot`` numbers a per-call table of array objects;
    a carry ``k`` has two slots (``carry + 2k`` and the next), picked by parity."""

    def __init__(self, body, nc, ncar):
        program = body.program
        self.invars = program.invars
        self.consts = list(zip(program.constvars, program.consts))
        self.nc, self.ncar = nc, ncar
        self.n_x = len(self.invars) - nc - ncar
        self.outvars = program.outvars
        self.slot = {}
        for k, v in enumerate(self.invars[:nc]):
            self.slot[v] = ("fixed", k)
        for k, (v, _) in enumerate(self.consts):
            self.slot[v] = ("fixed", nc + k)
        self.carry_base = nc + len(self.consts)
        for k, v in enumerate(self.invars[nc:nc + ncar]):
            self.slot[v] = ("read", k)
        self.window_base = self.carry_base + 2 * ncar
        for j, v in enumerate(self.invars[nc + ncar:]):
            self.slot[v] = ("fixed", self.window_base + j)
        self.xs_base = self.window_base + self.n_x
        self.temp_base = self.xs_base + self.n_x
        # a step output that is carry k is written straight into carry k's next buffer
        self.writes_carry = {}
        for k, v in enumerate(self.outvars[:ncar]):
            if isinstance(v, Var) and v not in self.slot and v not in self.writes_carry:
                self.writes_carry[v] = k
        self.temps = []
        for info in body.steps:
            for v in info.outputs:
                if v in self.writes_carry:
                    self.slot[v] = ("write", self.writes_carry[v])
                else:
                    self.slot[v] = ("fixed", self.temp_base + len(self.temps))
                    self.temps.append(v)
        self.ys_base = self.temp_base + len(self.temps)
        self.size = self.ys_base + len(self.outvars) - ncar


def _calls(body):
    """Per step ``(kind, address, step info)``, or None if a step is not covered."""
    calls = []
    for (run, *_), info in zip(body._steps, body.steps):
        if info.kind == "kernel":
            kernel = getattr(run, "kernel", None)
            if not isinstance(kernel, ctypes._CFuncPtr):
                return None     # a kernel split across threads: called from Python
            calls.append(("kernel", ctypes.cast(kernel, ctypes.c_void_p).value, info))
        elif info.kind == "blas":
            (eqn,) = info.eqns
            if not all(isinstance(a, Var) for a in eqn.inputs):
                return None
            if _gemm_layout(eqn) is None:
                return None
            lhs = eqn.inputs[0].aval
            address = _numpy_blas_symbol(_GEMM[lhs.dtype][0])
            if address is None:
                return None
            calls.append(("blas", address, info))
        else:
            return None
    return calls


class _Emitter:
    """Builds ``void loop(PyObject** objects, i64 length, i64 reverse)``."""

    def __init__(self, plan):
        self.plan = plan
        self.module = new_module("native_loop")
        fn = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [_PTR, _I64, _I64]),
                         "loop")
        self.objects, self.length, self.reverse = fn.args
        self.fn = fn
        self.entry = fn.append_basic_block("entry")
        self.b = ir.IRBuilder(self.entry)
        self.memcpy = self.module.declare_intrinsic("llvm.memcpy", [_PTR, _PTR, _I64])

    def object_at(self, index):
        return self.b.load(self.b.gep(self.objects, [index], source_etype=_PTR), typ=_PTR)

    def data_field(self, obj):
        return self.b.gep(obj, [ir.Constant(_I64, DATA_OFFSET)], source_etype=_I8)

    def data(self, obj):
        return self.b.load(self.data_field(obj), typ=_PTR)

    def obj(self, var, parity):
        """The array object of ``var`` in this iteration."""
        where, k = self.plan.slot[var]
        if where == "fixed":
            return self.object_at(ir.Constant(_I64, k))
        base = ir.Constant(_I64, self.plan.carry_base + 2 * k)
        pick = parity if where == "read" else self.b.xor(parity, ir.Constant(_I64, 1))
        return self.object_at(self.b.add(base, pick))

    def external(self, address, arg_types):
        """The function at ``address`` (``void f(arg_types...)``), declared by a name
        that the process's symbol table resolves to it."""
        name = f"functorch_lite_native_{address:x}"
        if name not in self.module.globals:
            llvm.add_symbol(name, address)
            ir.Function(self.module, ir.FunctionType(ir.VoidType(), arg_types), name)
        return self.module.globals[name]


def _emit(plan, calls):
    e = _Emitter(plan)
    b = e.b
    bases = [e.data(e.object_at(ir.Constant(_I64, plan.xs_base + j))) for j in range(plan.n_x)]
    strides = [v.aval.size * v.aval.dtype.itemsize for v in plan.invars[plan.nc + plan.ncar:]]
    header = e.fn.append_basic_block("header")
    loop = e.fn.append_basic_block("body")
    done = e.fn.append_basic_block("done")
    b.branch(header)
    b.position_at_end(header)
    t = b.phi(_I64)
    t.add_incoming(ir.Constant(_I64, 0), e.entry)
    b.cbranch(b.icmp_signed("<", t, e.length), loop, done)
    b.position_at_end(loop)
    last = b.sub(e.length, ir.Constant(_I64, 1))
    i = b.select(b.icmp_signed("!=", e.reverse, ir.Constant(_I64, 0)), b.sub(last, t), t)
    parity = b.and_(t, ir.Constant(_I64, 1))
    for j, (base, stride) in enumerate(zip(bases, strides)):
        window = e.object_at(ir.Constant(_I64, plan.window_base + j))
        b.store(b.gep(base, [b.mul(i, ir.Constant(_I64, stride))], source_etype=_I8),
                e.data_field(window))
    for kind, address, info in calls:
        if kind == "kernel":
            args = [e.obj(v, parity) for v in info.inputs + info.outputs]
            b.call(e.external(address, [_PTR] * len(args)), args)
        else:
            _emit_gemm(e, address, info.eqns[0], parity)
    _emit_copies(e, plan, i, parity)
    t_next = b.add(t, ir.Constant(_I64, 1))
    t.add_incoming(t_next, b.block)
    b.branch(header)
    b.position_at_end(done)
    for j, base in enumerate(bases):       # the windows point at their first slice again
        window = e.object_at(ir.Constant(_I64, plan.window_base + j))
        b.store(base, e.data_field(window))
    b.ret_void()
    return str(e.module)


def _gemm_layout(eqn):
    """``(trans_a, trans_b, m, n, k, lda, ldb)`` of a ``dot_general`` of two C-contiguous
    float matrices contracting one axis each (either one), for row-major
    ``cblas_?gemm``; None for anything else (batch axes, vectors, mixed dtypes)."""
    lhs, rhs = (a.aval for a in eqn.inputs)
    transposes = matrix_product_transposes(lhs, rhs, **eqn.params)
    if transposes is None or lhs.ndim != 2 or rhs.ndim != 2 or lhs.dtype not in _GEMM:
        return None
    trans_a, trans_b = transposes
    m, k = lhs.shape[::-1] if trans_a else lhs.shape
    n = rhs.shape[0] if trans_b else rhs.shape[1]
    return trans_a, trans_b, m, n, k, lhs.shape[1], rhs.shape[1]


def _emit_gemm(e, address, eqn, parity):
    """``cblas_?gemm`` (row-major) of a ``dot_general``: C = op(A) op(B)."""
    trans_a, trans_b, m, n, k, lda, ldb = _gemm_layout(eqn)
    ty = _GEMM[eqn.inputs[0].aval.dtype][1]
    a, b = (e.data(e.obj(v, parity)) for v in eqn.inputs)
    c = e.data(e.obj(eqn.outputs[0], parity))
    flags = [_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS]
    i64 = [ir.Constant(_I64, x) for x in (m, n, k, lda, ldb, n)]
    args = [ir.Constant(_I32, x) for x in flags] + i64[:3] + [
        ir.Constant(ty, 1.0), a, i64[3], b, i64[4], ir.Constant(ty, 0.0), c, i64[5]]
    e.b.call(e.external(address, [arg.type for arg in args]), args)


def _emit_copies(e, plan, i, parity):
    """Carries not written in place, and every ``ys`` slice, by ``memcpy``."""
    b = e.b
    false = ir.Constant(ir.IntType(1), 0)
    for k, v in enumerate(plan.outvars[:plan.ncar]):
        if plan.writes_carry.get(v) == k:
            continue
        nbytes = ir.Constant(_I64, v.aval.size * v.aval.dtype.itemsize)
        dst = e.data(e.object_at(b.add(ir.Constant(_I64, plan.carry_base + 2 * k),
                                       b.xor(parity, ir.Constant(_I64, 1)))))
        b.call(e.memcpy, [dst, e.data(e.obj(v, parity)), nbytes, false])
    for j, v in enumerate(plan.outvars[plan.ncar:]):
        nbytes = v.aval.size * v.aval.dtype.itemsize
        stacked = e.data(e.object_at(ir.Constant(_I64, plan.ys_base + j)))
        dst = b.gep(stacked, [b.mul(i, ir.Constant(_I64, nbytes))], source_etype=_I8)
        b.call(e.memcpy, [dst, e.data(e.obj(v, parity)), ir.Constant(_I64, nbytes), false])


def build(body, nc, ncar):
    """``loop(consts, carry, xs, ys) -> final carry`` running the scan body ``body`` (an
    Executable) natively, filling the stacked ``ys`` in place; None when the body has
    another kind of step (or this platform's array layout is unknown)."""
    if DATA_OFFSET is None or not all(isinstance(v, Var) for v in body.program.outvars):
        return None
    calls = _calls(body)
    if calls is None:
        return None
    plan = _Plan(body, nc, ncar)
    if any(v not in plan.slot for v in plan.outvars):
        return None
    # opt level 0: the loop is calls, loads and stores; its callees are optimized code
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(_emit(plan, calls)),
                                        new_target_machine(opt=0))
    engine.finalize_object()
    loop = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)(
        engine.get_function_address("loop"))
    return _Runner(plan, loop, engine)


class _Runner:
    """Calls the loop with a fresh table of array objects (its layout: ``_Plan``)."""

    def __init__(self, plan, loop, engine):
        self.plan, self.loop, self._engine = plan, loop, engine
        self.carry_avals = [v.aval for v in plan.invars[plan.nc:plan.nc + plan.ncar]]

    def __call__(self, consts, carry, xs, ys, length, reverse):
        """Run ``length`` iterations on conforming arrays; returns the final carry."""
        plan = self.plan
        if not length:
            return list(carry)
        pairs = []
        for value, aval in zip(carry, self.carry_avals):
            first = np.empty(aval.shape, aval.dtype)
            first[...] = value
            pairs += [first, np.empty(aval.shape, aval.dtype)]
        windows = [np.ndarray(x.shape[1:], x.dtype, x) for x in xs]
        temps = [np.empty(v.aval.shape, v.aval.dtype) for v in plan.temps]
        arrays = (list(consts) + [np.ascontiguousarray(c, v.aval.dtype) for v, c in plan.consts]
                  + pairs + windows + list(xs) + temps + list(ys))
        if len(arrays) != plan.size:        # a table the loop would misread
            raise ValueError(f"native loop: {len(arrays)} arrays for {plan.size} slots")
        table = (ctypes.c_void_p * len(arrays))(*[id(a) for a in arrays])   # PyObject*
        self.loop(table, length, int(reverse))
        last = ((length - 1) % 2) ^ 1       # the carry buffers the last iteration wrote
        return [pairs[2 * k + last] for k in range(plan.ncar)]
