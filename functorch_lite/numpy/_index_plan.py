"""Reading a NumPy index into a plan: one entry per axis of the operand.

``make_plan`` expands ``...``, turns ``None`` (and a 0-d boolean) into a new size-1
axis and boolean masks into integer arrays (with ``np.nonzero``, so masks must be
concrete), and gives each axis of the expanded operand one entry:

- ``Slice(start, step, count)``: a static slice, any step;
- ``Int(i)``: a static in-range integer;
- ``Dyn(t)``: a traced integer scalar;
- ``Adv(a)``: an integer array, concrete (int64 NumPy) or traced.

As in NumPy, once an integer array is present every integer index is advanced too;
the broadcast shape of the advanced indices replaces them in place when they are
adjacent and goes to the front otherwise (``Plan.labels``).  ``_indexing`` lowers a
plan to primitives.
"""
from typing import NamedTuple

import numpy as np

from transforms.array import Array, from_numpy
from transforms.core import Tracer, bind
from transforms.errors import ConcretizationError
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import _nested, asarray, convert, is_array
from functorch_lite.numpy._ufuncs import add, less

_INT32_LIMIT = 2 ** 31
_VALID = ("only integers, slices (`:`), ellipsis (`...`), None and integer or boolean "
          "arrays are valid indices")


class Slice(NamedTuple):
    start: int
    step: int
    count: int


class Int(NamedTuple):
    value: int


class Dyn(NamedTuple):
    value: object        # a traced integer scalar, already non-negative when in range


class Adv(NamedTuple):
    value: object        # an integer array: int64 NumPy or traced, negatives normalized


class _Mask(NamedTuple):
    value: np.ndarray    # a concrete boolean mask


# ---- reading one index entry -----------------------------------------------------------

def _token(e):
    """Classify one entry of an index tuple."""
    if e is None or e is Ellipsis or isinstance(e, slice):
        return e
    if isinstance(e, (bool, np.bool_)):
        return _Mask(np.asarray(e))
    if isinstance(e, (int, np.integer)):
        return Int(int(e))
    if isinstance(e, Tracer):
        return _traced_token(e)
    if type(e) is Array:
        return _concrete_token(np.asarray(e._value))
    if isinstance(e, (list, tuple)):
        return _sequence_token(e)
    if isinstance(e, np.ndarray):
        return _concrete_token(e)
    raise TypeError(f"invalid index {e!r} of type {type(e).__name__}: {_VALID}")


def _concrete_token(a):
    if a.dtype == np.bool_:
        return _Mask(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"invalid index array of dtype {a.dtype}: {_VALID}")
    return Int(int(a)) if a.ndim == 0 else Adv(a)


def _traced_token(t):
    kind = t.aval.dtype.kind
    if kind == "b":
        raise ConcretizationError(
            f"boolean mask indexing needs a concrete mask, but the mask {t.aval} is traced "
            f"by {t._interp.transform_name}: the result's shape would depend on its "
            "values. Use functorch_lite.numpy.where to keep a static shape (where(mask, x, "
            "0) for x[mask], where(mask, v, x) for x.at[mask].set(v)), or pass the mask as "
            "a concrete (static) value.")
    if kind not in "iu":
        raise TypeError(f"invalid index array {t.aval}: {_VALID}")
    return Dyn(t) if t.aval.ndim == 0 else Adv(t)


def _sequence_token(seq):
    """Lists index like arrays (NumPy >= 1.23); an empty list is an integer array."""
    if any(is_array(leaf) for leaf in _nested(seq)):
        return _token(asarray(seq))
    try:
        a = np.asarray(seq)
    except ValueError:
        raise TypeError(f"invalid index {seq!r}: nested lists must be rectangular") from None
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int64)
    if a.dtype == object:
        raise TypeError(f"invalid index {seq!r}: {_VALID}")
    return _concrete_token(a)


def _rank_used(token):
    if token is None or token is Ellipsis:
        return 0
    if isinstance(token, _Mask):
        return token.value.ndim
    return 1


def _expand_ellipsis(tokens, ndim):
    """Replace ``...`` (or the implicit trailing one) with full slices."""
    used = sum(_rank_used(t) for t in tokens)
    where = [i for i, t in enumerate(tokens) if t is Ellipsis]
    if len(where) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed")
    fill = [slice(None)] * (ndim - used)
    if not where:
        return tokens + fill
    i = where[0]
    return tokens[:i] + fill + tokens[i + 1:]


# ---- the plan ---------------------------------------------------------------------------

class Plan:
    """One entry per axis of the operand after ``None`` axes are inserted."""

    def __init__(self):
        self.shape = []        # the expanded operand's shape
        self.entries = []
        self.new_axes = []     # positions of inserted size-1 axes
        self.adv_dims = []
        self.bshape = ()       # broadcast shape of the advanced indices

    @property
    def adjacent(self):
        d = self.adv_dims
        return not d or d == list(range(d[0], d[-1] + 1))

    def labels(self):
        """The result's axes in order: ``('B', k)`` advanced, ``('x', d)`` sliced."""
        broadcast = [("B", k) for k in range(len(self.bshape))]
        out = [] if self.adjacent else list(broadcast)
        for d, e in enumerate(self.entries):
            if isinstance(e, Slice):
                out.append(("x", d))
            elif self.adjacent and self.adv_dims and d == self.adv_dims[0]:
                out.extend(broadcast)
        return out

    def label_shape(self, labels):
        return tuple(self.bshape[k] if kind == "B" else self.entries[k].count
                     for kind, k in labels)


def make_plan(shape, idx, checked, fill=False):
    """Build the plan for ``x[idx]`` on an operand of ``shape``.

    ``checked``: out-of-range concrete indices raise ``IndexError`` (otherwise they are
    kept for the gather/scatter mode to handle); ``fill``: traced scalars gather too.
    """
    tokens = [_token(e) for e in (idx if isinstance(idx, tuple) else (idx,))]
    tokens = _expand_ellipsis(tokens, len(shape))
    plan, axis = Plan(), 0
    for t in tokens:
        if t is None or (isinstance(t, _Mask) and t.value.ndim == 0):
            plan.new_axes.append(len(plan.shape))
            plan.shape.append(1)
            plan.entries.append(Adv(np.zeros(int(t.value), np.int64)) if t is not None
                                else Slice(0, 1, 1))
        elif isinstance(t, _Mask):
            k = t.value.ndim
            _check_mask(t.value, shape[axis:axis + k], axis)
            for j, hits in enumerate(np.nonzero(t.value)):
                plan.shape.append(shape[axis + j])
                plan.entries.append(Adv(hits.astype(np.int64)))
            axis += k
        else:
            plan.shape.append(shape[axis])
            plan.entries.append(_entry(t, shape[axis], axis, checked))
            axis += 1
    _finish(plan, fill)
    return plan


def _check_mask(mask, dims, axis):
    for j, (m, n) in enumerate(zip(mask.shape, dims)):
        if m != n:
            raise IndexError(f"boolean index did not match indexed array along axis "
                             f"{axis + j}; size of axis is {n} but size of corresponding "
                             f"boolean axis is {m}")


def _entry(token, n, axis, checked):
    """Normalize one token against an axis of size ``n``."""
    if isinstance(token, slice):
        try:
            start, stop, step = token.indices(n)
        except ConcretizationError as e:
            raise ConcretizationError(f"{e} Slice bounds must be static; for a traced "
                                      "start use lax.dynamic_slice.") from None
        return Slice(start, step, len(range(start, stop, step)))
    if isinstance(token, Int):
        i = token.value
        if -n <= i < n:
            return Int(i + n if i < 0 else i)
        if checked:
            raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
        return Adv(_concrete_index(np.asarray(i), n))
    if isinstance(token.value, np.ndarray):
        a = token.value
        if checked:
            _check_bounds(a, n, axis)
        return Adv(_concrete_index(a, n))
    if checked and n == 0 and isinstance(token, Dyn):
        raise IndexError(f"index is out of bounds for axis {axis} with size 0")
    return type(token)(traced_index(token.value, n))


def _finish(plan, fill):
    """Once any index is advanced, integers are too (NumPy's rule)."""
    if fill:
        plan.entries = [Adv(e.value) if isinstance(e, Dyn) else e for e in plan.entries]
    if any(isinstance(e, Adv) for e in plan.entries):
        plan.entries = [Adv(np.asarray(e.value, np.int64)) if isinstance(e, Int)
                        else Adv(e.value) if isinstance(e, Dyn) else e
                        for e in plan.entries]
    plan.adv_dims = [d for d, e in enumerate(plan.entries) if isinstance(e, Adv)]
    shapes = [plan.entries[d].value.shape for d in plan.adv_dims]
    try:
        plan.bshape = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         "with shapes " + " ".join(str(tuple(s)) for s in shapes)) from None


def _check_bounds(a, n, axis):
    bad = (a < -n) | (a >= n)
    if bad.any():
        raise IndexError(f"index {a[bad].flat[0]} is out of bounds for axis {axis} with "
                         f"size {n}")


def _concrete_index(a, n):
    """int64, negatives wrapped once, anything still out of range pinned to -1 or n
    (so the gather/scatter mode sees it out of range in any index dtype)."""
    a = np.minimum(a, n).astype(np.int64) if a.dtype.kind == "u" else a.astype(np.int64)
    a = np.where(a < 0, a + n, a)
    return np.asarray(np.clip(a, -1, n))


def traced_index(t, n):
    """A traced index as int32/int64 with negatives wrapped once: ``i < 0 ? i + n : i``."""
    wide = t.aval.dtype.itemsize == 8 or t.aval.dtype == dtypes.uint32 or n >= _INT32_LIMIT
    signed = t.aval.dtype.kind == "i"
    target = dtypes.int64 if wide else dtypes.int32
    if t.aval.dtype != target:
        t = convert(t, target)
    if not signed:
        return t
    return bind(P.select_n_p, less(t, 0), t, add(t, n))


def index_dtype(plan):
    traced = [e.value for e in plan.entries
              if isinstance(e, (Adv, Dyn)) and not isinstance(e.value, np.ndarray)]
    if any(n >= _INT32_LIMIT for n in plan.shape) or any(
            t.aval.dtype == dtypes.int64 for t in traced):
        return dtypes.int64
    return dtypes.int32


def stack_indices(components, shape, dtype):
    """Stack ``(index, lead)`` components into one ``shape + (k,)`` index array; each
    component covers the dims ``lead .. lead + index.ndim`` and broadcasts elsewhere."""
    full = tuple(shape) + (1,)
    if all(isinstance(c, np.ndarray) for c, _ in components):
        parts = [np.broadcast_to(c.reshape((1,) * lead + c.shape
                                           + (1,) * (len(full) - lead - c.ndim)), full)
                 for c, lead in components]
        return from_numpy(np.concatenate(parts, axis=-1).astype(dtype))
    parts = []
    for c, lead in components:
        c = convert(from_numpy(c) if isinstance(c, np.ndarray) else c, dtype)
        parts.append(bind(P.broadcast_in_dim_p, c, shape=full,
                          broadcast_dimensions=tuple(range(lead, lead + c.aval.ndim))))
    if len(parts) == 1:
        return parts[0]
    return bind(P.concatenate_p, *parts, dimension=len(shape))
