"""Moving work out of a scan's loop: products of each ``x`` slice by a loop constant
are hoisted before it (``hoist_products``), accumulators sunk after it
(``sink_accumulators``).  Both turn ``length`` small BLAS calls into one large one.

Hoisting: ``dot_general(x, w)`` of a slice ``x`` of the ``xs`` by a constant ``w``
(the RNN's ``x_t @ U``) is, over all iterations, ``dot_general(xs, w)`` with the scan
axis a free axis of the result, leading: computed once before the loop (``prelude``)
and sliced like another ``xs``.  Memory: ``length`` times the product's size.

Sinking: a reverse-mode scan accumulates the cotangents of its constants, one small
product per iteration: ``acc = acc + dot_general(h, dz)`` (``ct_W += h^T dz``) or
``acc = acc + reduce_sum(dz)``.  Run as a loop, that is ``length`` small BLAS calls on a short
contraction (32 rows) and an add of the whole accumulator per iteration.  Summed over
the iterations it is one reduction over the stacked operands that also contracts the
scan axis::

    acc_final = acc_init + dot_general(stack(h), stack(dz))   # contracting (0, ...)

so the loop instead emits ``h`` and ``dz`` as extra stacked outputs (unless they are
slices of the scan's ``xs``, then read from the ``xs``; the accumulator carry passes
through unchanged) and, after the loop, ``finish`` computes the sums: one
large, efficient BLAS call instead of ``length`` small ones.

When it applies (``sink_accumulators``): a floating-point carry whose only use in the
body is ``add(carry, d)`` (either order), that add giving the carry's next value and
nothing else, and ``d`` produced by an equation of ``STACKED`` used only by that add;
the scan has at least 2 iterations, and the stacked operands stay under
``LIMIT_BYTES`` in all (they cost ``length`` times their size in memory).

Results differ from the loop's only by the order of the floating-point additions.
"""
import collections
from typing import NamedTuple

import numpy as np

from xla_like import primitives as P
from xla_like.backends.executable import blas_eligible
from xla_like.ir import Eqn, Program, Var

LIMIT_BYTES = 64 << 20


def _stacked_dot(params):
    """``dot_general`` params over operands with a new leading (contracted) axis."""
    (lc, rc), (lb, rb) = params["dimension_numbers"]
    shift = lambda dims: tuple(d + 1 for d in dims)  # noqa: E731
    dims = (((0,) + shift(lc), (0,) + shift(rc)), (shift(lb), shift(rb)))
    return dict(params, dimension_numbers=dims)


def _stacked_sum(params):
    return dict(params, axes=(0,) + tuple(a + 1 for a in params["axes"]))


# primitive whose per-iteration results are summed -> its params over stacked operands
STACKED = {P.dot_general_p: _stacked_dot, P.reduce_sum_p: _stacked_sum}


class SunkScan(NamedTuple):
    body: Program           # sunk carries pass through; stacked operands appended last
    stacked: tuple          # body Vars appended as outputs (stacked by the loop)
    accumulators: tuple     # carry indices that ``finish`` replaces
    finish: Program         # (*carry inits of accumulators, *operands) -> final values
    operands: tuple         # per operand of ``finish``: ("xs", k) or ("stacked", k)


class _Accumulator(NamedTuple):
    index: int
    add: Eqn
    reduction: Eqn


def _nbytes(aval):
    return aval.size * aval.dtype.itemsize


def _find(body, num_consts, num_carry):
    """The accumulators of ``body`` (see the module docstring)."""
    uses = collections.Counter(a for e in body.eqns for a in e.inputs if isinstance(a, Var))
    uses.update(a for a in body.outvars if isinstance(a, Var))
    producer = {v: e for e in body.eqns for v in e.outputs}
    found = []
    for j, c_in in enumerate(body.invars[num_consts:num_consts + num_carry]):
        add = producer.get(body.outvars[j])
        if (add is None or add.prim is not P.add_p or uses[c_in] != 1
                or uses[add.outputs[0]] != 1 or c_in not in add.inputs
                or not np.issubdtype(c_in.aval.dtype, np.floating)):
            continue
        (d,) = [a for a in add.inputs if a is not c_in] or [None]
        reduction = producer.get(d)
        if (reduction is None or reduction.prim not in STACKED or uses[d] != 1
                or d.aval.shape != c_in.aval.shape or d.aval.dtype != c_in.aval.dtype
                or not all(isinstance(a, Var) for a in reduction.inputs)):
            continue
        found.append(_Accumulator(j, add, reduction))
    return found


def _finish(accumulators, stacked_vars, length):
    """The program summing the stacked operands into each accumulator."""
    inits = [Var(acc.add.outputs[0].aval) for acc in accumulators]
    stacked = {v: Var(v.aval.update(shape=(length,) + v.aval.shape)) for v in stacked_vars}
    eqns, outs = [], []
    for acc, init in zip(accumulators, inits):
        red, add = acc.reduction, acc.add
        total, out = Var(red.outputs[0].aval), Var(add.outputs[0].aval)
        eqns.append(Eqn(red.prim, [stacked[v] for v in red.inputs], [total],
                        STACKED[red.prim](red.params), red.source))
        operands = [total if a is red.outputs[0] else init for a in add.inputs]
        eqns.append(Eqn(P.add_p, operands, [out], add.params, add.source))
        outs.append(out)
    return Program(inits + list(stacked.values()), (), (), eqns, outs)


def sink_accumulators(body, num_consts, num_carry, length):
    """The ``SunkScan`` of a scan ``body``, or None when no accumulator qualifies.

    >>> sunk = sink_accumulators(scan_eqn.params["body"], 3, 4, 200)
    >>> sunk.accumulators       # carries now summed after the loop
    (1, 2, 3)
    """
    if length < 2:
        return None
    found = _find(body, num_consts, num_carry)
    stacked = list(dict.fromkeys(v for acc in found for v in acc.reduction.inputs))
    if not found or length * sum(_nbytes(v.aval) for v in stacked) > LIMIT_BYTES:
        return None
    removed = {id(e) for acc in found for e in (acc.add, acc.reduction)}
    outvars = list(body.outvars)
    for acc in found:
        outvars[acc.index] = body.invars[num_consts + acc.index]
    # an operand that is a slice of xs is read from xs itself: no copy per iteration
    x_slices = body.invars[num_consts + num_carry:]
    emitted = [v for v in stacked if v not in x_slices]
    operands = tuple(("xs", x_slices.index(v)) if v in x_slices
                     else ("stacked", emitted.index(v)) for v in stacked)
    new_body = Program(body.invars, body.constvars, body.consts,
                       [e for e in body.eqns if id(e) not in removed], outvars + emitted)
    return SunkScan(new_body, tuple(emitted), tuple(acc.index for acc in found),
                    _finish(found, stacked, length), operands)


# ---- hoisting ----------------------------------------------------------------------------

class HoistedScan(NamedTuple):
    body: Program           # the hoisted products' outputs are new x slices, last
    prelude: Program        # (*consts, *xs) -> the products over every iteration


def _hoistable(eqn, consts, x_slices, length):
    """A float ``dot_general`` (what BLAS runs) of an x slice by a constant."""
    if not blas_eligible(eqn):
        return False
    lhs, rhs = eqn.inputs
    (_, _), (lb, rb) = eqn.params["dimension_numbers"]
    return (lhs in x_slices and rhs in consts and not lb and not rb
            and length * _nbytes(eqn.outputs[0].aval) <= LIMIT_BYTES)


def hoist_products(body, num_consts, num_carry, length):
    """The ``HoistedScan`` of a scan ``body``, or None when it has no product of an
    ``x`` slice (left operand, no batch dimensions) by a constant.

    >>> hoisted = hoist_products(scan_eqn.params["body"], 3, 1, 200)
    >>> hoisted.prelude.outvars        # x_t @ U for every t
    """
    if length < 2:
        return None
    consts = set(body.invars[:num_consts])
    x_slices = body.invars[num_consts + num_carry:]
    hoisted = [e for e in body.eqns if _hoistable(e, consts, set(x_slices), length)]
    if not hoisted:
        return None
    # the prelude's inputs: fresh Vars for the consts and for the whole xs
    inputs = {v: Var(v.aval) for v in body.invars[:num_consts]}
    inputs.update((v, Var(v.aval.update(shape=(length,) + v.aval.shape))) for v in x_slices)
    eqns, outs = [], []
    for e in hoisted:
        out = Var(e.outputs[0].aval.update(shape=(length,) + e.outputs[0].aval.shape))
        (lc, rc), batch = e.params["dimension_numbers"]
        params = dict(e.params, dimension_numbers=((tuple(d + 1 for d in lc), rc), batch))
        eqns.append(Eqn(e.prim, [inputs[a] for a in e.inputs], [out], params, e.source))
        outs.append(out)
    prelude = Program(list(inputs.values()), (), (), eqns, outs)
    skip = {id(e) for e in hoisted}
    new_body = Program(tuple(body.invars) + tuple(e.outputs[0] for e in hoisted),
                       body.constvars, body.consts,
                       [e for e in body.eqns if id(e) not in skip], body.outvars)
    return HoistedScan(new_body, prelude)
