"""Exchanging arrays with other libraries through DLPack.

``from_dlpack(x)`` takes anything with ``__dlpack__`` (NumPy, PyTorch and cupy
arrays, other DLPack producers) and shares its buffer when it can: a C-contiguous
host buffer of a supported dtype is used in place, as a read-only view; other
layouts are copied.  The producer must not write to a shared buffer afterwards
(functorch_lite arrays are immutable).  Arrays export themselves the same way
(``Array.__dlpack__``), so ``numpy.from_dlpack(x)`` shares memory too.
"""
import numpy as np

from transforms.array import Array
from xla_like import dtypes
from xla_like.ir import ShapedArray, intern

__all__ = ["from_dlpack"]


def from_dlpack(x, /, *, device=None, copy=None):
    """An Array sharing ``x``'s buffer (see the module docstring).

    >>> y = from_dlpack(np.arange(3.0))      # no copy
    """
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack: a {type(x).__name__} does not support DLPack "
                        "(it has no __dlpack__ method)")
    if device not in (None, "cpu") and str(device) != "cpu":
        raise ValueError(f"from_dlpack: only the CPU device is supported here, got {device!r}")
    try:
        host = np.from_dlpack(x, copy=copy)
    except BufferError as e:
        raise ValueError(f"from_dlpack: cannot import a {type(x).__name__} ({e}); "
                         "move it to host memory first") from None
    dtype = dtypes.canonicalize(host.dtype)
    if host.dtype != dtype or not host.flags.c_contiguous:
        host = np.ascontiguousarray(host, dtype=dtype)      # a copy we own
    else:
        host = host.view()
        host.flags.writeable = False
    return Array(host, intern(ShapedArray(host.shape, dtype, False)))
