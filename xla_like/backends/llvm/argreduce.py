"""argmax/argmin as two vectorizable reductions, by rewriting the region program.

A loop that tracks (best value, its index) does not vectorize, so before planning
each ``argmax(x, axis)`` becomes

    m   = reduce_max(x, axis)                       (NaN-propagating)
    hit = x == m  or  (x is NaN and m is NaN)       (m broadcast back along axis)
    idx = reduce_min(select(hit, iota(axis), n - 1), axis)

(``argmin``: ``reduce_min`` then the same), i.e. the first position holding the
extreme, NaN counting as the extreme -- ``np.argmax``'s answer.  ``n - 1`` is a safe
"no hit" value: some position always hits, and ``n - 1`` fits the index dtype.  The
plan then makes two passes over each row (plan.py), both vectorized.

>>> len(expand_arg_reductions(make_ir(lambda x: fnp.argmax(x, axis=1))(np.ones((2, 3)))).eqns)
10
"""
import numpy as np

from xla_like import primitives as P
from xla_like.backends.llvm.reductions import ARG_REDUCERS
from xla_like.ir import Eqn, Literal, Program, ShapedArray, Var


class _Writer:
    """Appends equations on fresh vars."""

    def __init__(self):
        self.eqns = []

    def __call__(self, prim, inputs, aval, out=None, **params):
        out = Var(aval) if out is None else out
        self.eqns.append(Eqn(prim, inputs, [out], params))
        return out


def _expand(eqn, emit):
    (x,), (out,) = eqn.inputs, eqn.outputs
    axis, shape, dtype = eqn.params["axis"], x.aval.shape, x.aval.dtype
    kept = tuple(d for d in range(len(shape)) if d != axis)
    row = ShapedArray(tuple(shape[d] for d in kept), dtype)
    extreme = emit(ARG_REDUCERS[eqn.prim], [x], row, axes=(axis,))
    spread = emit(P.broadcast_in_dim_p, [extreme], x.aval.update(weak=False), shape=shape,
                  broadcast_dimensions=kept)
    flags = ShapedArray(shape, np.dtype(bool))
    hit = emit(P.eq_p, [x, spread], flags)
    if dtype.kind == "f":
        both_nan = emit(P.and_p, [emit(P.ne_p, [x, x], flags),
                                  emit(P.ne_p, [spread, spread], flags)], flags)
        hit = emit(P.or_p, [hit, both_nan], flags)
    index = ShapedArray(shape, out.aval.dtype)
    positions = emit(P.iota_p, [], index, dtype=out.aval.dtype, shape=shape, dimension=axis)
    last = Literal(shape[axis] - 1, ShapedArray((), out.aval.dtype))
    fallback = emit(P.broadcast_in_dim_p, [last], index, shape=shape, broadcast_dimensions=())
    chosen = emit(P.select_n_p, [hit, fallback, positions], index)
    emit(P.reduce_min_p, [chosen], out.aval, out=out, axes=(axis,))


def expand_arg_reductions(program):
    """``program`` with every argmax/argmin rewritten (see the module docstring); the
    same object when it has none."""
    if not any(eqn.prim in ARG_REDUCERS for eqn in program.eqns):
        return program
    emit = _Writer()
    for eqn in program.eqns:
        if eqn.prim in ARG_REDUCERS:
            _expand(eqn, emit)
        else:
            emit.eqns.append(eqn)
    return Program(program.invars, program.constvars, program.consts, emit.eqns,
                   program.outvars)
