"""Operators and NumPy-style methods for ``Array`` and every ``Tracer``.

They live here, not in ``transforms``, because they follow NumPy semantics, which
is this layer's business; both classes get the same methods, so code behaves the
same eagerly and under any transform.

Most methods forward to the ``functorch_lite.numpy`` function of the same name
(``x.sum(axis=0)`` is ``fnp.sum(x, axis=0)``); positional arguments follow NumPy's
order, ``out`` included, and ``out`` must be None (arrays are immutable).
"""
import numpy as np

from transforms.array import Array
from transforms.core import Tracer, bind
from xla_like import primitives as P
from functorch_lite import numpy as fnp
from functorch_lite.numpy import _array_api, _indexing
from functorch_lite.numpy._array_api_creation import check_device
from xla_like.backends import default_device


def _swap(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


# the operators are the ufuncs themselves: no wrapper on the hot eager path
_BINARY = {
    "add": fnp.add, "sub": fnp.subtract, "mul": fnp.multiply, "truediv": fnp.true_divide,
    "pow": fnp.power, "and": fnp.bitwise_and, "or": fnp.bitwise_or, "xor": fnp.bitwise_xor,
    "matmul": fnp.matmul, "floordiv": fnp.floor_divide, "mod": fnp.remainder,
    "lshift": fnp.left_shift, "rshift": fnp.right_shift,
}
_COMMUTATIVE = ("add", "mul", "and", "or", "xor")
_COMPARE = {"eq": fnp.equal, "ne": fnp.not_equal, "lt": fnp.less, "le": fnp.less_equal,
            "gt": fnp.greater, "ge": fnp.greater_equal}

# method name -> functorch_lite.numpy function taking the array first
_METHODS = {
    "sum": "sum", "mean": "mean", "max": "max", "min": "min", "prod": "prod",
    "all": "all", "any": "any", "argmax": "argmax", "argmin": "argmin",
    "cumsum": "cumsum", "cumprod": "cumprod", "var": "var", "std": "std",
    "squeeze": "squeeze", "ravel": "ravel", "flatten": "ravel", "clip": "clip",
    "round": "round", "dot": "dot", "swapaxes": "swapaxes",
}


def _method(name, fnp_name):
    """A method forwarding to ``fnp.<fnp_name>``; ``out`` must be None."""
    fn = getattr(fnp, fnp_name)

    def method(self, *args, out=None, **kwargs):
        if out is not None:
            raise TypeError(f"{name}: out= is not supported (arrays are immutable)")
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``functorch_lite.numpy.{fnp_name}(self, ...)``."
    return method


def _reshape(self, *shape, order="C"):
    """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return fnp.reshape(self, shape, order=order)


def _transpose(self, *axes):
    """``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return fnp.transpose(self, axes or None)


def _astype(self, dtype, copy=True, *, device=None):
    """``x.astype(np.int32)``; ``copy=False`` returns ``x`` itself when it already has
    ``dtype``; ``device`` is the Array API keyword (only the CPU device exists)."""
    return fnp.astype(self, dtype, copy=copy, device=device)


def _array_namespace(self, /, *, api_version=None):
    """The Array API namespace of arrays: ``functorch_lite.numpy``."""
    return _array_api.namespace_of(self, api_version)


def _to_device(self, device, /, *, stream=None):
    """``x`` on ``device`` (the Array API method); every array is on the CPU device,
    so this checks ``device`` and returns ``x``."""
    if stream is not None:
        raise ValueError(f"to_device: stream={stream!r} is not supported on the CPU device")
    check_device(device, "to_device")
    return self


def _matrix_transpose(self):
    if self.ndim < 2:
        raise ValueError(f"matrix transpose (.mT) needs at least 2 dimensions, got {self.aval}")
    return fnp.swapaxes(self, -1, -2)


def _iter(self):
    if not self.aval.shape:
        raise TypeError("iteration over a 0-d array")
    return (_indexing.getitem(self, i) for i in range(self.aval.shape[0]))


def _divmod(x, y):
    return fnp.floor_divide(x, y), fnp.remainder(x, y)


def _round(self, ndigits=None):
    return fnp.round(self, 0 if ndigits is None else ndigits)


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NumPy ufuncs on arrays: ``np.sin(x)`` and ``numpy_array + x`` call the
    functorch_lite.numpy function of the same name (so they work under transforms);
    anything else runs in NumPy on converted inputs (a traced input then raises)."""
    if method == "__call__" and not kwargs:
        fn = getattr(fnp, ufunc.__name__, None)
        if fn is not None:
            return fn(*inputs)
    inputs = [np.asarray(a) if isinstance(a, (Array, Tracer)) else a for a in inputs]
    return getattr(ufunc, method)(*inputs, **kwargs)


def attach(cls):
    for name, fn in _BINARY.items():
        setattr(cls, f"__{name}__", fn)
        # ``2.0 * x`` is ``x * 2.0`` bit for bit (IEEE + and * commute, complex too):
        # no swapping wrapper on those
        setattr(cls, f"__r{name}__", fn if name in _COMMUTATIVE else _swap(fn))
    for name, fn in _COMPARE.items():
        setattr(cls, f"__{name}__", fn)
    for name, fnp_name in _METHODS.items():
        setattr(cls, name, _method(name, fnp_name))
    cls.__neg__ = lambda self: fnp.negative(self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: fnp.absolute(self)
    cls.__invert__ = lambda self: fnp.invert(self)
    cls.__divmod__ = _divmod
    cls.__rdivmod__ = _swap(_divmod)
    cls.__round__ = _round
    cls.__hash__ = None
    cls.__getitem__ = _indexing.getitem
    cls.__iter__ = _iter
    cls.__array_ufunc__ = _array_ufunc
    cls.at = property(_indexing._IndexUpdateHelper, doc="Functional index updates: "
                      "``x.at[idx].set(v)`` returns a new array.")
    cls.T = property(lambda self: fnp.transpose(self), doc="All axes reversed.")
    cls.mT = property(_matrix_transpose, doc="The last two axes swapped.")
    cls.reshape = _reshape
    cls.transpose = _transpose
    cls.astype = _astype
    cls.copy = lambda self: bind(P.copy_p, self)
    cls.__array_namespace__ = _array_namespace
    cls.to_device = _to_device
    cls.real = property(lambda self: fnp.real(self), doc="The real part.")
    cls.imag = property(lambda self: fnp.imag(self), doc="The imaginary part.")
    cls.conj = cls.conjugate = lambda self: fnp.conj(self)
    if not hasattr(cls, "device"):         # tracers: the device their values will have
        cls.device = property(lambda self: default_device(), doc="The CPU device.")
    if not hasattr(cls, "__dlpack_device__"):
        # a traced value has no buffer: the same error as its __dlpack__
        cls.__dlpack_device__ = lambda self: self.__dlpack__()


for _cls in (Array, Tracer):
    attach(_cls)
