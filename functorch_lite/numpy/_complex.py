"""Complex parts: ``real``, ``imag``, ``conj``/``conjugate``, ``angle``, as NumPy has them.

Real inputs: ``real`` returns them unchanged, ``imag`` returns zeros, ``conj`` returns
them unchanged (NumPy does the same).  Derivatives follow the conjugation convention
documented in ``transforms/fft_rules.py``.
"""
from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand
from functorch_lite.numpy import _ufuncs as uf
from functorch_lite.numpy._creation import zeros_like

__all__ = ["real", "imag", "conj", "conjugate", "angle"]


def real(val, /):
    """The real part: ``real(fnp.asarray([1 + 2j]))`` is ``[1.0]``."""
    x = as_operand(val)
    return bind(P.real_p, x) if dtypes.is_complex(x.aval.dtype) else x


def imag(val, /):
    """The imaginary part (zeros for real input): ``imag(fnp.asarray([1 + 2j]))`` is
    ``[2.0]``."""
    x = as_operand(val)
    if dtypes.is_complex(x.aval.dtype):
        return bind(P.imag_p, x)
    return zeros_like(x)


def conjugate(x, /):
    """The complex conjugate: ``conj(fnp.asarray([1 + 2j]))`` is ``[1 - 2j]``."""
    x = as_operand(x)
    return bind(P.conj_p, x) if dtypes.is_complex(x.aval.dtype) else x


conj = conjugate


def angle(z, deg=False):
    """The argument ``atan2(imag(z), real(z))`` in radians (degrees if ``deg``):
    ``angle(fnp.asarray([1j]))`` is ``[1.5708]``."""
    z = as_operand(z)
    if not dtypes.is_inexact(z.aval.dtype):
        z = uf.multiply(z, 1.0)
    out = uf.arctan2(imag(z), real(z))
    return uf.rad2deg(out) if deg else out
