"""Shape manipulation, joining, dtype helpers and the axis normalisation every
``functorch_lite.numpy`` function shares.

Each function binds structural primitives (``reshape``, ``transpose``, ``squeeze``,
``expand_dims``, ``rev``, ``concatenate``, ``broadcast_in_dim``), so it works the
same eagerly and under every transform.
"""
import operator

import numpy as np

from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import (as_operand, broadcast_shapes, convert, promote)
from functorch_lite.numpy._convert import broadcast_to as _broadcast_array

AxisError = np.exceptions.AxisError


# ---- axes -------------------------------------------------------------------------

def normalize_axis(axis, ndim, name):
    """A non-negative axis in ``range(ndim)``; negative axes count from the end.

    >>> normalize_axis(-1, 3, "sum")
    2
    """
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: axis must be an int, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise AxisError(f"{name}: axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim if ndim else axis


def flat_and_axis(a, axis, name):
    """``a`` as an operand and ``axis`` normalized; ``axis=None`` flattens ``a`` (axis 0),
    as NumPy's sort, delete and insert do."""
    a = as_operand(a)
    if axis is None:
        return ravel(a), 0
    return a, normalize_axis(axis, a.aval.ndim, name)


def normalize_axes(axis, ndim, name):
    """``None`` (all axes), an int or a sequence of ints -> a sorted tuple of axes.

    >>> normalize_axes((-1, 0), 3, "sum")
    (0, 2)
    """
    kind = type(axis)
    if kind is tuple:
        kind = tuple(map(type, axis))   # (1.0,) == (1,): the key tells them apart
    elif kind is not int and axis is not None:
        return _normalize_axes(axis, ndim, name)
    key = (axis, ndim, kind)
    try:
        axes = _NORMALIZED.get(key)
    except TypeError:                   # an unhashable entry: let the check name it
        return _normalize_axes(axis, ndim, name)
    if axes is None:
        axes = _normalize_axes(axis, ndim, name)        # raises for a bad axis
        if len(_NORMALIZED) < 4096:
            _NORMALIZED[key] = axes
    return axes


_NORMALIZED = {}      # (axis, ndim, types) -> sorted axes: reductions normalize on every call


def _normalize_axes(axis, ndim, name):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = [normalize_axis(a, ndim, name) for a in axis]
    else:
        axes = [normalize_axis(axis, ndim, name)]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def _canonical_shape(shape, name):
    if isinstance(shape, (int, np.integer)):
        return (operator.index(shape),)
    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be an int or a sequence of ints, "
                        f"got {shape!r}") from None


# ---- reshaping ----------------------------------------------------------------------

def _infer_shape(shape, size, name):
    """Fill in at most one ``-1`` so the shape holds ``size`` elements."""
    unknown = [i for i, d in enumerate(shape) if d == -1]
    if len(unknown) > 1 or any(d < -1 for d in shape):
        raise ValueError(f"{name}: invalid shape {shape} (at most one -1, no other "
                         "negative sizes)")
    known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"{name}: cannot reshape array of size {size} into shape {shape}")
        shape = shape[:unknown[0]] + (size // known,) + shape[unknown[0] + 1:]
    elif known != size:
        raise ValueError(f"{name}: cannot reshape array of size {size} into shape {shape}")
    return shape


def reshape(a, shape=None, order="C", *, newshape=None):
    """Give ``a`` a new shape without changing its data; one size may be ``-1``.

    >>> reshape(arange(6), (2, -1)).shape
    (2, 3)
    """
    a = as_operand(a)
    if shape is None:
        shape = newshape
    shape = _infer_shape(_canonical_shape(shape, "reshape"), a.aval.size, "reshape")
    if order == "F":
        # column-major reshape == row-major reshape of the reversed axes
        flipped = reshape(transpose(a), shape[::-1])
        return transpose(flipped)
    if order != "C":
        raise ValueError(f"reshape: order must be 'C' or 'F', got {order!r}")
    if shape == a.aval.shape:
        return a
    return bind(P.reshape_p, a, new_sizes=shape)


def ravel(a, order="C"):
    """Flatten to one dimension.  ``ravel(ones((2, 3))).shape == (6,)``"""
    return reshape(a, (-1,), order)


def transpose(a, axes=None):
    """Permute the axes (reverse them by default).

    >>> transpose(ones((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    a = as_operand(a)
    ndim = a.aval.ndim
    if axes is None:
        perm = tuple(range(ndim))[::-1]
    else:
        perm = tuple(normalize_axis(p, ndim, "transpose") for p in axes)
        if sorted(perm) != list(range(ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of "
                             f"the {ndim} axes of {a.aval}")
    if perm == tuple(range(ndim)):
        return a
    return bind(P.transpose_p, a, permutation=perm)


def swapaxes(a, axis1, axis2):
    """Exchange two axes.  ``swapaxes(ones((2, 3)), 0, 1).shape == (3, 2)``"""
    a = as_operand(a)
    perm = list(range(a.aval.ndim))
    i = normalize_axis(axis1, a.aval.ndim, "swapaxes")
    j = normalize_axis(axis2, a.aval.ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a, source, destination):
    """Move axes to new positions, keeping the others in order.

    >>> moveaxis(ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    a = as_operand(a)
    ndim = a.aval.ndim
    src = _axis_list(source, ndim, "moveaxis")
    dst = _axis_list(destination, ndim, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of "
                         f"elements, got {source!r} and {destination!r}")
    perm = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return transpose(a, perm)


def _axis_list(axes, ndim, name):
    axes = axes if isinstance(axes, (tuple, list)) else (axes,)
    out = [normalize_axis(a, ndim, name) for a in axes]
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {axes!r}")
    return out


def expand_dims(a, axis):
    """Insert size-1 axes at the given positions of the result.

    >>> expand_dims(ones((2, 3)), (0, -1)).shape
    (1, 2, 3, 1)
    """
    a = as_operand(a)
    dims = normalize_axes(axis, a.aval.ndim + _count(axis), "expand_dims")
    return bind(P.expand_dims_p, a, dimensions=dims)


def _count(axis):
    return len(axis) if isinstance(axis, (tuple, list)) else 1


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or the given ones, which must have size 1).

    >>> squeeze(ones((1, 3, 1))).shape
    (3,)
    """
    a = as_operand(a)
    shape = a.aval.shape
    if axis is None:
        dims = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        dims = normalize_axes(axis, len(shape), "squeeze")
        bad = [d for d in dims if shape[d] != 1]
        if bad:
            raise ValueError(f"squeeze: cannot select an axis to squeeze out which has "
                             f"size not equal to one: axes {bad} of shape {shape}")
    if not dims:
        return a
    return bind(P.squeeze_p, a, dimensions=dims)


def flip(m, axis=None):
    """Reverse the order of elements along the given axes (all by default).

    >>> flip(arange(3)).tolist()
    [2, 1, 0]
    """
    m = as_operand(m)
    dims = normalize_axes(axis, m.aval.ndim, "flip")
    if not dims:
        return m
    return bind(P.rev_p, m, dimensions=dims)


# ---- broadcasting -------------------------------------------------------------------------

def broadcast_to(array, shape):
    """Broadcast to ``shape`` with NumPy's rules.

    >>> broadcast_to(arange(3), (2, 3)).shape
    (2, 3)
    """
    return _broadcast_array(as_operand(array), _canonical_shape(shape, "broadcast_to"))


def broadcast_arrays(*args):
    """Broadcast all arguments against each other (dtypes are kept).

    >>> [x.shape for x in broadcast_arrays(ones(3), ones((2, 1)))]
    [(2, 3), (2, 3)]
    """
    arrays = [as_operand(x) for x in args]
    shape = broadcast_shapes(*[x.aval.shape for x in arrays])
    return [_broadcast_array(x, shape) for x in arrays]


# ---- joining ------------------------------------------------------------------------------

def _promote_to(arrays, dtype, name):
    if not arrays:
        raise ValueError(f"{name}: need at least one array to join")
    if dtype is None:
        return promote(*arrays)
    dtype = dtypes.canonicalize(dtype)
    return [convert(as_operand(x), dtype) for x in arrays]


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing axis; ``axis=None`` flattens them first.

    >>> concatenate([ones((2, 3)), zeros((1, 3))]).shape
    (3, 3)
    """
    arrays = _promote_to(list(arrays), dtype, "concatenate")
    if axis is None:
        arrays = [ravel(x) for x in arrays]
        axis = 0
    first = arrays[0].aval
    if first.ndim == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis(axis, first.ndim, "concatenate")
    for x in arrays[1:]:
        other = x.aval.shape
        if len(other) != first.ndim or any(
                i != axis and d != first.shape[i] for i, d in enumerate(other)):
            raise ValueError(f"concatenate: all input array dimensions except for axis "
                             f"{axis} must match, got shapes "
                             + ", ".join(str(y.aval.shape) for y in arrays))
    if len(arrays) == 1:
        return arrays[0]
    return bind(P.concatenate_p, *arrays, dimension=axis)


def stack(arrays, axis=0, dtype=None):
    """Join same-shape arrays along a new axis.

    >>> stack([ones(3), zeros(3)], axis=1).shape
    (3, 2)
    """
    arrays = _promote_to(list(arrays), dtype, "stack")
    shapes = {x.aval.shape for x in arrays}
    if len(shapes) != 1:
        raise ValueError("stack: all input arrays must have the same shape, got "
                         + ", ".join(str(x.aval.shape) for x in arrays))
    axis = normalize_axis(axis, arrays[0].aval.ndim + 1, "stack")
    return concatenate([expand_dims(x, axis) for x in arrays], axis)


def _atleast(arrays, ndim, place):
    out = []
    for x in arrays:
        x = as_operand(x)
        if x.aval.ndim < ndim:
            x = reshape(x, place(x.aval.shape))
        out.append(x)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arrays):
    """View inputs as arrays with at least one dimension: ``() -> (1,)``."""
    return _atleast(arrays, 1, lambda s: (1,))


def atleast_2d(*arrays):
    """At least two dimensions: ``() -> (1, 1)``, ``(N,) -> (1, N)``."""
    return _atleast(arrays, 2, lambda s: (1,) * (2 - len(s)) + s)


def atleast_3d(*arrays):
    """At least three dimensions: ``(N,) -> (1, N, 1)``, ``(M, N) -> (M, N, 1)``."""
    return _atleast(arrays, 3, _shape_3d)


def _shape_3d(s):
    if len(s) == 0:
        return (1, 1, 1)
    if len(s) == 1:
        return (1,) + s + (1,)
    return s + (1,)


def hstack(tup, dtype=None):
    """Stack horizontally: along axis 1, or axis 0 for 1-d inputs.

    >>> hstack([ones(2), zeros(3)]).shape
    (5,)
    """
    arrays = [atleast_1d(x) for x in tup]
    axis = 0 if arrays and arrays[0].aval.ndim == 1 else 1
    return concatenate(arrays, axis, dtype)


def vstack(tup, dtype=None):
    """Stack vertically (along axis 0), making 1-d inputs rows.

    >>> vstack([ones(3), zeros(3)]).shape
    (2, 3)
    """
    return concatenate([atleast_2d(x) for x in tup], 0, dtype)


def dstack(tup, dtype=None):
    """Stack along the third axis.  ``dstack([ones(3), ones(3)]).shape == (1, 3, 2)``"""
    return concatenate([atleast_3d(x) for x in tup], 2, dtype)


# ---- queries and dtypes -------------------------------------------------------------------

def shape(a):
    """The shape of ``a`` as a tuple.  ``shape([[1, 2]]) == (1, 2)``"""
    return as_operand(a).aval.shape


def ndim(a):
    """The number of dimensions.  ``ndim(1.0) == 0``"""
    return as_operand(a).aval.ndim


def size(a, axis=None):
    """The number of elements, in total or along ``axis``.  ``size(ones((2, 3)), 1) == 3``"""
    aval = as_operand(a).aval
    if axis is None:
        return aval.size
    return aval.shape[normalize_axis(axis, aval.ndim, "size")]


def astype(x, dtype):
    """Convert ``x`` to ``dtype`` (the result is never weak).

    >>> astype(arange(3), float32).dtype
    dtype('float32')
    """
    return convert(as_operand(x), dtypes.canonicalize(dtype))


def _dtype_operand(x):
    """``(dtype, weak)`` of a result_type argument: arrays, scalars or dtypes."""
    if isinstance(x, (np.ndarray, np.generic)):   # before Python scalars: np.float64 is a float
        return dtypes.canonicalize(x.dtype), False
    if isinstance(x, (bool, int, float, complex)):
        return dtypes.python_scalar_dtype(x), not isinstance(x, bool)
    if hasattr(x, "aval"):
        return x.aval.dtype, x.aval.weak
    return dtypes.canonicalize(x), False


def result_type(*arrays_and_dtypes):
    """The dtype the promotion lattice gives these arrays, scalars and dtypes.

    >>> result_type(int32, 1.0)
    dtype('float32')
    """
    return dtypes.result_type(*[_dtype_operand(x) for x in arrays_and_dtypes])[0]


def promote_types(type1, type2):
    """Promote two dtypes (no weak types).  ``promote_types(int8, uint8) == int16``"""
    return dtypes.promote_types(type1, type2)
