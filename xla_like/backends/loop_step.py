"""The ``loop`` step of an executable: a ``cond``/``while``/``scan`` equation run as a
Python branch or loop over the compiled executables of its sub-programs.

The sub-programs are compiled when the step is built (with the enclosing executable),
each once, so compile time does not depend on the trip count, a compile error shows
at compile time, and ``cond`` runs only the taken branch.

A scan whose body is only fused kernels and 2-D matrix products (an RNN step) runs
as one native loop (native_loop.py: ~0.6 us per iteration instead of ~5).  Otherwise
the loop is Python, so what it does per iteration is kept to the minimum:

* the loop's operands are made C-contiguous ndarrays of their avals' dtypes once, on
  entry; a scan's ``xs`` are then sliced with ``x[i, ...]`` (a contiguous view, a 0-d
  array rather than a NumPy scalar for 1-D ``xs``), so every body input is already
  what an executable checks its inputs for, and the body runs through
  ``Executable.run_unchecked`` (no per-argument checks);
* a body output is known at compile time to be such an array or not
  (``conforming_outputs``: outputs of kernels, BLAS, standalone kernels and views,
  and inputs passed through, are); only the others (a literal, a reference-fallback
  result) are converted, per iteration;
* a scan's ``ys`` are written into stacked buffers allocated once, at entry;
* a scan's products of an ``x`` slice by a constant (``x_t @ U``) are computed for
  every iteration before the loop, and its accumulators (``acc + dot_general(...)``
  per iteration, as reverse mode makes for the cotangents of its constants) summed
  after it, each in one large BLAS call (scan_motion.py).

Aliasing: a carry is never copied, so it may be the very array of an earlier
iteration, of the loop's operand (a carry passed through unchanged) or of another
output.  That is safe because nothing writes into it: a body writes only into its
own freshly allocated buffers (the buffer plan hands a step only dead buffers that
fresh steps produced, and never the body's inputs or outputs), and the loop writes
only into the ``ys`` buffers it allocated.  The enclosing executable never hands a
buffer a loop step reads or produces to a later step (``loop`` is not a fresh kind).
"""
import numpy as np

from xla_like import primitives as P
from xla_like.backends import native_loop
from xla_like.backends.executable import as_buffer
from xla_like.backends.scan_motion import hoist_products, sink_accumulators
from xla_like.ir import Literal

# Step kinds whose outputs are C-contiguous ndarrays of exactly their avals' dtypes.
CONFORMING_KINDS = {"kernel", "blas", "native", "view"}


def conforming(value, aval):
    """``value`` as a C-contiguous ndarray of ``aval``'s dtype (a copy only if needed)."""
    array = np.asarray(value)
    if array.dtype != aval.dtype:
        array = array.astype(aval.dtype)
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    return array


def conforming_outputs(executable):
    """Per output of ``executable``: is it always a C-contiguous ndarray of its aval's
    dtype, given inputs that are?  (A literal output or one from the reference
    fallback may not be.)"""
    program = executable.program
    kind_of = {v: info.kind for info in executable.steps for v in info.outputs}
    known = set(program.invars) | set(program.constvars)
    return tuple(not isinstance(a, Literal) and (a in known or kind_of.get(a) in CONFORMING_KINDS)
                 for a in program.outvars)


def _fixups(executable, first=0, count=None):
    """``(position, aval)`` of outputs ``first .. first + count`` to convert per call."""
    flags = conforming_outputs(executable)
    avals = executable.program.out_avals
    count = len(flags) - first if count is None else count
    return tuple((i - first, avals[i]) for i in range(first, first + count) if not flags[i])


def _cond_run(eqn, compile_program):
    branches = [compile_program(b) for b in eqn.params["branches"]]
    last = len(branches) - 1

    def run(index, *operands):
        return branches[min(max(int(index), 0), last)](*operands)
    return run


def _while_run(eqn, compile_program):
    params = eqn.params
    nc, nb = params["cond_num_consts"], params["body_num_consts"]
    cond = compile_program(params["cond_program"])
    body = compile_program(params["body_program"])
    in_avals = [v.aval for v in eqn.inputs]
    fixups = _fixups(body)
    cond_run, body_run = cond.run_unchecked, body.run_unchecked

    def run(*values):
        values = [conforming(v, a) for v, a in zip(values, in_avals)]
        cconsts, bconsts, carry = values[:nc], values[nc:nc + nb], values[nc + nb:]
        while cond_run(cconsts + carry)[0]:
            carry = body_run(bconsts + carry)
            for k, aval in fixups:
                carry[k] = conforming(carry[k], aval)
        return carry
    return run


def _scan_run(eqn, compile_program):
    params = eqn.params
    nc, ncar, length = params["num_consts"], params["num_carry"], params["length"]
    hoisted = hoist_products(params["body"], nc, ncar, length)
    prelude = _prelude(hoisted, compile_program)
    source = hoisted.body if hoisted else params["body"]
    sunk = sink_accumulators(source, nc, ncar, length)
    body = compile_program(sunk.body if sunk else source)
    in_avals = [v.aval for v in eqn.inputs]
    y_avals = [v.aval for v in eqn.outputs[ncar:]]
    n_ys = len(y_avals)
    if sunk:
        y_avals += [v.aval.update(shape=(length,) + v.aval.shape) for v in sunk.stacked]
    fixups = _fixups(body, 0, ncar)
    body_run = body.run_unchecked
    reverse = params["reverse"]
    order = range(length - 1, -1, -1) if reverse else range(length)
    finish = _finisher(sunk, compile_program)
    native = native_loop.build(body, nc, ncar)

    def run(*values):
        values = [conforming(v, a) for v, a in zip(values, in_avals)]
        consts, carry, xs = values[:nc], values[nc:nc + ncar], values[nc + ncar:]
        xs = xs + prelude(consts + xs)
        ys = [np.empty(a.shape, a.dtype) for a in y_avals]
        if native is not None:
            carry = native(consts, carry, xs, ys, length, reverse)
            return finish(carry, xs, ys[n_ys:]) + ys[:n_ys]
        for i in order:
            outs = body_run(consts + carry + [x[i, ...] for x in xs])
            carry = outs[:ncar]
            for k, aval in fixups:
                carry[k] = conforming(carry[k], aval)
            for y, out in zip(ys, outs[ncar:]):
                y[i] = out          # a copy into the stacked buffer (casts if needed)
        return finish(carry, xs, ys[n_ys:]) + ys[:n_ys]
    return run


def _prelude(hoisted, compile_program):
    """``prelude(consts + xs) -> list`` of the hoisted products over every iteration,
    sliced like more ``xs`` (scan_motion.py); no arrays when nothing was hoisted."""
    if hoisted is None:
        return lambda operands: []
    program = compile_program(hoisted.prelude)
    avals = program.program.out_avals

    def prelude(operands):
        return [conforming(p, a) for p, a in zip(program.run_unchecked(operands), avals)]
    return prelude


def _finisher(sunk, compile_program):
    """``finish(carry, xs, stacked) -> carry`` with the sunk accumulators summed in
    (scan_motion.py); the identity when nothing was sunk."""
    if sunk is None:
        return lambda carry, xs, stacked: carry
    program = compile_program(sunk.finish)
    indices = sunk.accumulators

    def finish(carry, xs, stacked):
        sources = {"xs": xs, "stacked": stacked}
        operands = [sources[where][k] for where, k in sunk.operands]
        finals = program.run_unchecked([carry[j] for j in indices] + operands)
        for j, value in zip(indices, finals):
            carry[j] = value
        return carry
    return finish


# primitive -> builder of its runner ``run(*operands) -> outputs``
CONTROL_FLOW = {P.cond_p: _cond_run, P.while_p: _while_run, P.scan_p: _scan_run}


def control_flow_eligible(eqn):
    """A ``cond``, ``while`` or ``scan`` equation."""
    return eqn.prim in CONTROL_FLOW


def control_flow_runner(eqn, contiguous, compile_program):
    """Run a ``cond``/``while``/``scan`` as a Python branch or loop over the compiled
    executables of its sub-programs (``compile_program``: the backend's ``compile``,
    called here, once per sub-program); ``contiguous[i]``: output ``i`` is read by
    native code.

    >>> run = control_flow_runner(scan_eqn, [True, True], CPU_BACKEND.compile)
    >>> final_carry, ys = run(*operands)
    """
    body = CONTROL_FLOW[eqn.prim](eqn, compile_program)
    avals = [v.aval for v in eqn.outputs]

    def run(*arrays):
        out = body(*arrays)
        return tuple(as_buffer(o, a, c) for o, a, c in zip(out, avals, contiguous))
    return run
