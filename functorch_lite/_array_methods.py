"""Operators and NumPy-style methods for ``Array`` and every ``Tracer``.

They live here, not in ``transforms``, because they follow NumPy semantics, which
is this layer's business; both classes get the same methods, so code behaves the
same eagerly and under any transform.
"""
from transforms.array import Array
from transforms.core import Tracer
from functorch_lite import numpy as fnp


def _swap(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


_BINARY = {
    "add": fnp.add, "sub": fnp.subtract, "mul": fnp.multiply, "truediv": fnp.true_divide,
    "pow": fnp.power, "and": fnp.bitwise_and, "or": fnp.bitwise_or, "xor": fnp.bitwise_xor,
}
_COMPARE = {"eq": fnp.equal, "ne": fnp.not_equal, "lt": fnp.less, "le": fnp.less_equal,
            "gt": fnp.greater, "ge": fnp.greater_equal}


def attach(cls):
    for name, fn in _BINARY.items():
        setattr(cls, f"__{name}__", fn)
        setattr(cls, f"__r{name}__", _swap(fn))
    for name, fn in _COMPARE.items():
        setattr(cls, f"__{name}__", fn)
    cls.__neg__ = lambda self: fnp.negative(self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: fnp.absolute(self)
    cls.__hash__ = None


for _cls in (Array, Tracer):
    attach(_cls)
