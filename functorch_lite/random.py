"""Counter-based pseudo-random numbers (Threefry-2x32), functional style.

A key is a ``uint32[2]`` array; the same key always gives the same numbers, and
``split``/``fold_in`` derive new independent keys::

    key = random.key(0)
    key, sub = random.split(key)
    x = random.normal(sub, (3,))

Everything is built from the ``threefry2x32`` primitive, so it works under every
transform: under ``vmap`` a batched key draws independent values per batch element
and an unbatched key draws the same values for all of them.
"""
import math

import numpy as np

from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite import numpy as fnp
from functorch_lite.numpy._convert import as_operand


def key(seed):
    """A key from an integer seed: ``key(0)``."""
    if isinstance(seed, (int, np.integer)):
        seed = int(seed)
        return fnp.asarray(np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], np.uint32))
    seed = as_operand(seed)
    if not dtypes.is_int(seed.dtype) or seed.shape != ():
        raise TypeError(f"key: seed must be an integer scalar, got {seed.aval}")
    return fnp.stack([fnp.zeros((), dtypes.uint32), seed.astype(dtypes.uint32, copy=False)])


PRNGKey = key


def _check_key(k, name):
    k = as_operand(k)
    if k.shape != (2,) or k.dtype != dtypes.uint32:
        raise TypeError(f"random.{name}: expected a key (uint32[2]), got {k.aval}")
    return k


def _hash(k, x0, x1):
    """Threefry of counter pairs (x0, x1) under key ``k`` (all uint32, same shape)."""
    shape = x0.shape
    k0 = fnp.broadcast_to(k[0], shape)
    k1 = fnp.broadcast_to(k[1], shape)
    return bind(P.threefry2x32_p, k0, k1, x0, x1)


def bits(k, shape=()):
    """Uniform random ``uint32`` bits of ``shape``."""
    k = _check_key(k, "bits")
    shape = tuple(shape)
    n = math.prod(shape)
    half = (n + 1) // 2
    counters = fnp.arange(half, dtype=dtypes.uint32)
    y0, y1 = _hash(k, counters, counters + np.uint32(half))
    return fnp.reshape(fnp.concatenate([y0, y1])[:n], shape)


def split(k, num=2):
    """``num`` new keys (an array of shape (num, 2)) derived from ``k``."""
    k = _check_key(k, "split")
    return fnp.reshape(bits(k, (num * 2,)), (num, 2))


def fold_in(k, data):
    """A new key that mixes the integer ``data`` into ``k``."""
    k = _check_key(k, "fold_in")
    data = fnp.asarray(as_operand(data), dtype=dtypes.uint32)
    zero = fnp.zeros((), dtypes.uint32)
    y0, y1 = _hash(k, fnp.reshape(zero, (1,)), fnp.reshape(data, (1,)))
    return fnp.concatenate([y0, y1])


def uniform(k, shape=(), dtype=dtypes.float32, minval=0.0, maxval=1.0):
    """Uniform floats in ``[minval, maxval)``; float32 has 24 random bits, float64 53."""
    k = _check_key(k, "uniform")
    dtype = dtypes.canonicalize(dtype)
    if not dtypes.is_float(dtype):
        raise TypeError(f"random.uniform: dtype must be a float type, got {dtype}")
    shape = tuple(shape)
    if dtype == dtypes.float64:
        raw = bits(k, shape + (2,))
        hi = (raw[..., 0] >> np.uint32(5)).astype(dtype, copy=False)
        lo = (raw[..., 1] >> np.uint32(6)).astype(dtype, copy=False)
        unit = (hi * 2.0 ** 26 + lo) * 2.0 ** -53
    else:
        unit = (bits(k, shape) >> np.uint32(8)).astype(dtype, copy=False) * np.asarray(2.0 ** -24, dtype)
    return unit * (maxval - minval) + minval


def normal(k, shape=(), dtype=dtypes.float32):
    """Standard normal samples: ``sqrt(2) * erf_inv(u)`` with ``u`` uniform in (-1, 1)."""
    dtype = dtypes.canonicalize(dtype)
    tiny = float(np.finfo(dtype).eps)
    u = uniform(k, shape, dtype, -1.0 + tiny, 1.0)
    return bind(P.erf_inv_p, u) * np.asarray(math.sqrt(2.0), dtype)


def randint(k, shape, minval, maxval, dtype=dtypes.int32):
    """Integers in ``[minval, maxval)`` (from 53-bit uniforms, so the bias is negligible)."""
    u = uniform(k, shape, dtypes.float64)
    span = float(maxval) - float(minval)
    return (fnp.floor(u * span) + float(minval)).astype(dtype, copy=False)


def bernoulli(k, p=0.5, shape=()):
    """Booleans that are True with probability ``p``."""
    return uniform(k, shape) < p


def permutation(k, n):
    """A random permutation of ``arange(n)`` (sorting by random keys)."""
    keys = bits(k, (n,))
    order = bind(P.sort_p, keys, fnp.arange(n), dimension=0, is_stable=True, num_keys=1)
    return order[1]
