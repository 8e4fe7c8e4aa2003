"""The fast Fourier transform primitive ``fft``.

``fft(x, fft_type, fft_lengths)`` transforms the trailing ``len(fft_lengths)`` axes of
``x`` (the leading ones are a batch); the NumPy layer moves the user's axes to the end
and pads or crops them to the requested lengths.  ``fft_type`` is one of

* ``"FFT"``: complex to complex, ``y[k] = sum_j x[j] exp(-2 pi i jk / n)``; the
  trailing axes of ``x`` equal ``fft_lengths``;
* ``"IFFT"``: its inverse, scaled by ``1 / prod(fft_lengths)``;
* ``"RFFT"``: float to complex, the FFT of a real array keeping the non-negative
  frequencies of the last axis: trailing shape ``fft_lengths`` becomes
  ``fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)``;
* ``"IRFFT"``: the inverse of ``RFFT``: trailing shape ``fft_lengths[:-1] +
  (fft_lengths[-1] // 2 + 1,)`` to the real ``fft_lengths`` (the input is taken as the
  non-negative half of a Hermitian-symmetric spectrum; the imaginary parts of the
  self-conjugate entries are ignored, as NumPy does).

Precision follows the operand: float32/complex64 compute and return complex64
(float32 for IRFFT), float64/complex128 give complex128/float64.

>>> fft_p.impl(np.ones(4, np.complex64), fft_type="FFT", fft_lengths=(4,))
array([4.+0.j, 0.+0.j, 0.+0.j, 0.+0.j], dtype=complex64)
"""
import numpy as np

from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.complex_parts import complex_dtype, real_dtype

__all__ = ["fft_p", "FFT_TYPES"]

FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")
_FLOATS = (dtypes.float32, dtypes.float64)
_COMPLEXES = (dtypes.complex64, dtypes.complex128)


def _half(lengths):
    """Trailing shape of an RFFT result (and of an IRFFT operand)."""
    return lengths[:-1] + (lengths[-1] // 2 + 1,)


# fft_type -> (operand dtypes, operand trailing shape, output dtype, output trailing shape)
_SIGNATURES = {
    "FFT": (_COMPLEXES, lambda n: n, lambda d: d, lambda n: n),
    "IFFT": (_COMPLEXES, lambda n: n, lambda d: d, lambda n: n),
    "RFFT": (_FLOATS, lambda n: n, complex_dtype, _half),
    "IRFFT": (_COMPLEXES, _half, real_dtype, lambda n: n),
}


def _check_lengths(fft_lengths, x):
    if (not isinstance(fft_lengths, tuple) or not fft_lengths
            or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in fft_lengths)):
        raise ValueError(f"fft: fft_lengths must be a non-empty tuple of positive ints, "
                         f"got {fft_lengths!r}")
    if len(fft_lengths) > x.ndim:
        raise ValueError(f"fft: {len(fft_lengths)} fft_lengths {fft_lengths} for an "
                         f"operand of rank {x.ndim} ({x})")


def _fft_abstract_eval(x, fft_type, fft_lengths):
    if fft_type not in _SIGNATURES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    _check_lengths(fft_lengths, x)
    in_dtypes, in_shape, out_dtype, out_shape = _SIGNATURES[fft_type]
    if x.dtype not in in_dtypes:
        names = " or ".join(str(d) for d in in_dtypes)
        raise TypeError(f"fft: {fft_type} needs a {names} operand, got {x}")
    k = len(fft_lengths)
    if x.shape[x.ndim - k:] != in_shape(tuple(fft_lengths)):
        raise ValueError(f"fft: {fft_type} with fft_lengths {fft_lengths} needs trailing "
                         f"dimensions {in_shape(tuple(fft_lengths))}, got {x}")
    shape = x.shape[:x.ndim - k] + out_shape(tuple(fft_lengths))
    return ShapedArray(shape, out_dtype(x.dtype), x.weak)


_NUMPY = {"FFT": np.fft.fftn, "IFFT": np.fft.ifftn, "RFFT": np.fft.rfftn,
          "IRFFT": np.fft.irfftn}


def _fft_impl(x, fft_type, fft_lengths):
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    out = _NUMPY[fft_type](x, s=fft_lengths, axes=axes)
    out_dtype = _SIGNATURES[fft_type][2]
    return np.asarray(out, dtype=out_dtype(x.dtype))    # NumPy computes in double precision


fft_p = Primitive("fft", _fft_abstract_eval, _fft_impl)
