"""The Array API standard's keywords on the creation and conversion functions.

The standard gives every creation function a ``device=`` keyword and ``asarray``,
``astype`` and ``reshape`` a ``copy=`` keyword.  NumPy 2 has the same keywords, so
these wrappers keep NumPy's signatures and add them; ``functorch_lite.numpy`` exports
the wrapped functions.

Devices: every array lives on the one CPU device (``xla_like.backends.devices()``);
``device=None``, that device or the string ``"cpu"`` are accepted, anything else is
an error naming the devices there are.  ``copy``: arrays are immutable, so a shared
buffer is never observable through this library; ``copy=True`` still allocates a new
buffer (as the standard asks, e.g. before exporting it through DLPack) and
``copy=False`` raises ``ValueError`` where a copy cannot be avoided.
"""
import functools
import inspect

import numpy as np

from transforms.array import Array
from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from xla_like.backends import default_device, devices
from functorch_lite.numpy import _convert, _creation, _shape

__all__ = ["arange", "asarray", "astype", "empty", "empty_like", "expand_dims", "eye",
           "full", "full_like", "linspace", "ones", "ones_like", "reshape", "zeros",
           "zeros_like"]


def check_device(device, name):
    """The device an array should go to (``None``: the default device); raises a
    ``ValueError`` naming the available devices for any other.

    >>> check_device("cpu", "zeros")
    CpuDevice(id=0)
    """
    if device is None or (isinstance(device, str) and device == "cpu"):
        return default_device()
    if device in devices():
        return device
    raise ValueError(f"{name}: device {device!r} is not available here; available "
                     f"devices: {devices()}")


def _with_device(fn):
    """``fn`` with a keyword-only ``device=None`` added to its signature."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapped(*args, device=None, **kwargs):
        check_device(device, name)
        return fn(*args, **kwargs)
    signature = inspect.signature(fn)
    extra = inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY, default=None)
    wrapped.__signature__ = signature.replace(
        parameters=[*signature.parameters.values(), extra])
    wrapped.__doc__ = (fn.__doc__ or "") + (
        "\n\n    ``device``: the Array API keyword; only the CPU device is available.")
    return wrapped


arange = _with_device(_creation.arange)
empty = _with_device(_creation.empty)
empty_like = _with_device(_creation.empty_like)
eye = _with_device(_creation.eye)
full = _with_device(_creation.full)
full_like = _with_device(_creation.full_like)
linspace = _with_device(_creation.linspace)
ones = _with_device(_creation.ones)
ones_like = _with_device(_creation.ones_like)
zeros = _with_device(_creation.zeros)
zeros_like = _with_device(_creation.zeros_like)


def _fresh_copy(x):
    return bind(P.copy_p, x)


def _share_host_buffer(x, dtype, name):
    """An Array viewing NumPy array ``x``'s buffer (read-only), or ValueError."""
    host = np.asarray(x)
    if dtype is not None and host.dtype != dtype:
        raise ValueError(f"{name}: copy=False, but converting {host.dtype} to {dtype} "
                         "needs a copy")
    if host.dtype not in dtypes.SUPPORTED or not host.flags.c_contiguous:
        raise ValueError(f"{name}: copy=False, but a {host.dtype} array with this layout "
                         "has to be copied (C-contiguous arrays of a supported dtype can "
                         "be shared)")
    from functorch_lite.numpy._interop import wrap_host_buffer
    return wrap_host_buffer(host)


def asarray(obj, /, dtype=None, order=None, *, device=None, copy=None):
    """Convert ``obj`` (array, NumPy array, nested sequence or scalar) to an Array.

    ``copy=None`` copies only when needed, ``copy=True`` always, ``copy=False`` never
    (a NumPy array's buffer is then shared read-only; ValueError if it cannot be).
    ``order`` is accepted for NumPy compatibility (arrays are always C-ordered).

    >>> asarray([1, 2], dtype=float32, copy=True).dtype
    dtype('float32')
    """
    if copy is None and device is None:          # the everyday path: no extra work
        return _convert.asarray(obj, dtype)
    check_device(device, "asarray")
    if dtype is not None:
        dtype = dtypes.canonicalize(dtype)
    if copy is None:
        return _convert.asarray(obj, dtype)
    if type(obj) is Array or isinstance(obj, Tracer):
        converted = dtype is not None and obj.aval.dtype != dtype
        if not copy and converted:
            raise ValueError(f"asarray: copy=False, but converting {obj.aval.dtype} to "
                             f"{dtype} needs a copy")
        out = _convert.asarray(obj, dtype)
        return _fresh_copy(out) if copy and not converted else out
    if copy:
        return _convert.asarray(obj, dtype)            # NumPy and Python data are copied
    if isinstance(obj, np.ndarray):
        return _share_host_buffer(obj, dtype, "asarray")
    raise ValueError(f"asarray: copy=False, but a {type(obj).__name__} has to be copied "
                     "into a new buffer")


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` converted to ``dtype`` (the result is never weak); with ``copy=False`` an
    array already of that dtype is returned as is.

    >>> astype(arange(3), float32).dtype
    dtype('float32')
    """
    check_device(device, "astype")
    x = _convert.as_operand(x, "astype: x")
    dtype = dtypes.canonicalize(dtype)
    if x.aval.dtype == dtype and not x.aval.weak:
        return _fresh_copy(x) if copy else x
    return _shape.astype(x, dtype)


def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    """``a`` with a new ``shape`` (NumPy's signature plus the standard's ``copy``:
    ``True`` asks for a new buffer; reshaping never needs one, so ``False`` is fine).

    >>> reshape(arange(6), (2, -1)).shape
    (2, 3)
    """
    out = _shape.reshape(a, shape, order, newshape=newshape)
    return _fresh_copy(out) if copy else out


def expand_dims(a, axis=0):
    """``a`` with new unit axes at ``axis`` (an int or a tuple; default 0, as the
    standard's ``expand_dims(x, /, *, axis=0)``).

    >>> expand_dims(ones(3)).shape
    (1, 3)
    """
    return _shape.expand_dims(a, axis)

