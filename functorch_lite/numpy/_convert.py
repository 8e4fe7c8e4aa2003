"""Turning Python and NumPy values into Arrays, dtype promotion and broadcasting.

These are the NumPy layer's gatekeepers: everything that reaches ``bind`` has
been converted to an Array (or is a tracer) and promoted to one dtype.
"""
import numpy as np

from transforms.array import Array, from_numpy, from_scalar, is_python_scalar
from transforms.core import Tracer, bind, cached_abstract_eval, eager, eager_with_scalar
from transforms.tape import TapeTracer
from xla_like import dtypes
from xla_like.ir import ShapedArray, intern
from xla_like.primitives import broadcast_in_dim_p, convert_element_type_p
from functorch_lite.numpy._fast import concrete

_PY_SCALARS = (bool, int, float, complex)

def is_array(x):
    return type(x) is Array or isinstance(x, Tracer)


def as_operand(x, what="operand"):
    """Convert an operand of a NumPy-layer function: arrays pass, scalars become weak."""
    if type(x) is Array or isinstance(x, Tracer):
        return x
    if isinstance(x, (np.ndarray, np.generic)):    # before scalars: np.float64 is a float
        return from_numpy(np.asarray(x))
    if isinstance(x, _PY_SCALARS):
        return from_scalar(x)
    if isinstance(x, (list, tuple)):
        return asarray(x)
    if hasattr(x, "__array__"):
        return from_numpy(np.asarray(x))
    raise TypeError(f"{what} of type {type(x).__name__} is not an array or a scalar")


def asarray(x, dtype=None):
    """Convert ``x`` to an Array.  NumPy inputs keep their dtype (float64 stays
    float64); Python scalars and lists default to float32/int32.

    >>> asarray([1.0, 2.0]).dtype
    dtype('float32')
    """
    if dtype is not None:
        dtype = dtypes.canonicalize(dtype)
    if type(x) is Array or isinstance(x, Tracer):
        return x if dtype is None else convert(x, dtype)
    if isinstance(x, (np.ndarray, np.generic)) or (
            hasattr(x, "__array__") and not isinstance(x, (list, tuple))):
        value = np.asarray(x)
        return from_numpy(value if dtype is None else value.astype(dtype))
    if isinstance(x, (list, tuple)) and any(is_array(leaf) for leaf in _nested(x)):
        from functorch_lite.numpy._shape import stack
        return stack([asarray(e, dtype) for e in x])
    value = np.asarray(x)
    if value.dtype == object:
        raise TypeError(f"cannot convert {type(x).__name__} to an array: elements are "
                        "not numbers")
    if dtype is None:
        dtype = _default_dtype(value.dtype)
    return from_numpy(value.astype(dtype))


def _nested(x):
    todo = [x]
    while todo:
        item = todo.pop()
        if isinstance(item, (list, tuple)):
            todo.extend(item)
        else:
            yield item


def _default_dtype(np_dtype):
    """Python data (lists, scalars) defaults to float32 / int32 / complex64."""
    kind = np_dtype.kind
    if kind == "f":
        return dtypes.default_float
    if kind in "iu":
        return dtypes.default_int
    if kind == "c":
        return dtypes.default_complex
    return dtypes.canonicalize(np_dtype)


def convert(x, dtype, weak=False):
    """``convert_element_type`` unless ``x`` already has that dtype and weak flag."""
    aval = x.aval
    if aval.dtype == dtype and aval.weak == weak:
        return x
    if type(x) is Array:   # a concrete value stays a constant, even while tracing
        return eager(convert_element_type_p, (x,), {"new_dtype": dtype, "weak_type": weak})
    return bind(convert_element_type_p, x, new_dtype=dtype, weak_type=weak)


def result_dtype(*xs):
    return dtypes.result_type(*[(x.aval.dtype, x.aval.weak) for x in xs])


def promote(*xs):
    """Convert operands to arrays of one promoted dtype (weak if all were weak).

    Python scalars are converted straight to the promoted dtype, so ``x_f64 * 0.1``
    multiplies by the float64 nearest 0.1, not by a float32 rounding of it.
    """
    scalar = [is_python_scalar(x) for x in xs]
    xs = [x if s else as_operand(x) for x, s in zip(xs, scalar)]
    dtype, weak = dtypes.result_type(*[
        (dtypes.python_scalar_dtype(x), True) if s else (x.aval.dtype, x.aval.weak)
        for x, s in zip(xs, scalar)])
    return [from_scalar(x, dtype, weak) if s else convert(x, dtype, weak)
            for x, s in zip(xs, scalar)]


def broadcast_shapes(*shapes):
    """NumPy broadcasting of shapes, with an error that shows every shape."""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        sizes = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError("shapes " + ", ".join(str(tuple(s)) for s in shapes)
                             + " cannot be broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to(x, shape):
    """Broadcast ``x`` (already an array) to ``shape`` with ``broadcast_in_dim``."""
    shape = tuple(shape)
    if x.aval.shape == shape:
        return x
    if len(x.aval.shape) > len(shape):
        raise ValueError(f"cannot broadcast {x.aval.shape} to the smaller rank shape {shape}")
    lead = len(shape) - len(x.aval.shape)
    for d, size in enumerate(x.aval.shape):
        if size != 1 and size != shape[lead + d]:
            raise ValueError(f"cannot broadcast shape {x.aval.shape} to {shape}")
    return bind(broadcast_in_dim_p, x, shape=shape,
                broadcast_dimensions=tuple(range(lead, len(shape))))


def scalar_binary(prim, x, y, kinds):
    """``prim(x, y)`` for an array and a Python scalar (either order) whose promotion
    keeps the array's type, without the general promotion path: eagerly the scalar is
    not materialized (the ``x * 2.0`` of notebooks); traced, it becomes a literal of the
    array's type broadcast to its shape.  Returns None when this shortcut does not apply."""
    array, scalar, swap = (y, x, True) if type(x) in _PY_SCALARS else (x, y, False)
    if type(scalar) not in _PY_SCALARS or not (type(array) is Array
                                               or isinstance(array, Tracer)):
        return None
    aval = array.aval
    key = (aval.dtype, aval.weak, type(scalar))
    keeps = _SCALAR_KEEPS_TYPE.get(key)
    if keeps is None:
        keeps = _SCALAR_KEEPS_TYPE[key] = dtypes.result_type(
            (aval.dtype, aval.weak), (dtypes.python_scalar_dtype(scalar), True)) == key[:2]
    if not keeps or aval.dtype.kind not in kinds:
        return None
    if type(array) is Array:
        out = eager_with_scalar(prim, array, aval.dtype.type(scalar), swap)
        if out is not None:
            return out
    elif type(array) is TapeTracer:
        out = _recorded_with_scalar(prim, array, scalar, swap)
        if out is not None:
            return out
    if type(scalar) is float:   # no range to check: straight to a 0-d array
        literal = Array(np.array(scalar, aval.dtype), _scalar_aval(aval.dtype, aval.weak))
    else:
        literal = from_scalar(scalar, aval.dtype, aval.weak)
    if aval.shape:              # a 0-d literal broadcasts to any shape
        literal = bind(broadcast_in_dim_p, literal, shape=aval.shape, broadcast_dimensions=())
    return bind(prim, literal, array) if swap else bind(prim, array, literal)


def _recorded_with_scalar(prim, array, scalar, swap):
    """``scalar_binary`` on a value the outermost ``grad`` tape recorded: computed as
    eagerly, recorded as ``prim`` of the array and the scalar's broadcast (made only
    if the backward program reads it); None when that tape is not recording."""
    operands = concrete(array)
    if operands is None or operands[0] is None:
        return None
    aval = array.aval
    try:
        out_aval = cached_abstract_eval(prim, (array, array), {})
    except (TypeError, ValueError):
        return None
    value = aval.dtype.type(scalar)
    literal = Array(np.asarray(value), _scalar_aval(aval.dtype, aval.weak))
    x = operands[1][0]
    out = Array(prim.impl(value, x) if swap else prim.impl(x, value), out_aval)
    if swap:
        args, slots = (literal, array), [None, array.id]
    else:
        args, slots = (array, literal), [array.id, None]
    return operands[0].record_broadcast(prim, args, out, slots)


# (array dtype, weak, Python scalar type) -> does promotion keep the array's type?
_SCALAR_KEEPS_TYPE = {}
_SCALAR_AVALS = {}


def _scalar_aval(dtype, weak):
    aval = _SCALAR_AVALS.get((dtype, weak))
    if aval is None:
        aval = _SCALAR_AVALS[(dtype, weak)] = intern(ShapedArray((), dtype, weak))
    return aval


def promote_and_broadcast(*xs):
    """Promote dtypes and broadcast shapes, as NumPy's elementwise functions do."""
    xs = promote(*xs)
    shape = broadcast_shapes(*[x.aval.shape for x in xs])
    return [broadcast_to(x, shape) for x in xs]
