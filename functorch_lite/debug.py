"""Debugging helpers that work inside transformed and compiled code.

``print(fmt, *args, **kwargs)`` prints real values at run time, also inside ``jit``:
it becomes an effectful ``debug_callback`` equation that the compiled program runs,
in program order, on every call (a plain Python ``print`` inside a jitted function
runs only while tracing and shows tracers).

What it prints under each transform:

- no transform: prints at once;
- ``jit``: prints every time the compiled function runs, never while tracing;
- ``grad`` / ``jvp``: the primal values (tangents are not shown);
- ``vmap``: once per call with the whole batch: each batched argument has its batch
  axis first (``x=[[...], [...]]``); unbatched arguments print as they are.
- ``checkpoint``/``remat`` under ``grad``: also when the backward pass recomputes
  the body (so twice per step).
"""
import builtins

import numpy as np

from transforms.array import Array
from transforms.core import Tracer, bind, current_interpreter
from transforms.pytree import tree_flatten, tree_unflatten
from xla_like.primitives.effects import debug_callback_p

__all__ = ["print"]


class _PrintValue(np.ndarray):
    """A NumPy array whose format spec applies to each element, so ``{s:.2f}`` also
    works when ``vmap`` turns the scalar ``s`` into a batch."""

    def __format__(self, spec):
        value = self.view(np.ndarray)
        if not spec or value.ndim == 0:
            return format(value if value.ndim else value[()], spec)
        return np.array2string(value, formatter={"all": lambda v: format(v, spec)})


class _PrintCallback:
    """Formats ``fmt`` with the operands' run-time values (NumPy arrays) and prints it.

    Equal callbacks (same format, structure and non-array arguments) are
    interchangeable, so they compare equal; unhashable non-array arguments fall back
    to identity.
    """

    def __init__(self, fmt, treedef, statics, operand_positions):
        self.fmt = fmt
        self.treedef = treedef
        self.statics = statics                      # ((leaf position, value), ...)
        self.operand_positions = operand_positions
        key = (fmt, treedef, statics, operand_positions)
        try:
            self._hash = hash(key)
            self._key = key
        except TypeError:
            self._hash = id(self)
            self._key = self

    def __call__(self, *values):
        leaves = [None] * self.treedef.num_leaves
        for position, value in self.statics:
            leaves[position] = value
        for position, value in zip(self.operand_positions, values):
            leaves[position] = np.asarray(value).view(_PrintValue)
        args, kwargs = tree_unflatten(self.treedef, leaves)
        builtins.print(self.fmt.format(*args, **kwargs))

    def __eq__(self, other):
        return type(other) is _PrintCallback and self._key == other._key

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"print({self.fmt!r})"


def print(fmt, *args, **kwargs):      # noqa: A001  (the public name mirrors jax.debug.print)
    """Print ``fmt.format(*args, **kwargs)`` with the arguments' real values, at run
    time, also inside ``jit``, ``grad`` and ``vmap`` (see the module docstring).

    >>> @functorch_lite.jit
    ... def f(x):
    ...     functorch_lite.debug.print("x={x}, sum={s:.2f}", x=x, s=x.sum())
    ...     return x * 2
    >>> f(fnp.arange(3.0))          # prints on every call: x=[0. 1. 2.], sum=3.00
    """
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format must be a str, got {type(fmt).__name__}")
    leaves, treedef = tree_flatten((args, kwargs))
    operand_positions = tuple(i for i, x in enumerate(leaves) if isinstance(x, (Array, Tracer)))
    statics = tuple((i, x) for i, x in enumerate(leaves) if i not in operand_positions)
    callback = _PrintCallback(fmt, treedef, statics, operand_positions)
    operands = [leaves[i] for i in operand_positions]
    if current_interpreter() is None:          # eager: print now
        callback(*[x._value for x in operands])
        return
    bind(debug_callback_p, *operands, callback=callback)
