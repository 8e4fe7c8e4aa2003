"""Collectives over named mapped axes (``vmap(f, axis_name="i")``), re-exported by ``lax``.

``axis_name`` may be one name or a tuple of names (reducing over each in turn).
"""
from transforms.core import bind
from transforms.pytree import tree_map
from transforms.vmap import bound_axis_size
from xla_like import dtypes
from xla_like.primitives import collectives as C
from functorch_lite.numpy._convert import as_operand


def _names(axis_name):
    return axis_name if isinstance(axis_name, tuple) else (axis_name,)


def _reduce(prim, x, axis_name):
    def one(leaf):
        leaf = as_operand(leaf)
        for name in _names(axis_name):
            bound_axis_size(name)           # a clear error for an unbound name
            leaf = bind(prim, leaf, axis_name=name)
        return leaf
    return tree_map(one, x)


def psum(x, axis_name):
    """Sum of ``x`` over the mapped axis: ``vmap(lambda v: psum(v, 'i'), axis_name='i')``."""
    return _reduce(C.psum_p, x, axis_name)


def pmax(x, axis_name):
    """Maximum of ``x`` over the mapped axis."""
    return _reduce(C.pmax_p, x, axis_name)


def pmin(x, axis_name):
    """Minimum of ``x`` over the mapped axis."""
    return _reduce(C.pmin_p, x, axis_name)


def pmean(x, axis_name):
    """Mean of ``x`` over the mapped axis (or axes)."""
    size = 1
    for name in _names(axis_name):
        size *= bound_axis_size(name)
    return tree_map(lambda s: s / size, psum(x, axis_name))


def all_gather(x, axis_name):
    """Stack every batch element's ``x`` along a new leading axis."""
    def one(leaf):
        return bind(C.all_gather_p, as_operand(leaf), axis_name=axis_name,
                    axis_size=bound_axis_size(axis_name))
    return tree_map(one, x)


def axis_index(axis_name):
    """This batch element's index along the named mapped axis."""
    bound_axis_size(axis_name)
    return bind(C.axis_index_p, axis_name=axis_name, dtype=dtypes.int32)
