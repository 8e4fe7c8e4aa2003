"""The complex-number primitives: ``real``, ``imag``, ``conj`` and ``complex``.

``real``/``imag`` take complex64/complex128 to float32/float64; ``complex(x, y)`` is
``x + i y`` for two float operands of one shape and dtype; ``conj`` keeps the dtype
(complex only: the NumPy layer returns real operands unchanged).  All four are
linear over the reals.

>>> real_p.impl(np.array([1 + 2j], np.complex64)).dtype
dtype('float32')
"""
import numpy as np

from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import check_kind, check_same

__all__ = ["real_p", "imag_p", "conj_p", "complex_p"]

_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}
_REAL_OF = {c: f for f, c in _COMPLEX_OF.items()}


def complex_dtype(dtype):
    """complex64 for float32, complex128 for float64 (complex dtypes unchanged)."""
    return _COMPLEX_OF.get(np.dtype(dtype), np.dtype(dtype))


def real_dtype(dtype):
    """float32 for complex64, float64 for complex128 (real dtypes unchanged)."""
    return _REAL_OF.get(np.dtype(dtype), np.dtype(dtype))


def _part_abstract_eval(name):
    def abstract_eval(x):
        check_kind(name, x, "c")
        return ShapedArray(x.shape, real_dtype(x.dtype), x.weak)
    return abstract_eval


def _part_impl(part):
    def impl(x):
        return np.array(part(x), dtype=real_dtype(x.dtype))
    return impl


real_p = Primitive("real", _part_abstract_eval("real"), _part_impl(np.real))
imag_p = Primitive("imag", _part_abstract_eval("imag"), _part_impl(np.imag))


def _conj_abstract_eval(x):
    check_kind("conj", x, "c")
    return x


def _conj_impl(x):
    return np.asarray(np.conjugate(x))           # an array also for 0-d operands


conj_p = Primitive("conj", _conj_abstract_eval, _conj_impl)


def _complex_abstract_eval(x, y):
    out = check_same("complex", (x, y))
    if out.dtype not in _COMPLEX_OF:
        raise TypeError(f"complex: operands must be float32 or float64, got {x} and {y}")
    return ShapedArray(out.shape, _COMPLEX_OF[out.dtype], out.weak)


def _complex_impl(x, y):
    out = np.empty(x.shape, _COMPLEX_OF[x.dtype])
    out.real, out.imag = x, y
    return out


complex_p = Primitive("complex", _complex_abstract_eval, _complex_impl)
