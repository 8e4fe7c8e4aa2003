"""Strength reduction of ``dot_general``: products that are not matrix products become
elementwise code the fusion pass can put into a loop kernel with their neighbours.

* **No contracting dimensions** (an outer product per batch element, e.g. the
  per-example gradient ``x[i, :] * t[i]`` that ``vmap(grad)`` makes): a BLAS call with
  ``k = 1`` is all overhead, so it becomes ``mul`` of the two operands broadcast to
  the output shape; the reference computes exactly that product, bit for bit.
* **One operand without free dimensions** (a matrix-vector product, a batched dot
  product): it becomes ``reduce_sum(mul(M, broadcast(v)), contracting axes)`` over the
  matrix operand ``M`` in its own layout, so the loop kernel streams ``M`` once and the
  result can feed the code around it (XLA's "dot strength reduction" does the same).
  Only for float32/float64, only when the result needs no transpose, and not for a
  large ``M`` made by a ``transpose`` (the kernel would read it with a stride of a
  whole row per element; BLAS reads the transposed layout in place).  The sum's
  association differs from BLAS's (both accumulate in the operand dtype).

Rules live in ``DOT_REWRITES``, tried in order: ``rule(eqn, producer) -> [Eqn] |
None`` (``producer``: Var -> the equation making it); the last returned equation
writes the original output Var, so nothing is substituted.
"""
import numpy as np

from xla_like import primitives as P
from xla_like.ir import Eqn, Program, Var

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# a transposed matrix operand at least this large keeps its BLAS call (see above)
STRIDED_MATRIX_ELEMENTS = 1 << 16


class _Builder:
    """Appends equations computing new Vars; ``finish`` writes the original output."""

    def __init__(self, source):
        self.source, self.eqns = source, []

    def emit(self, prim, inputs, **params):
        aval = prim.abstract_eval(*(a.aval for a in inputs), **params)
        out = Var(aval)
        self.eqns.append(Eqn(prim, inputs, (out,), params, self.source))
        return out

    def finish(self, prim, inputs, output, **params):
        """The final equation, into ``output`` (None when the avals would differ)."""
        aval = prim.abstract_eval(*(a.aval for a in inputs), **params)
        if aval != output.aval:
            return None
        self.eqns.append(Eqn(prim, inputs, (output,), params, self.source))
        return self.eqns

    def transpose(self, x, order):
        if tuple(order) == tuple(range(len(order))):
            return x
        return self.emit(P.transpose_p, (x,), permutation=tuple(order))

    def broadcast(self, x, shape, dims):
        if tuple(dims) == tuple(range(len(shape))) and x.aval.shape == tuple(shape):
            return x
        return self.emit(P.broadcast_in_dim_p, (x,), shape=tuple(shape),
                         broadcast_dimensions=tuple(dims))

    def convert(self, x, dtype):
        if x.aval.dtype == dtype:
            return x
        return self.emit(P.convert_element_type_p, (x,), new_dtype=dtype, weak_type=False)


def _free(ndim, *used):
    return tuple(d for d in range(ndim) if not any(d in u for u in used))


def _outer_product(eqn, producer):
    """``dot_general`` without contracting dimensions -> broadcast both, ``mul``."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    if lc or rc:
        return None
    lhs, rhs = eqn.inputs
    out = eqn.outputs[0]
    lf, rf = _free(lhs.aval.ndim, lb), _free(rhs.aval.ndim, rb)
    nb = len(lb)
    b = _Builder(eqn.source)
    lhs, rhs = (b.convert(x, out.aval.dtype) for x in (lhs, rhs))
    # (batch, lhs free) then (batch, rhs free): the output's own order of axes
    lhs = b.transpose(lhs, tuple(lb) + lf)
    rhs = b.transpose(rhs, tuple(rb) + rf)
    shape = out.aval.shape
    lhs = b.broadcast(lhs, shape, tuple(range(nb + len(lf))))
    rhs = b.broadcast(rhs, shape, tuple(range(nb)) + tuple(range(nb + len(lf), len(shape))))
    return b.finish(P.mul_p, (lhs, rhs), out)


def _unit_free(aval, contract, batch):
    """Does this operand have only size-1 free axes (a vector, or ``v[None, :]``)?"""
    return all(aval.shape[d] == 1 for d in _free(aval.ndim, contract, batch))


def _vector_operand(eqn):
    """``(matrix position, matrix batch, matrix contract, vector batch, vector contract)``
    when the operand at the other position has only size-1 free axes."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.inputs
    if _unit_free(rhs.aval, rc, rb):
        return 0, lb, lc, rb, rc
    if _unit_free(lhs.aval, lc, lb):
        return 1, rb, rc, lb, lc
    return None


def _matrix_vector(eqn, producer):
    """``dot_general`` with a vector-like operand -> ``reduce_sum(M * broadcast(v))``
    (reshaped to put back the vector's size-1 free axes)."""
    (lc, _), _ = eqn.params["dimension_numbers"]
    out = eqn.outputs[0]
    if not lc or any(a.aval.dtype not in FLOAT_DTYPES for a in eqn.inputs) \
            or out.aval.dtype != eqn.inputs[0].aval.dtype:
        return None
    found = _vector_operand(eqn)
    if found is None:
        return None
    position, m_batch, m_contract, v_batch, v_contract = found
    matrix, vector = eqn.inputs[position], eqn.inputs[1 - position]
    made_by = producer.get(matrix)
    if made_by is not None and made_by.prim is P.transpose_p \
            and matrix.aval.size >= STRIDED_MATRIX_ELEMENTS:
        return None
    kept = [d for d in range(matrix.aval.ndim) if d not in m_contract]
    # the output's axes are (batch..., matrix free...): M's kept axes must be in that order
    if kept != list(m_batch) + [d for d in kept if d not in m_batch]:
        return None
    # the matrix axis each vector axis pairs with; the vector's axes sorted by it
    partner = dict(zip(v_batch, m_batch))
    partner.update(zip(v_contract, m_contract))
    order = sorted(partner, key=partner.__getitem__)
    b = _Builder(eqn.source)
    vector = b.transpose(vector, order + [d for d in range(vector.aval.ndim)
                                          if d not in partner])
    if len(order) < vector.aval.ndim:          # drop the size-1 free axes
        vector = b.emit(P.reshape_p, (vector,), new_sizes=vector.aval.shape[:len(order)])
    vector = b.broadcast(vector, matrix.aval.shape, tuple(partner[d] for d in order))
    product = b.emit(P.mul_p, (matrix, vector))
    axes = tuple(sorted(m_contract))
    if out.aval.ndim == matrix.aval.ndim - len(axes):
        return b.finish(P.reduce_sum_p, (product,), out, axes=axes)
    summed = b.emit(P.reduce_sum_p, (product,), axes=axes)
    return b.finish(P.reshape_p, (summed,), out, new_sizes=out.aval.shape)


DOT_REWRITES = {P.dot_general_p: (_outer_product, _matrix_vector)}


def dot_strength_reduction(program):
    """Rewrite ``dot_general``s that are not matrix products (module docstring).

    >>> p = make_ir(lambda x, t: fl.vmap(lambda a, b: fnp.outer(a, b))(x, t))(x, t)
    >>> [e.prim.name for e in dot_strength_reduction(p).eqns]
    ['broadcast_in_dim', 'broadcast_in_dim', 'mul']
    """
    eqns, changed, producer = [], False, {}
    for eqn in program.eqns:
        for var in eqn.outputs:
            producer[var] = eqn
        replacement = None
        for rule in DOT_REWRITES.get(eqn.prim, ()):
            replacement = rule(eqn, producer)
            if replacement is not None:
                break
        if replacement is None:
            eqns.append(eqn)
        else:
            eqns.extend(replacement)
            changed = True
    if not changed:
        return program
    return Program(program.invars, program.constvars, program.consts, eqns,
                   program.outvars)
