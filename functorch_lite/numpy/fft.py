"""functorch_lite.numpy.fft: NumPy's discrete Fourier transforms, differentiable,
batchable and compilable.

``fft``, ``ifft``, ``rfft``, ``irfft``, ``hfft``, ``ihfft`` (one axis, length ``n``),
``fft2``, ``ifft2``, ``rfft2``, ``irfft2`` (two axes), ``fftn``, ``ifftn``, ``rfftn``,
``irfftn`` (any axes, lengths ``s``), with NumPy's signatures (and the Array API's:
``fftfreq``/``rfftfreq`` take ``device=``) and ``norm`` modes (``"backward"``, the
default: no scaling forward and ``1/n`` inverse; ``"ortho"``: ``1/sqrt(n)`` both
ways; ``"forward"``: ``1/n`` forward, none inverse); plus ``fftfreq``, ``rfftfreq``,
``fftshift``, ``ifftshift``.  Each transform moves its axes to the end, pads with zeros
or crops them to the requested lengths, and binds the one ``fft`` primitive
(``xla_like/primitives/fft.py``).

Precision follows the input: float32/complex64 give complex64 (float32 from the
inverse real transforms), float64/complex128 give complex128; integers compute as
floats first (float32, float64 for 64-bit integers), unlike NumPy, which always
returns double precision.  Repeated axes are an error (NumPy repeats the transform).
Gradients of real losses through complex values follow JAX's convention
(``transforms/fft_rules.py``): ``grad(L)(z) = dL/dx - i dL/dy``.

>>> fft(fnp.asarray([1.0, 0.0, 0.0, 0.0]))                 # [1, 1, 1, 1] (complex64)
>>> irfft(rfft(fnp.arange(4.0)))                           # [0, 1, 2, 3]
"""
import math
import operator

from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from xla_like.primitives.complex_parts import complex_dtype, real_dtype
from functorch_lite import numpy as fnp
from functorch_lite.numpy._convert import as_operand
from functorch_lite.numpy._shape import astype, normalize_axis
from functorch_lite.numpy._ufuncs import _to_kind

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift",
           "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")
# (forward transform?) -> norm -> exponent e of the scale n**e applied to the result
_SCALE_EXPONENT = {True: {"backward": 0, "ortho": -0.5, "forward": -1},
                   False: {"backward": 0, "ortho": 0.5, "forward": 1}}


# ---- argument handling ---------------------------------------------------------------------

def _operand(a, fft_type, name):
    """Floats for the real transforms, complex for the others (ints become floats)."""
    x = _to_kind(as_operand(a), "fc", name)
    if fft_type == "RFFT":
        if dtypes.is_complex(x.aval.dtype):
            raise TypeError(f"{name}: needs a real input, got {x.aval} (use fft for "
                            "complex input)")
        return x
    return astype(x, complex_dtype(x.aval.dtype))


def _axes_and_lengths(x, s, axes, name):
    """NumPy's rules: ``axes`` defaults to the last ``len(s)`` axes (all without ``s``);
    ``s`` to the current sizes.  Returns non-negative axes and the lengths, or ``None``
    for a length to take from the input."""
    if axes is None:
        axes = tuple(range(x.ndim - (x.ndim if s is None else len(s)), x.ndim))
    axes = tuple(normalize_axis(a, x.ndim, name) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axes {axes} are not supported")
    if not axes:
        raise ValueError(f"{name}: needs at least one axis, got an empty axes for "
                         f"{x.aval}")
    if s is None:
        return axes, (None,) * len(axes)
    s = tuple(operator.index(n) for n in s)
    if len(s) != len(axes):
        raise ValueError(f"{name}: s {s} and axes {axes} must have the same length")
    if any(n < 1 for n in s):
        raise ValueError(f"{name}: invalid number of FFT data points in s {s}")
    return axes, s


def _fit(x, axis, size):
    """Crop or zero-pad ``x`` along ``axis`` to ``size``."""
    current = x.shape[axis]
    if size == current:
        return x
    if size < current:
        limits = x.shape[:axis] + (size,) + x.shape[axis + 1:]
        return bind(P.slice_p, x, start_indices=(0,) * x.ndim, limit_indices=limits,
                    strides=None)
    config = [(0, 0, 0)] * x.ndim
    config[axis] = (0, size - current, 0)
    zero = fnp.zeros((), x.aval.dtype)
    return bind(P.pad_p, x, zero, padding_config=tuple(config))


def _check_norm(norm, name):
    if norm not in _NORMS:
        raise ValueError(f"{name}: norm must be one of 'backward', 'ortho', 'forward' "
                         f"(or None), got {norm!r}")
    return "backward" if norm is None else norm


# ---- the one driver ------------------------------------------------------------------------

def _transform(a, s, axes, norm, fft_type, name):
    """Move ``axes`` to the end (in order), fit their lengths, bind ``fft``, move back."""
    norm = _check_norm(norm, name)
    x = _operand(a, fft_type, name)
    axes, lengths = _axes_and_lengths(x, s, axes, name)
    last = lengths[-1]
    lengths = tuple(x.shape[a] if n is None else n for n, a in zip(lengths, axes))
    fitted = lengths
    if fft_type == "IRFFT":                      # the last length is the *output* length
        last = 2 * (x.shape[axes[-1]] - 1) if last is None else last
        if last < 1:
            raise ValueError(f"{name}: invalid number of data points ({last}) for the "
                             f"last axis of {x.aval}")
        lengths = lengths[:-1] + (last,)
        fitted = lengths[:-1] + (last // 2 + 1,)
    for axis, size in zip(axes, fitted):
        if size < 1:
            raise ValueError(f"{name}: invalid number of FFT data points ({size}) along "
                             f"axis {axis} of {x.aval}")
        x = _fit(x, axis, size)
    k = len(axes)
    x = fnp.moveaxis(x, axes, tuple(range(x.ndim - k, x.ndim)))
    out = bind(P.fft_p, x, fft_type=fft_type, fft_lengths=lengths)
    exponent = _SCALE_EXPONENT[fft_type in ("FFT", "RFFT")][norm]
    if exponent:
        scale = math.prod(lengths) ** exponent
        out = out * fnp.asarray(scale, dtype=real_dtype(out.aval.dtype))
    return fnp.moveaxis(out, tuple(range(out.ndim - k, out.ndim)), axes)


# ---- public functions -------------------------------------------------------------------------

def fft(a, n=None, axis=-1, norm=None):
    """The one-dimensional discrete Fourier transform along ``axis``, cropped or
    zero-padded to ``n`` points.

    >>> fft(fnp.asarray([1.0, 2.0]))                        # [3, -1] (complex64)
    """
    return _transform(a, None if n is None else (n,), (axis,), norm, "FFT", "fft")


def ifft(a, n=None, axis=-1, norm=None):
    """The inverse of ``fft``: ``ifft(fft(x)) == x``.

    >>> ifft(fnp.asarray([3.0, -1.0]))                      # [1, 2] (complex64)
    """
    return _transform(a, None if n is None else (n,), (axis,), norm, "IFFT", "ifft")


def rfft(a, n=None, axis=-1, norm=None):
    """The FFT of real input: the ``n // 2 + 1`` non-negative frequencies.

    >>> rfft(fnp.asarray([1.0, 2.0, 3.0]))                  # [6, -1.5+0.866j]
    """
    return _transform(a, None if n is None else (n,), (axis,), norm, "RFFT", "rfft")


def irfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``rfft``: a real signal of ``n`` points (default
    ``2 * (a.shape[axis] - 1)``; pass ``n`` for odd lengths).

    >>> irfft(rfft(fnp.asarray([1.0, 2.0, 3.0])), n=3)      # [1, 2, 3]
    """
    return _transform(a, None if n is None else (n,), (axis,), norm, "IRFFT", "irfft")


def fftn(a, s=None, axes=None, norm=None):
    """The N-dimensional FFT over ``axes`` (default: the last ``len(s)``, else all),
    each cropped or padded to ``s``.

    >>> fftn(fnp.ones((2, 2)))                              # [[4, 0], [0, 0]]
    """
    return _transform(a, s, axes, norm, "FFT", "fftn")


def ifftn(a, s=None, axes=None, norm=None):
    """The inverse of ``fftn``.

    >>> ifftn(fftn(fnp.ones((2, 2))))                       # ones (complex64)
    """
    return _transform(a, s, axes, norm, "IFFT", "ifftn")


def rfftn(a, s=None, axes=None, norm=None):
    """The N-dimensional FFT of real input; the last axis keeps ``s[-1] // 2 + 1``
    frequencies.

    >>> rfftn(fnp.ones((2, 4))).shape                       # (2, 3)
    """
    return _transform(a, s, axes, norm, "RFFT", "rfftn")


def irfftn(a, s=None, axes=None, norm=None):
    """The inverse of ``rfftn`` (pass ``s`` for an odd last length).

    >>> irfftn(rfftn(fnp.ones((2, 4)))).shape               # (2, 4)
    """
    return _transform(a, s, axes, norm, "IRFFT", "irfftn")


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """``fftn`` over two axes (the last two by default).

    >>> fft2(fnp.ones((2, 2)))                              # [[4, 0], [0, 0]]
    """
    return _transform(a, s, axes, norm, "FFT", "fft2")


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """``ifftn`` over two axes.  ``ifft2(fft2(x)) == x``"""
    return _transform(a, s, axes, norm, "IFFT", "ifft2")


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """``rfftn`` over two axes.  ``rfft2(fnp.ones((2, 4))).shape == (2, 3)``"""
    return _transform(a, s, axes, norm, "RFFT", "rfft2")


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """``irfftn`` over two axes.  ``irfft2(rfft2(x)) == x`` (even last length)"""
    return _transform(a, s, axes, norm, "IRFFT", "irfft2")


# a Hermitian signal's transforms are the real transforms run the other way
_SWAPPED_NORM = {None: "forward", "backward": "forward", "ortho": "ortho",
                 "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None):
    """The FFT of a signal with Hermitian symmetry, given by its first half ``a``: a
    real spectrum of ``n`` points (default ``2 * (a.shape[axis] - 1)``).

    >>> hfft(fnp.asarray([1.0, 2.0, 3.0]))                  # [8, -2, 0, -2] (float32)
    """
    _check_norm(norm, "hfft")
    return irfft(fnp.conj(_operand(a, "FFT", "hfft")), n, axis, _SWAPPED_NORM[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``hfft``: the first ``n // 2 + 1`` points of the Hermitian
    signal whose spectrum is the real ``a``.

    >>> ihfft(hfft(fnp.asarray([1.0, 2.0, 3.0])))           # [1, 2, 3] (complex64)
    """
    _check_norm(norm, "ihfft")
    return fnp.conj(rfft(a, n, axis, _SWAPPED_NORM[norm]))


# ---- frequencies and shifts ---------------------------------------------------------------------

def _check_device(device, name):
    from functorch_lite.numpy._array_api_creation import check_device
    check_device(device, name)


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an ``n``-point FFT with spacing ``d``.

    >>> fftfreq(4)                                          # [0, 0.25, -0.5, -0.25]
    """
    _check_device(device, "fftfreq")
    n = operator.index(n)
    k = fnp.concatenate([fnp.arange(0, (n - 1) // 2 + 1), fnp.arange(-(n // 2), 0)])
    return astype(k, dtype or dtypes.default_float) / (n * d)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of ``rfft``: ``0 .. n // 2`` over ``n * d``.

    >>> rfftfreq(4)                                         # [0, 0.25, 0.5]
    """
    _check_device(device, "rfftfreq")
    n = operator.index(n)
    return astype(fnp.arange(0, n // 2 + 1), dtype or dtypes.default_float) / (n * d)


def _roll(x, shifts, axes):
    for shift, axis in zip(shifts, axes):
        size = x.shape[axis]
        if size and shift % size:
            cut = size - shift % size
            first = _fit(x, axis, cut)
            rest = bind(P.slice_p, x, start_indices=tuple(cut if i == axis else 0
                                                          for i in range(x.ndim)),
                        limit_indices=x.shape, strides=None)
            x = fnp.concatenate([rest, first], axis=axis)
    return x


def _shift(x, axes, sign, name):
    x = as_operand(x)
    axes = tuple(range(x.ndim)) if axes is None else (
        (axes,) if isinstance(axes, int) else tuple(axes))
    axes = tuple(normalize_axis(a, x.ndim, name) for a in axes)
    shifts = [sign * (x.shape[a] // 2) for a in axes]
    return _roll(x, shifts, axes)


def fftshift(x, axes=None):
    """Move the zero frequency to the centre: ``fftshift(fftfreq(4))`` is
    ``[-0.5, -0.25, 0, 0.25]``."""
    return _shift(x, axes, 1, "fftshift")


def ifftshift(x, axes=None):
    """The inverse of ``fftshift``."""
    return _shift(x, axes, -1, "ifftshift")
