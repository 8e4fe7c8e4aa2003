"""The IR: abstract values, variables, literals, equations and programs.

A ``Program`` is a typed, first-order list of equations in A-normal form, closed
over its constants::

    { lambda a:f32[3] b:f32[3] .
      let c:f32[3] = sin a
          d:f32[3] = mul c b
      in (d) }
"""
from typing import NamedTuple

import numpy as np

from xla_like import dtypes


class ShapedArray(NamedTuple):
    """An abstract value: shape, dtype and whether it came from a Python scalar."""
    shape: tuple
    dtype: np.dtype
    weak: bool = False

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None, weak=None):
        return ShapedArray(self.shape if shape is None else tuple(shape),
                           self.dtype if dtype is None else dtype,
                           self.weak if weak is None else weak)

    def strong(self):
        return ShapedArray(self.shape, self.dtype, False) if self.weak else self

    def __str__(self):
        dims = ",".join(str(d) for d in self.shape)
        return f"{'~' if self.weak else ''}{dtypes.short_name(self.dtype)}[{dims}]"

    __repr__ = __str__


_interned = {}


def intern(aval):
    """The canonical object equal to ``aval``: equal interned avals are identical,
    which lets the eager path compare them with ``is``."""
    return _interned.setdefault(aval, aval)


def make_aval(shape, dtype, weak=False):
    """Build a checked ``ShapedArray``; raises on negative or non-integer sizes."""
    shape = tuple(shape)
    for d in shape:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 0:
            raise ValueError(f"invalid shape {shape}: sizes must be non-negative ints")
    return intern(ShapedArray(tuple(int(d) for d in shape), dtypes.canonicalize(dtype),
                              bool(weak)))


def aval_of_value(value, weak=False):
    """The abstract value of a NumPy array or scalar."""
    return ShapedArray(tuple(np.shape(value)), dtypes.canonicalize(np.result_type(value)), weak)


class Var:
    """A program variable; compared by identity, named only by the printer."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval})"


class Literal:
    """A scalar constant written inline in an equation."""
    __slots__ = ("value", "aval")

    def __init__(self, value, aval):
        self.value = np.asarray(value, dtype=aval.dtype)
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.value.tolist()!r}:{self.aval})"


class SourceInfo(NamedTuple):
    """Where the user's code created an equation (first frame outside the library)."""
    file: str
    line: int
    function: str

    def __str__(self):
        return f"{self.file}:{self.line} ({self.function})"


class Eqn:
    """``outputs = prim[params](*inputs)``, remembering the user's source line."""
    __slots__ = ("prim", "inputs", "outputs", "params", "source")

    def __init__(self, prim, inputs, outputs, params, source=None):
        self.prim = prim
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.params = params
        self.source = source

    def __repr__(self):
        from xla_like.printer import eqn_to_text
        return eqn_to_text(self)


class Program:
    """Input vars, constant vars with their values, equations and output atoms."""
    __slots__ = ("invars", "constvars", "consts", "eqns", "outvars")

    def __init__(self, invars, constvars, consts, eqns, outvars):
        self.invars = tuple(invars)
        self.constvars = tuple(constvars)
        self.consts = tuple(consts)
        self.eqns = tuple(eqns)
        self.outvars = tuple(outvars)
        if len(self.constvars) != len(self.consts):
            raise ValueError("a Program needs one constant value per constant var")

    @property
    def in_avals(self):
        return tuple(v.aval for v in self.invars)

    @property
    def out_avals(self):
        return tuple(v.aval for v in self.outvars)

    def __str__(self):
        from xla_like.printer import program_to_text
        return program_to_text(self)

    def __repr__(self):
        return str(self)
