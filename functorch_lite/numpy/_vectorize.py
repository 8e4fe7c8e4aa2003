"""Function-applying helpers built on ``vmap``: ``vectorize`` (with ``excluded`` and
generalized-ufunc ``signature`` support), ``apply_along_axis``, ``apply_over_axes``;
and ``einsum_path`` (NumPy's contraction-order report for the operands' shapes).

Unlike NumPy's Python loops these trace ``pyfunc`` once and batch it, so ``pyfunc``
must be written with ``functorch_lite.numpy`` operations (no branching on values).
"""
import re

import numpy as np

from functorch_lite.numpy._convert import as_operand, broadcast_shapes, broadcast_to, is_array
from functorch_lite.numpy._shape import expand_dims, normalize_axis, reshape


def _vmap(fun, in_axes=0, out_axes=0):
    from functorch_lite._vmap import vmap       # functorch_lite imports this package
    return vmap(fun, in_axes=in_axes, out_axes=out_axes)


_ARG = r"\(([^()]*)\)"


def _parse_signature(signature):
    """``'(m,n),(n)->(m)'`` -> ``([('m', 'n'), ('n',)], [('m',)])``."""
    if not re.fullmatch(rf"\s*{_ARG}(\s*,\s*{_ARG})*\s*->\s*{_ARG}(\s*,\s*{_ARG})*\s*",
                        signature):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = signature.split("->")

    def dims(part):
        return [tuple(d.strip() for d in group.split(",") if d.strip())
                for group in re.findall(_ARG, part)]
    return dims(ins), dims(outs)


class vectorize:
    """Make ``pyfunc`` (written for scalars, or for core shapes given by ``signature``)
    broadcast over leading axes, by ``vmap``.

    >>> vectorize(lambda a, b: a * b + 1)(ones(3), 2.0).tolist()
    [3.0, 3.0, 3.0]
    >>> vectorize(lambda v: v @ v, signature="(n)->()")(ones((2, 3))).tolist()
    [3.0, 3.0]

    Without ``pyfunc`` it is a decorator (``@vectorize(signature=...)``).  ``otypes``
    and ``cache`` are accepted for NumPy compatibility and ignored: output dtypes come
    from tracing ``pyfunc``, which happens once per call anyway.
    """

    def __init__(self, pyfunc=None, otypes=None, doc=None, excluded=None, cache=False,
                 signature=None):
        if pyfunc is not None and not callable(pyfunc):
            raise TypeError(f"vectorize: pyfunc must be callable, got {type(pyfunc).__name__}")
        self.pyfunc = pyfunc
        self.excluded = frozenset(excluded or ())
        self.signature = signature
        self.core = None if signature is None else _parse_signature(signature)
        self.__doc__ = doc if doc is not None else getattr(pyfunc, "__doc__", None)

    def __call__(self, *args, **kwargs):
        if self.pyfunc is None:              # the decorator form: receive the function
            if len(args) != 1 or kwargs or not callable(args[0]):
                raise TypeError("vectorize: used as a decorator, it takes one function")
            self.pyfunc = args[0]
            self.__doc__ = self.__doc__ or getattr(args[0], "__doc__", None)
            return self
        positions = [i for i in range(len(args)) if i not in self.excluded]
        names = [k for k in kwargs if k not in self.excluded]
        dynamic = [as_operand(args[i]) for i in positions] + [as_operand(kwargs[k])
                                                                for k in names]

        def call(*values):
            full, kw = list(args), dict(kwargs)
            for i, v in zip(positions, values):
                full[i] = v
            for k, v in zip(names, values[len(positions):]):
                kw[k] = v
            return self.pyfunc(*full, **kw)
        in_core, out_core = self.core or ([()] * len(dynamic), None)
        if len(in_core) != len(dynamic):
            raise TypeError(f"vectorize: the signature {self.signature!r} has "
                            f"{len(in_core)} inputs, but {len(dynamic)} were given")
        return _broadcast_call(call, dynamic, in_core, out_core, self.signature)


def _core_sizes(arrays, in_core, signature):
    sizes, loops = {}, []
    for k, (x, core) in enumerate(zip(arrays, in_core)):
        nd = x.aval.ndim - len(core)
        if nd < 0:
            raise ValueError(f"vectorize: input {k} has {x.aval.ndim} dimensions, fewer than "
                             f"the {len(core)} core dimensions of {signature!r}")
        for name, n in zip(core, x.aval.shape[nd:]):
            if sizes.setdefault(name, n) != n:
                raise ValueError(f"vectorize: inconsistent size for core dimension {name!r}: "
                                 f"{sizes[name]} vs {n}")
        loops.append(x.aval.shape[:nd])
    return sizes, broadcast_shapes(*loops) if loops else ()


def _broadcast_call(call, arrays, in_core, out_core, signature):
    sizes, loop = _core_sizes(arrays, in_core, signature)
    count = int(np.prod(loop))
    flat = []
    for x, core in zip(arrays, in_core):
        core_shape = x.aval.shape[x.aval.ndim - len(core):]
        flat.append(reshape(broadcast_to(x, loop + core_shape), (count,) + core_shape))
    out = _vmap(call)(*flat) if arrays else call()
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    if out_core is not None and len(out_core) != len(outs):
        raise ValueError(f"vectorize: pyfunc returned {len(outs)} outputs, the signature "
                         f"{signature!r} has {len(out_core)}")
    result = []
    for k, y in enumerate(outs):
        y = as_operand(y)
        core_shape = y.aval.shape[1:] if arrays else y.aval.shape
        if out_core is not None and len(core_shape) != len(out_core[k]):
            raise ValueError(f"vectorize: output {k} has core shape {core_shape}, but the "
                             f"signature {signature!r} says {out_core[k]}")
        result.append(reshape(y, loop + core_shape))
    return result[0] if single else tuple(result)


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to every 1-d slice of ``arr`` along ``axis``; the slice's
    result axes replace ``axis``.

    >>> apply_along_axis(lambda v: v[0] + v[-1], 1, arange(6.0).reshape(2, 3)).tolist()
    [2.0, 8.0]
    """
    arr = as_operand(arr)
    nd = arr.aval.ndim
    axis = normalize_axis(axis, nd, "apply_along_axis")
    func = lambda a: func1d(a, *args, **kwargs)
    # map the trailing axes first with out_axes=-1 so they stay after func1d's axes
    for i in range(1, nd - axis):
        func = _vmap(func, in_axes=i, out_axes=-1)
    for _ in range(axis):
        func = _vmap(func, in_axes=0, out_axes=0)
    return func(arr)


def apply_over_axes(func, a, axes):
    """``a = func(a, axis)`` for each axis in turn; a reduced axis is kept (size 1).

    >>> apply_over_axes(sum, ones((2, 3)), [0, 1]).shape
    (1, 1)
    """
    a = as_operand(a)
    for axis in np.atleast_1d(axes):
        axis = normalize_axis(int(axis), a.aval.ndim, "apply_over_axes")
        res = as_operand(func(a, axis))
        if res.aval.ndim == a.aval.ndim - 1:
            res = expand_dims(res, axis)
        elif res.aval.ndim != a.aval.ndim:
            raise ValueError(f"apply_over_axes: function is not returning an array of the "
                             f"correct shape (got {res.aval} for input {a.aval})")
        a = res
    return a


def _shape_only(x):
    """A zero-strided NumPy stand-in with ``x``'s shape and dtype (no data copied)."""
    if is_array(x):
        return np.broadcast_to(np.zeros((), x.aval.dtype), x.aval.shape)
    return np.asarray(x)


def einsum_path(subscripts, *operands, optimize="greedy"):
    """NumPy's contraction order for these operands' shapes: ``(path, report)``.

    >>> einsum_path("ij,jk,k", ones((2, 3)), ones((3, 4)), ones(4))[0][0]
    'einsum_path'
    """
    if isinstance(subscripts, str):
        stand_ins = [_shape_only(x) for x in operands]
        return np.einsum_path(subscripts, *stand_ins, optimize=optimize)
    args = (subscripts,) + operands          # interleaved: array, sublist, array, ...
    has_output = len(args) % 2 == 1         # a trailing output sublist
    stand_ins = [_shape_only(x) if k % 2 == 0 and not (has_output and k == len(args) - 1)
                 else x for k, x in enumerate(args)]
    return np.einsum_path(*stand_ins, optimize=optimize)


__all__ = ["vectorize", "apply_along_axis", "apply_over_axes", "einsum_path"]
