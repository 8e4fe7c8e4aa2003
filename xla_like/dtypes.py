"""Dtypes, weak types and the one promotion lattice.

Supported dtypes: bool, int8..int64, uint8..uint64, float16, float32, float64,
complex64, complex128.  Python scalars are *weak*: they take the dtype of the
array they meet (``x_f32 * 2.0`` stays float32).

Promotion is the least upper bound in this lattice (``a -> b`` means "b is wider"):

    bool -> i*          i* -> u8, i8, f*        (i*, f*, c*: weak int/float/complex)
    u8 -> u16, i16      u16 -> u32, i32         u32 -> u64, i64      u64 -> f*
    i8 -> i16 -> i32 -> i64 -> f*
    f* -> f16 -> f32 -> f64 -> c128             f* -> c* -> c64 -> c128
    f32 -> c64

When the upper bound is a weak category, the result is weak with the category's
default dtype (int32, float32, complex64).  Strong operands land there only when
uint64 meets a signed integer; that gives float64 (complex128 with a weak complex).
Because of that one concretization, promotion is not associative for uint64 mixed
with signed integers: functions that promote several operands join them all at
once (``result_type(a, b, c)``), never pairwise.
"""
import functools
import numpy as np

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in ("uint8", "uint16", "uint32", "uint64"))
float16, float32, float64 = (np.dtype(t) for t in ("float16", "float32", "float64"))
complex64, complex128 = np.dtype("complex64"), np.dtype("complex128")

SUPPORTED = (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
             float16, float32, float64, complex64, complex128)
_SHORT = {bool_: "bool", int8: "i8", int16: "i16", int32: "i32", int64: "i64",
          uint8: "u8", uint16: "u16", uint32: "u32", uint64: "u64",
          float16: "f16", float32: "f32", float64: "f64",
          complex64: "c64", complex128: "c128"}
_FROM_SHORT = {v: k for k, v in _SHORT.items()}

default_int, default_float, default_complex = int32, float32, complex64


def short_name(dtype):
    """``float32 -> 'f32'``: the spelling used by the IR printer."""
    return _SHORT[dtype]


def from_short_name(name):
    try:
        return _FROM_SHORT[name]
    except KeyError:
        raise ValueError(f"unknown dtype name {name!r}") from None


def canonicalize(dtype):
    """Return the supported ``np.dtype`` for ``dtype`` or raise a clear TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype") from None
    if dt not in _SHORT:
        raise TypeError(f"dtype {dt} is not supported by functorch_lite "
                        f"(supported: {', '.join(str(d) for d in SUPPORTED)})")
    return dt


def is_bool(dt):
    return dt == bool_


def is_signed_int(dt):
    return dt.kind == "i"


def is_unsigned_int(dt):
    return dt.kind == "u"


def is_int(dt):
    return dt.kind in "iu"


def is_float(dt):
    return dt.kind == "f"


def is_complex(dt):
    return dt.kind == "c"


def is_inexact(dt):
    return dt.kind in "fc"


def is_numeric(dt):
    return dt.kind in "iufc"


# ---- the lattice -------------------------------------------------------------

_WEAK_INT, _WEAK_FLOAT, _WEAK_COMPLEX = "i*", "f*", "c*"
_CATEGORY_DEFAULT = {_WEAK_INT: int32, _WEAK_FLOAT: float32, _WEAK_COMPLEX: complex64}
_EDGES = {
    bool_: [_WEAK_INT],
    _WEAK_INT: [uint8, int8, _WEAK_FLOAT],
    uint8: [uint16, int16], uint16: [uint32, int32], uint32: [uint64, int64],
    uint64: [_WEAK_FLOAT],
    int8: [int16], int16: [int32], int32: [int64], int64: [_WEAK_FLOAT],
    _WEAK_FLOAT: [float16, _WEAK_COMPLEX],
    float16: [float32], float32: [float64, complex64], float64: [complex128],
    _WEAK_COMPLEX: [complex64], complex64: [complex128], complex128: [],
}


def _upper_set(node):
    seen, todo = {node}, [node]
    while todo:
        for nxt in _EDGES[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


_UPPER = {node: _upper_set(node) for node in _EDGES}


@functools.lru_cache(maxsize=None)
def _join(a, b):
    common = _UPPER[a] & _UPPER[b]
    (least,) = [n for n in common if _UPPER[n] == common]
    return least


def _category(dt):
    if dt.kind in "iu":
        return _WEAK_INT
    if dt.kind == "f":
        return _WEAK_FLOAT
    if dt.kind == "c":
        return _WEAK_COMPLEX
    return dt  # bool has no weak form


def promote_types(*dtypes):
    """Promote strong dtypes: ``promote_types(int32, float32) == float32``."""
    return result_type(*[(canonicalize(d), False) for d in dtypes])[0]


@functools.lru_cache(maxsize=4096)
def result_type(*operands):
    """Promote ``(dtype, weak)`` pairs; returns ``(dtype, weak)``.

    ``result_type((float32, False), (float64, True)) == (float32, False)``
    """
    if not operands:
        raise ValueError("result_type needs at least one operand")
    if all(weak for _, weak in operands):
        strong = result_type(*[(d, False) for d, _ in operands])[0]
        return strong, not is_bool(strong)
    nodes = [_category(dt) if weak else dt for dt, weak in operands]
    node = nodes[0]
    for other in nodes[1:]:
        node = _join(node, other)
    if isinstance(node, np.dtype):
        return node, False
    if any(not weak and dt.itemsize == 8 and dt.kind in "iu" for dt, weak in operands):
        return (complex128 if node == _WEAK_COMPLEX else float64), False
    return _CATEGORY_DEFAULT[node], True


def python_scalar_dtype(value):
    """The weak dtype a Python scalar takes: bool, int32, float32 or complex64."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int32
    if isinstance(value, float):
        return float32
    if isinstance(value, complex):
        return complex64
    raise TypeError(f"{type(value).__name__} is not a Python scalar")


def finfo(dtype):
    return np.finfo(canonicalize(dtype))


def iinfo(dtype):
    return np.iinfo(canonicalize(dtype))
