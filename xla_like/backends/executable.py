"""``Executable``: a compiled program, run as a fixed list of steps over NumPy buffers.

A backend (``CpuBackend.compile``) optimizes the program, partitions it into steps
(``xla_like.passes.fusion``), plans its buffers (``xla_like.passes.buffers``) and hands
each step a *runner*: ``run(*arrays) -> tuple of arrays``.  Everything is decided at
compile time, so a call is one loop over precomputed ``(run, input slots, output
slots, slots to drop)`` tuples on a flat list of buffers: no dicts, no per-call
planning.

The kinds of steps (``StepInfo.kind``); an equation that does not fuse gets the first
of ``blas``, ``view``, ``native``, ``call`` that takes it, else ``reference``:

* ``kernel``: a fused region's LLVM loop kernel (backends/native.py);
* ``blas``: ``dot_general`` on float32/float64 as one ``np.matmul`` (BLAS ``gemm``,
  batched over the batch dimensions) on operands transposed to ``(batch, free,
  contract)`` and ``(batch, contract, free)``; the layout is computed once, at compile
  time (``blas_runner``);
* ``native``: the equation's standalone LLVM kernel (backends/llvm/standalone):
  gather/scatter, sort, cumulative ops, windows, convolution, copies (slice, pad,
  concatenate, rev, dynamic slices), random bits, ``dot_general`` on integers;
* ``view``: a ``reshape`` (one the loop kernels cannot fuse), or a ``slice`` that is
  one contiguous run of its operand: a NumPy view of the C-contiguous buffer, no
  code, no copy (``view_runner``);
* ``call``: a ``jit``/``remat``/custom-derivative call the inlining pass kept (its
  operands differ from its body's inputs in weak-typedness), running the body's own
  executable, compiled on first use (``call_runner``);
* ``loop``: a ``cond``/``while``/``scan`` equation: a Python loop (or branch) calling
  the compiled executables of its sub-programs, each compiled once with the step, so
  compile time does not depend on the trip count and ``cond`` runs only the taken
  branch (loop_step.py);
* ``reference``: the primitive's NumPy reference implementation (``reference_runner``).

The reference fallback is left with exactly these, by design (tests/
test_compiled_programs.py asserts the set over every primitive's cases):

* ``debug_callback``: a host callback (``debug.print``), effectful by design;
* the linear-algebra primitives ``cholesky``, ``triangular_solve``, ``lu``, ``qr``,
  ``eigh``, ``svd`` (primitives/linalg.py): rare heavy ops, each one LAPACK call
  (through NumPy/SciPy) per matrix, so native code would gain little;
* any equation with a value of a dtype that has no LLVM type (complex64/128, float16):
  the kernel compilers refuse them by name; NumPy runs them; so ``fft``
  (primitives/fft.py, one ``numpy.fft`` call) and ``real``/``imag``/``conj``/``complex``
  (primitives/complex_parts.py), which always have a complex operand or result;
* ``psum``/``pmax``/``pmin``/``all_gather``/``axis_index`` and ``custom_lin``: they
  have no meaning outside the transform that binds them (their impl raises a clear
  error), so a compiled program never runs them.

Control-flow primitives (cond, while, scan) run as ``loop`` steps: the loop itself is
Python (one executable call per iteration); their bodies are native code.

BLAS threads: BLAS keeps its own thread count (the user's NumPy setting is never
changed).  Executables that call BLAS run their loop kernels on the calling thread
(cpu.py), so the kernel pool and OpenBLAS's spinning workers do not fight.  Measured
on an idle 2-core machine: the MLP SGD step 2.7 ms with two BLAS threads against
4.0 ms with BLAS held to one thread (jax.jit: 2.7 ms); under heavy load from other
processes two-thread BLAS degrades (every library's does).
"""
import math
from typing import NamedTuple

import numpy as np

from xla_like import primitives as P
from xla_like.ir import Literal
from xla_like.passes.inline import INLINE_PARAMS


class RunStep(NamedTuple):
    """One step of an executable: ``run`` reads ``inputs`` slots (then the dead
    buffers in ``donated`` it may write into), fills ``outputs``, then ``frees`` slots."""
    run: object
    inputs: tuple
    outputs: tuple
    frees: tuple


class StepInfo(NamedTuple):
    """What a step is, for ``as_text``, ``cost_analysis`` and tests."""
    kind: str            # "kernel", "blas", "native", "view", "call" or "reference"
    eqns: tuple
    inputs: tuple        # Vars
    outputs: tuple       # Vars


# ---- runners on NumPy ------------------------------------------------------------------

def as_buffer(value, aval, contiguous):
    """``value`` as an ndarray of ``aval``'s dtype (C-contiguous if asked)."""
    array = np.asarray(value)
    if array.dtype != aval.dtype:
        array = array.astype(aval.dtype)
    if contiguous and not array.flags.c_contiguous:
        array = np.ascontiguousarray(array).reshape(aval.shape)
    return array


def reference_runner(eqn, contiguous):
    """Run ``eqn`` with its primitive's reference implementation (the fallback for
    the documented few, see the module docstring); ``contiguous[i]``: output ``i`` is
    read by native code and must be C-contiguous."""
    impl, params, avals = eqn.prim.impl, eqn.params, [v.aval for v in eqn.outputs]
    multiple = eqn.prim.multiple_results

    def run(*arrays):
        out = impl(*arrays, **params)
        out = out if multiple else (out,)
        return tuple(as_buffer(o, a, c) for o, a, c in zip(out, avals, contiguous))
    return run


def _contiguous_slice(eqn):
    """Is this ``slice`` one contiguous run of its (C-contiguous) operand?  Leading
    axes of output size 1, then one axis cut to a unit-stride range, then whole axes."""
    in_shape, out_shape = eqn.inputs[0].aval.shape, eqn.outputs[0].aval.shape
    strides = eqn.params["strides"] or (1,) * len(in_shape)
    if 0 in out_shape:
        return True
    cut = next((d for d, size in enumerate(out_shape) if size != 1), len(out_shape))
    return (cut == len(out_shape) or strides[cut] == 1) and all(
        out_shape[d] == in_shape[d] for d in range(cut + 1, len(out_shape)))


def _slice_view(eqn):
    params = eqn.params
    strides = params["strides"] or (1,) * len(params["start_indices"])
    index = tuple(slice(lo, hi, step) for lo, hi, step
                  in zip(params["start_indices"], params["limit_indices"], strides))

    def run(x):
        return (x[index] if index else x,)      # x[()] of a 0-d array is a scalar
    return run


def _reshape_view(eqn):
    shape = eqn.outputs[0].aval.shape

    def run(x):
        return (x.reshape(shape),)
    return run


# primitive -> (does this equation's result view its operand's buffer contiguously,
# the runner making that view)
VIEWS = {P.reshape_p: (lambda eqn: True, _reshape_view),
         P.slice_p: (_contiguous_slice, _slice_view)}


def view_eligible(eqn):
    """A ``reshape``, or a ``slice`` taking one contiguous run (``x[2:5]`` of rows): a
    NumPy view of the C-contiguous buffers every native step makes and reads."""
    rule = VIEWS.get(eqn.prim)
    return rule is not None and rule[0](eqn)


def view_runner(eqn, contiguous):
    """The view's runner: ``ndarray.reshape`` or basic indexing.  Its operand is
    C-contiguous (it is read as native code's input), so the result is a C-contiguous
    view, never a copy."""
    return VIEWS[eqn.prim][1](eqn)


def call_eligible(eqn):
    """A call-like equation the inlining pass kept (see passes/inline.py)."""
    return eqn.prim in INLINE_PARAMS


def call_runner(eqn, contiguous, compile_program):
    """Run a call's body program through ``compile_program(body)`` (the backend's
    ``compile``), compiled on first use, so nested calls compile one level at a time."""
    body = eqn.params[INLINE_PARAMS[eqn.prim]]
    avals = [v.aval for v in eqn.outputs]
    compiled = []

    def run(*arrays):
        if not compiled:
            compiled.append(compile_program(body))
        out = compiled[0](*arrays)
        return tuple(as_buffer(o, a, c) for o, a, c in zip(out, avals, contiguous))
    return run


class _MatmulLayout(NamedTuple):
    lhs_perm: tuple      # None when already in (batch, free, contract) order
    rhs_perm: tuple
    lhs_shape: tuple
    rhs_shape: tuple
    out_shape: tuple
    dtype: np.dtype


def _layout(lhs, rhs, out, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    lf = tuple(d for d in range(lhs.ndim) if d not in lc and d not in lb)
    rf = tuple(d for d in range(rhs.ndim) if d not in rc and d not in rb)
    size = lambda shape, dims: math.prod(shape[d] for d in dims)  # noqa: E731
    batch = (size(lhs.shape, lb),) if lb else ()
    m, k, n = size(lhs.shape, lf), size(lhs.shape, lc), size(rhs.shape, rf)
    lperm, rperm = tuple(lb) + lf + tuple(lc), tuple(rb) + tuple(rc) + rf
    return _MatmulLayout(None if lperm == tuple(range(lhs.ndim)) else lperm,
                         None if rperm == tuple(range(rhs.ndim)) else rperm,
                         batch + (m, k), batch + (k, n), out.shape, out.dtype)


def blas_eligible(eqn):
    """``dot_general`` on float32/float64 operands (BLAS's types)."""
    return (eqn.prim is P.dot_general_p
            and all(a.aval.dtype in (np.float32, np.float64) for a in eqn.inputs))


def blas_runner(eqn):
    """``dot_general`` as one (batched) ``np.matmul`` with a precomputed layout.

    Not split across the kernels' thread pool: measured on this shared 2-core machine,
    a 128x784x512 float32 product alone took 0.6-1.1 ms as 2 or 4 row/column chunks
    on two threads against 0.8 ms as one call (1.0-1.1 ms of CPU time split: each
    chunk packs its own operand panels), and the MLP SGD step was slower split in
    every A/B run (4.15 against 3.97 ms median, 7.8 against 5.2 ms under load)."""
    lhs, rhs = (a.aval for a in eqn.inputs)
    layout = _layout(lhs, rhs, eqn.outputs[0].aval, eqn.params["dimension_numbers"])

    def operand(x, perm, shape):
        if x.dtype != layout.dtype:          # preferred_element_type wider than inputs
            x = x.astype(layout.dtype)
        if perm is not None:
            x = x.transpose(perm)
        return x.reshape(shape)

    def run(x, y):
        a = operand(x, layout.lhs_perm, layout.lhs_shape)
        b = operand(y, layout.rhs_perm, layout.rhs_shape)
        return (np.matmul(a, b).reshape(layout.out_shape),)
    if _is_plain_matmul(lhs, rhs, layout):      # e.g. h @ W in a loop body: ~1.5 us less
        return lambda x, y: (np.matmul(x, y),)
    return run


def _is_plain_matmul(lhs, rhs, layout):
    """``np.matmul`` of the operands as they are gives the output: no cast, transpose
    or reshape."""
    return (layout.lhs_perm is None and layout.rhs_perm is None
            and lhs.dtype == rhs.dtype == layout.dtype
            and lhs.shape == layout.lhs_shape and rhs.shape == layout.rhs_shape
            and layout.out_shape == layout.lhs_shape[:-1] + layout.rhs_shape[-1:])


# ---- cost model ------------------------------------------------------------------------

TRANSCENDENTAL = {P.exp_p, P.exp2_p, P.expm1_p, P.log_p, P.log1p_p, P.tanh_p, P.logistic_p,
                  P.sin_p, P.cos_p, P.tan_p, P.asin_p, P.acos_p, P.atan_p, P.atan2_p,
                  P.sinh_p, P.cosh_p, P.asinh_p, P.acosh_p, P.atanh_p, P.erf_p, P.erfc_p,
                  P.erf_inv_p, P.lgamma_p, P.digamma_p, P.pow_p, P.sqrt_p, P.rsqrt_p,
                  P.cbrt_p}
# Primitives that move or index data without arithmetic.
NO_FLOPS = {P.broadcast_in_dim_p, P.reshape_p, P.squeeze_p, P.expand_dims_p, P.transpose_p,
            P.rev_p, P.pad_p, P.concatenate_p, P.slice_p, P.dynamic_slice_p,
            P.dynamic_update_slice_p, P.iota_p, P.gather_p, P.copy_p, P.stop_gradient_p,
            P.convert_element_type_p, P.scatter_p}


def _dot_flops(eqn):
    (lc, _), _ = eqn.params["dimension_numbers"]
    contract = math.prod(eqn.inputs[0].aval.shape[d] for d in lc)
    return 2 * eqn.outputs[0].aval.size * contract


def _conv_flops(eqn):
    rhs = eqn.inputs[1].aval
    per_output = math.prod(rhs.shape[1:])           # input features x window
    return 2 * eqn.outputs[0].aval.size * per_output


def _input_size_flops(eqn):
    return max(a.aval.size for a in eqn.inputs)


def _output_size_flops(eqn):
    return sum(v.aval.size for v in eqn.outputs)


FLOP_RULES = {P.dot_general_p: _dot_flops, P.conv_general_dilated_p: _conv_flops}
FLOP_RULES.update(dict.fromkeys(
    [P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p, P.reduce_and_p,
     P.reduce_or_p, P.argmax_p, P.argmin_p, P.cumsum_p, P.cumprod_p, P.cummax_p,
     P.cummin_p, P.reduce_window_sum_p, P.reduce_window_max_p, P.reduce_window_min_p,
     P.sort_p], _input_size_flops))


def eqn_flops(eqn):
    """Estimated floating-point (or integer) operations of one equation."""
    if eqn.prim in NO_FLOPS:
        return 0
    return FLOP_RULES.get(eqn.prim, _output_size_flops)(eqn)


def _nbytes(atom):
    return atom.aval.size * atom.aval.dtype.itemsize


def cost_analysis(infos):
    """``{"flops", "transcendentals", "bytes_read", "bytes_written"}`` over the steps:
    a fused kernel reads its inputs and writes its outputs once (its intermediate
    values never touch memory)."""
    cost = dict.fromkeys(("flops", "transcendentals", "bytes_read", "bytes_written"), 0)
    for info in infos:
        for eqn in info.eqns:
            cost["flops"] += eqn_flops(eqn)
            if eqn.prim in TRANSCENDENTAL:
                cost["transcendentals"] += _output_size_flops(eqn)
        cost["bytes_read"] += sum(_nbytes(v) for v in info.inputs)
        cost["bytes_written"] += sum(_nbytes(v) for v in info.outputs)
    return cost


# ---- the executable --------------------------------------------------------------------

def _check_input(value, aval, index):
    """``value`` as a C-contiguous ndarray of exactly ``aval``'s dtype and shape."""
    array = np.asarray(value)
    if array.shape != aval.shape:
        raise TypeError(f"compiled program input {index} must have shape {aval.shape} "
                        f"({aval}), got shape {array.shape}")
    if array.dtype != aval.dtype:
        array = array.astype(aval.dtype)
    return np.ascontiguousarray(array).reshape(aval.shape)


class Executable:
    """A compiled program: ``executable(*arrays) -> list of np.ndarray``.

    Built by a backend (``CPU_BACKEND.compile(program)``).  ``program`` is the
    optimized program it runs; ``as_text()`` the LLVM IR of its kernels;
    ``cost_analysis()`` and ``memory_analysis()`` estimates from the optimized program
    and the buffer plan.

    >>> exe = CPU_BACKEND.compile(make_ir(lambda x: fnp.exp(x) + 1.0)(np.ones(3)))
    >>> exe(np.zeros(3))
    [array([2., 2., 2.])]
    """

    def __init__(self, program, steps, infos, slots, buffers, text):
        self.program = program
        self._steps = tuple(steps)
        self.steps = tuple(infos)
        self.buffers = buffers
        self._text = text
        self._temp_bytes = buffers.peak_temp_bytes
        self._in_avals = program.in_avals
        self._in_dtypes = tuple(a.dtype for a in self._in_avals)
        self._in_shapes = tuple(a.shape for a in self._in_avals)
        self._n_in = len(self._in_avals)
        self._template = [None] * len(slots)
        for atom, slot in slots.items():
            if isinstance(atom, Literal):
                self._template[slot] = np.asarray(atom.value)
        for var, value in zip(program.constvars, program.consts):
            self._template[slots[var]] = _check_input(value, var.aval, "constant")
        self._in_slots = tuple(slots[v] for v in program.invars)
        self._out_slots = tuple(slots[a] for a in program.outvars)
        self._single = self._single_kernel_call()

    def _single_kernel_call(self):
        """A program of one step reading exactly its inputs, in order, and giving exactly
        the program's outputs: ``__call__`` then skips the slot list."""
        if len(self._steps) != 1:
            return None
        run, inputs, outputs, _ = self._steps[0]
        if inputs != self._in_slots or outputs != self._out_slots:
            return None
        return run

    def _inputs(self, args):
        if len(args) != self._n_in:
            raise TypeError(f"compiled program takes {self._n_in} inputs "
                            f"({', '.join(map(str, self._in_avals))}), got {len(args)}")
        arrays = list(args)
        for i, value in enumerate(args):
            if not (type(value) is np.ndarray and value.dtype is self._in_dtypes[i]
                    and value.shape == self._in_shapes[i] and value.flags.c_contiguous):
                arrays[i] = _check_input(value, self._in_avals[i], i)
        return arrays

    def __call__(self, *args):
        arrays = self._inputs(args)
        if self._single is not None:
            return list(self._single(*arrays))
        return self._run(arrays)

    def run_unchecked(self, arrays):
        """Run on ``arrays`` (a list) already known to be C-contiguous ndarrays of the
        inputs' dtypes and shapes, skipping ``__call__``'s checks; returns a list.  For
        loop steps (loop_step.py), whose carries are the body's own outputs.

        >>> exe.run_unchecked([np.zeros(3)])
        [array([2., 2., 2.])]
        """
        if self._single is not None:
            return list(self._single(*arrays))
        return self._run(arrays)

    def _run(self, arrays):
        env = self._template[:]
        for slot, array in zip(self._in_slots, arrays):
            env[slot] = array
        for run, inputs, outputs, frees in self._steps:
            results = run(*[env[i] for i in inputs])
            for slot, value in zip(outputs, results):
                env[slot] = value
            for slot in frees:
                env[slot] = None
        return [env[i] for i in self._out_slots]

    def as_text(self):
        """The LLVM IR of every fused kernel (before LLVM's optimizations)."""
        return self._text()

    def cost_analysis(self):
        """Estimated ``flops``, ``transcendentals``, ``bytes_read`` and ``bytes_written``
        of one call.

        >>> exe.cost_analysis()["flops"]
        6
        """
        return cost_analysis(self.steps)

    def memory_analysis(self):
        """``temp_bytes`` (peak size of live intermediate buffers), ``argument_bytes``
        and ``output_bytes`` of one call."""
        return {"temp_bytes": self._temp_bytes,
                "argument_bytes": sum(_nbytes(v) for v in self.program.invars),
                "output_bytes": sum(_nbytes(a) for a in self.program.outvars)}


def slot_numbers(program):
    """``{atom: slot}``: one slot of the executable's buffer list per input, constant,
    literal and equation output (inputs first, in order)."""
    slots = {}
    for var in program.invars + program.constvars:
        slots[var] = len(slots)
    for eqn in program.eqns:
        for atom in eqn.inputs:
            if isinstance(atom, Literal) and atom not in slots:
                slots[atom] = len(slots)
        for var in eqn.outputs:
            slots[var] = len(slots)
    for atom in program.outvars:
        if atom not in slots:
            slots[atom] = len(slots)
    return slots
