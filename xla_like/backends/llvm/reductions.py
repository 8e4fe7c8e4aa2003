"""Reductions a loop kernel can accumulate: one table, ``REDUCERS``.

A reducer gives the identity the accumulator starts from and the ``combine(b, acc,
x)`` step the innermost loop applies.  Semantics follow the reference (``ufunc.reduce``
with ``initial=identity``): integer sums and products wrap, ``max``/``min`` propagate
NaN, an empty reduction gives the identity.

Floating-point reassociation happens here and only here: float ``add``/``mul``
accumulations carry LLVM's ``reassoc`` flag, which lets the loop vectorizer keep
several partial sums (one per vector lane and unrolled copy) and add them at the
end, as NumPy's pairwise summation also reorders.  The result differs from a
sequential sum by rounding only (relative error ~ n_partial * eps * sum(abs(x))).
``max``/``min`` use ``llvm.maximum``/``llvm.minimum`` (NaN-propagating, exactly
associative, vectorizable); ties between -0.0 and +0.0 may pick either zero, and the
calls say so (``nsz``): x86 then needs no sign test per element (3 vector
instructions a step instead of 6: a row max reads at memory speed).

``argmax``/``argmin`` (``ARG_REDUCERS``) are fusible too: argreduce.py rewrites each
into a max/min and a min of positions before planning, which vectorizes where a
(best value, index) accumulator would not.  Code walks every reduction through one
interface: ``state_types``, ``initial_state``, ``step`` and ``result`` (an
accumulator state is a list, so a reduction may one day carry more than one value).
"""
from typing import NamedTuple

import numpy as np
from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm.lltypes import call_intrinsic, register_type
from xla_like.primitives.reductions import highest, lowest

_REASSOC = ("reassoc",)
_NSZ = ("nsz",)             # either zero may win a -0.0/+0.0 tie (module docstring)


class Reducer(NamedTuple):
    identity: object        # dtype -> Python scalar
    kinds: str              # dtype kinds the combine step handles
    combine: object         # {kind: fn(builder, acc, x)}


def _fadd(b, acc, x):
    return b.fadd(acc, x, flags=_REASSOC)


def _fmul(b, acc, x):
    return b.fmul(acc, x, flags=_REASSOC)


def _intrinsic(name, fastmath=()):
    def combine(b, acc, x):
        return call_intrinsic(b, name, acc.type, [acc, x], fastmath=fastmath)
    return combine


def _iadd(b, acc, x):
    return b.add(acc, x)


def _imul(b, acc, x):
    return b.mul(acc, x)


def _and(b, acc, x):
    return b.and_(acc, x)


def _or(b, acc, x):
    return b.or_(acc, x)


def _all_ones(dtype):
    return True if dtype.kind == "b" else np.iinfo(dtype).max if dtype.kind == "u" else -1


REDUCERS = {
    P.reduce_sum_p: Reducer(lambda dt: 0, "iuf", dict(f=_fadd, i=_iadd, u=_iadd)),
    P.reduce_prod_p: Reducer(lambda dt: 1, "iuf", dict(f=_fmul, i=_imul, u=_imul)),
    P.reduce_max_p: Reducer(lowest, "biuf", dict(f=_intrinsic("maximum", _NSZ),
                                                 i=_intrinsic("smax"), u=_intrinsic("umax"),
                                                 b=_or)),
    P.reduce_min_p: Reducer(highest, "biuf", dict(f=_intrinsic("minimum", _NSZ),
                                                  i=_intrinsic("smin"), u=_intrinsic("umin"),
                                                  b=_and)),
    P.reduce_and_p: Reducer(_all_ones, "biu", dict(i=_and, u=_and, b=_and)),
    P.reduce_or_p: Reducer(lambda dt: False if dt.kind == "b" else 0, "biu",
                           dict(i=_or, u=_or, b=_or)),
}


def reducer(eqn):
    """``REDUCERS[eqn.prim]``, checking the operand's dtype kind."""
    red = REDUCERS[eqn.prim]
    kind = eqn.inputs[0].aval.dtype.kind
    if kind not in red.kinds:
        raise NotImplementedError(f"LLVM kernel: '{eqn.prim.name}' of {eqn.inputs[0].aval} "
                                  "is not supported")
    return red


def combine(eqn, b, acc, x):
    """Emit one accumulation step of ``eqn``'s reduction."""
    return reducer(eqn).combine[eqn.inputs[0].aval.dtype.kind](b, acc, x)


# argmax/argmin -> the reduction finding the extreme they locate (argreduce.py)
ARG_REDUCERS = {P.argmax_p: P.reduce_max_p, P.argmin_p: P.reduce_min_p}


def reduced_axes(eqn):
    """The operand axes ``eqn`` reduces (empty for a non-reduction)."""
    if eqn.prim in ARG_REDUCERS:
        return (eqn.params["axis"],)
    return tuple(eqn.params["axes"]) if eqn.prim in REDUCERS else ()


def is_reduction(eqn):
    """A reduction over at least one axis (one with no axes is elementwise)."""
    return bool(reduced_axes(eqn))


def state_types(eqn):
    """LLVM types of the accumulator state."""
    return [register_type(eqn.inputs[0].aval.dtype)]


def _scalar_constant(ty, value):
    if isinstance(ty, ir.IntType):
        v = int(value)
        if ty.width > 1 and v >= 1 << (ty.width - 1):     # unsigned -> two's complement
            v -= 1 << ty.width
        return ir.Constant(ty, v & 1 if ty.width == 1 else v)
    return ir.Constant(ty, float(value))


def initial_state(eqn):
    """The accumulator state before the first element."""
    return [identity_constant(eqn, state_types(eqn)[0])]


def step(eqn, b, state, x, position):
    """The state after element ``x`` at ``position`` (an i64 along the reduced axes)."""
    return [combine(eqn, b, state[0], x)]


def result(eqn, b, state):
    """The reduction's value from its final state."""
    return state[0]


def identity_constant(eqn, ty):
    """The accumulator's starting value as an LLVM constant of type ``ty``."""
    return _scalar_constant(ty, reducer(eqn).identity(eqn.inputs[0].aval.dtype))
