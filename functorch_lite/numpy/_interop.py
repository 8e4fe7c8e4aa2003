"""Exchanging arrays with other libraries through DLPack.

``from_dlpack(x)`` takes anything with ``__dlpack__`` (NumPy, PyTorch and cupy
arrays, other DLPack producers) and shares its buffer when it can: a C-contiguous
host buffer of a supported dtype is used in place, as a read-only view; other
layouts are copied.  The producer must not write to a shared buffer afterwards
(functorch_lite arrays are immutable).  Arrays export themselves the same way
(``Array.__dlpack__``), so ``numpy.from_dlpack(x)`` and ``torch.from_dlpack(x)``
share memory too.

The Array API keywords: ``copy=None`` shares when possible, ``copy=True`` always
copies, ``copy=False`` never does (``ValueError`` where a copy would be needed);
``device=None`` keeps the data where it is, which must be host memory here (a GPU
array raises ``BufferError``), while ``device="cpu"`` (or the CPU device object) asks
the producer to move it to the host first (a copy, so not with ``copy=False``).
"""
import numpy as np

from transforms.array import Array
from xla_like import dtypes
from xla_like.ir import ShapedArray, intern

__all__ = ["from_dlpack"]

# DLPack device kinds whose memory the host can read: CPU, CUDA pinned host memory,
# ROCm pinned host memory
_HOST_KINDS = (1, 3, 11)


def wrap_host_buffer(host):
    """An Array over NumPy array ``host``'s buffer (no copy; ``host`` must be
    C-contiguous and of a supported dtype); the Array's view is read-only."""
    view = host.view()
    view.flags.writeable = False
    return Array(view, intern(ShapedArray(view.shape, dtypes.canonicalize(view.dtype), False)))


def _check_device(device):
    # imported here: _array_api_creation imports this module's wrap_host_buffer
    from functorch_lite.numpy._array_api_creation import check_device
    return check_device(device, "from_dlpack")


def _source_device_kind(x):
    device = getattr(x, "__dlpack_device__", None)
    return int(device()[0]) if device is not None else 1


def _import_host(x, device, copy):
    """``x`` as a NumPy array in host memory (shared unless a copy is asked or needed)."""
    kind = _source_device_kind(x)
    if device is None and kind not in _HOST_KINDS:
        raise BufferError(f"from_dlpack: the {type(x).__name__} is on a device of DLPack "
                          f"kind {kind}, and only the CPU is available here; pass "
                          "device='cpu' to copy it to host memory")
    if copy is False and kind not in _HOST_KINDS:
        raise ValueError(f"from_dlpack: copy=False, but the {type(x).__name__} is on a "
                         f"device of DLPack kind {kind}: moving it to the CPU is a copy")
    # host memory is imported without a copy; a copy is made here when asked (NumPy
    # before 2.1 has no copy= keyword, and no device= either: only needed across devices)
    kwargs = {} if device is None else {"device": "cpu"}
    try:
        host = np.from_dlpack(x, **kwargs)
    except BufferError as e:
        raise BufferError(f"from_dlpack: cannot import a {type(x).__name__} ({e}); "
                          "move it to host memory first") from None
    return host.copy() if copy and kind in _HOST_KINDS else host  # across devices: copied


def from_dlpack(x, /, *, device=None, copy=None):
    """An Array sharing ``x``'s buffer (see the module docstring for ``device`` and
    ``copy``).

    >>> y = from_dlpack(np.arange(3.0))      # no copy
    >>> z = from_dlpack(np.arange(3.0), copy=True)
    """
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack: a {type(x).__name__} does not support DLPack "
                        "(it has no __dlpack__ method)")
    if device is not None:
        _check_device(device)
    host = _import_host(x, device, copy)
    dtype = dtypes.canonicalize(host.dtype)
    if host.dtype == dtype and host.flags.c_contiguous:
        return wrap_host_buffer(host)
    if copy is False:
        raise ValueError(f"from_dlpack: copy=False, but a {host.dtype} array with strides "
                         f"{host.strides} has to be copied into a contiguous buffer")
    host = np.ascontiguousarray(host, dtype=dtype)              # a copy we own
    return Array(host, intern(ShapedArray(host.shape, dtype, False)))
