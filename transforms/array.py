"""``Array``: an immutable device buffer plus its abstract value.

Operators and NumPy-style methods are attached by ``functorch_lite`` (the layer that
knows NumPy semantics), so this class holds only what every layer needs.
"""
import numpy as np

from xla_like import dtypes
from xla_like.backends import CPU_BACKEND, default_device
from xla_like.ir import ShapedArray, intern

_PY_SCALARS = (bool, int, float, complex)


class Array:
    """An immutable array.  ``x.at[0].set(1)`` returns an updated copy."""
    __slots__ = ("_value", "aval", "_deleted_by")
    __array_priority__ = 100

    def __init__(self, value, aval):
        self._value = value
        self.aval = aval

    def __getattr__(self, name):
        # Reached only when a slot is empty: ``delete`` empties ``_value``, so every use
        # of a deleted array (eager ops, jit, NumPy conversion) fails here, by name.
        if name == "_value" and self.is_deleted():
            raise RuntimeError(f"Array was {self._deleted_by} and deleted; it cannot be "
                               "used any more (keep a copy if you need it)")
        raise AttributeError(f"'Array' object has no attribute {name!r}")

    def delete(self, reason="deleted by x.delete()"):
        """Release the buffer; later uses raise an error that says ``reason``
        (``jit(f, donate_argnums=0)`` deletes the arrays it consumes)."""
        if not self.is_deleted():
            self._deleted_by = reason
            del self._value

    def is_deleted(self):
        return hasattr(self, "_deleted_by")

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.aval.shape))
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak)

    @property
    def device(self):
        return default_device()

    def devices(self):
        return {default_device()}

    def __array__(self, dtype=None, copy=None):
        host = CPU_BACKEND.get(self._value)
        if copy:
            return np.array(host, dtype=dtype, copy=True)
        view = np.asarray(host, dtype=dtype)
        if view is self._value or view.base is not None:
            view = view.view()
            view.flags.writeable = False
        return view

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Export the buffer through DLPack without a copy (the array stays immutable:
        consumers that understand DLPack's read-only flag get a read-only view; others
        get the buffer itself and must not write to it)."""
        kwargs = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                                    ("dl_device", dl_device), ("copy", copy)) if v is not None}
        host = CPU_BACKEND.get(self._value)
        view = host.view()
        view.flags.writeable = False
        try:
            return view.__dlpack__(**kwargs)
        except BufferError:                 # a consumer without read-only support
            return host.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return CPU_BACKEND.get(self._value).__dlpack_device__()

    def __setitem__(self, index, value):
        raise TypeError("arrays are immutable; use x.at[index].set(value) instead of "
                        "x[index] = value")

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of a 0-d array")
        return self.aval.shape[0]

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if self.aval.dtype.kind not in "iu":
            raise TypeError(f"only integer arrays can be used as an index, got {self.aval}")
        return int(self._value)

    __hash__ = None

    def item(self):
        return np.asarray(self._value).item()

    def tolist(self):
        return np.asarray(self._value).tolist()

    def __format__(self, spec):
        if self.aval.shape == ():
            return format(np.asarray(self._value).item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        if self.is_deleted():
            return f"Array(<deleted>, shape={self.aval.shape}, dtype={self.aval.dtype.name})"
        value = np.asarray(self._value)
        prefix = "Array("
        suffix = f", dtype={self.aval.dtype.name}"
        if self.aval.weak:
            suffix += ", weak_type=True"
        if value.size == 0 and value.shape != (0,):
            body = f"[], shape={value.shape}"
        else:
            body = np.array2string(value, separator=", ", prefix=prefix)
        return f"{prefix}{body}{suffix})"

    def __str__(self):
        return str(np.asarray(self._value))

    def __reduce__(self):
        return (_rebuild, (np.asarray(self._value), self.aval))


def _rebuild(value, aval):
    return Array(value, aval)


def from_numpy(value, weak=False):
    """An Array holding a private copy of a NumPy array (its dtype is kept)."""
    dtype = dtypes.canonicalize(value.dtype)
    value = CPU_BACKEND.put(np.asarray(value, dtype=dtype))     # the backend's own copy
    return Array(value, intern(ShapedArray(value.shape, dtype, weak)))


def from_scalar(value, dtype=None, weak=None):
    """A weak Array from a Python scalar; an explicit ``dtype`` makes it strong unless
    ``weak=True`` (a scalar promoted to another array's type)."""
    if weak is None:
        weak = dtype is None
    if dtype is None:
        dtype = dtypes.python_scalar_dtype(value)
    if isinstance(value, int) and not isinstance(value, bool) and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python int {value} does not fit in {dtype}")
    weak = weak and dtype != dtypes.bool_
    return Array(np.asarray(value, dtype=dtype), intern(ShapedArray((), dtype, weak)))


def is_python_scalar(x):
    """A Python bool/int/float/complex (not a NumPy scalar, which keeps its dtype)."""
    return isinstance(x, _PY_SCALARS) and not isinstance(x, np.generic)
