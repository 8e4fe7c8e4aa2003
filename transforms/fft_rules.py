"""Rules of the FFT and complex-number primitives (``xla_like/primitives/fft.py``,
``xla_like/primitives/complex_parts.py``): JVPs, transposes and batching.

All five primitives are linear over the reals, so their JVP applies the primitive to
the tangent, and reverse mode transposes them.

Conjugation convention (JAX's): a complex value is a pair of reals, and transpose
rules are the plain (bilinear) transposes for the pairing ``<a, b> = Re(a * b)``,
with no conjugation; ``mul`` by a constant ``c`` transposes to ``mul`` by ``c``
(transforms/jvp_rules.py).  So for a real loss ``L`` of ``z = x + i y``,
``grad(L)(z) = dL/dx - i dL/dy``, the conjugate of the steepest-ascent direction
(gradient descent on complex parameters steps along ``-conj(grad)``); e.g.
``grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j``.  The transposes that follow:

* ``real``: ``ct -> complex(ct, 0)``; ``imag``: ``ct -> complex(0, -ct)``;
* ``complex(x, y)``: ``ct -> (real(ct), -imag(ct))``; ``conj``: ``ct -> conj(ct)``;
* ``FFT``/``IFFT``: the DFT matrix is symmetric, so each is its own transpose;
* ``RFFT`` (real ``x`` -> first half of ``FFT(x)``): ``ct -> real(FFT(pad(ct)))``,
  zero-padding the last axis back to its full length;
* ``IRFFT``: ``ct -> conj(RFFT(ct) * mask) / N`` with ``mask`` 1 at the
  self-conjugate frequencies (0 and, for even lengths, ``n / 2``) and 2 elsewhere:
  each other frequency stands for itself and its mirror image.

Batching: ``fft`` works on trailing axes, so the batch dimension moves to the front;
the complex-part primitives are elementwise.
"""
import numpy as np

from transforms import ops
from transforms.array import from_numpy
from transforms.core import bind
from transforms.jvp import defjvp_linear
from transforms.linearize import is_linear, transpose_rules
from transforms.vmap import (batch_rules, broadcast_batched, defbroadcasting,
                             defvectorized)
from xla_like import primitives as P
from xla_like.primitives.complex_parts import complex_dtype


def _complex(x, y):
    return bind(P.complex_p, x, y)


def _real(x):
    return bind(P.real_p, x)


def _imag(x):
    return bind(P.imag_p, x)


# ---- real, imag, conj, complex -------------------------------------------------------------

for _prim in (P.real_p, P.imag_p, P.conj_p, P.complex_p):
    defjvp_linear(_prim)
for _prim in (P.real_p, P.imag_p, P.conj_p):
    defvectorized(_prim)
defbroadcasting(P.complex_p)


def _complex_transpose(ct, x, y):
    return [_real(ct) if is_linear(x) else None,
            ops.neg(_imag(ct)) if is_linear(y) else None]


transpose_rules[P.real_p] = lambda ct, x: [_complex(ct, ops.full_like(ct, 0))]
transpose_rules[P.imag_p] = lambda ct, x: [_complex(ops.full_like(ct, 0), ops.neg(ct))]
transpose_rules[P.conj_p] = lambda ct, x: [bind(P.conj_p, ct)]
transpose_rules[P.complex_p] = _complex_transpose


# ---- fft ---------------------------------------------------------------------------------------

defjvp_linear(P.fft_p)


def _fft(x, fft_type, fft_lengths):
    return bind(P.fft_p, x, fft_type=fft_type, fft_lengths=fft_lengths)


def _rfft_transpose(ct, fft_lengths):
    """``RFFT = slice . FFT . (real -> complex)``: transpose each, last first."""
    nd = ct.aval.ndim
    missing = fft_lengths[-1] - ct.aval.shape[-1]
    zero = ops.constant(0, ct.aval.dtype)
    config = ((0, 0, 0),) * (nd - 1) + ((0, missing, 0),)
    padded = bind(P.pad_p, ct, zero, padding_config=config)
    return _real(_fft(padded, "FFT", fft_lengths))


def _irfft_transpose(ct, fft_lengths):
    n = fft_lengths[-1]
    mask = np.full(n // 2 + 1, 2.0)
    mask[0] = 1.0
    if n % 2 == 0:
        mask[-1] = 1.0
    spectrum = _fft(ct, "RFFT", fft_lengths)
    aval = spectrum.aval
    scale = from_numpy(np.asarray(mask / np.prod(fft_lengths), complex_dtype(ct.aval.dtype)))
    scale = ops.broadcast_in_dim(scale, aval.shape, (aval.ndim - 1,))
    return bind(P.conj_p, ops.mul(spectrum, scale))


_FFT_TRANSPOSES = {
    "FFT": lambda ct, fft_lengths: _fft(ct, "FFT", fft_lengths),
    "IFFT": lambda ct, fft_lengths: _fft(ct, "IFFT", fft_lengths),
    "RFFT": _rfft_transpose,
    "IRFFT": _irfft_transpose,
}


def _fft_transpose(ct, x, fft_type, fft_lengths):
    return [_FFT_TRANSPOSES[fft_type](ct, fft_lengths)]


transpose_rules[P.fft_p] = _fft_transpose


def _fft_batch(args, bdims, fft_type, fft_lengths):
    (x,), (bdim,) = args, bdims
    x = broadcast_batched(x, bdim, x.aval.shape[bdim], 0)
    return _fft(x, fft_type, fft_lengths), 0


batch_rules[P.fft_p] = _fft_batch
