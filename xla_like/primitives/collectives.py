"""Collectives over a named mapped axis (bound by ``vmap(..., axis_name=...)``).

Outside a transform that binds their axis they have no meaning, so their reference
implementation raises a clear error naming the axis.
"""
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import check_dtype, check_kind

__all__ = ["psum_p", "pmax_p", "pmin_p", "all_gather_p", "axis_index_p"]


def _unbound(*args, axis_name, **params):
    raise NameError(f"unbound axis name {axis_name!r}: collectives need an enclosing "
                    f"vmap(..., axis_name={axis_name!r})")


def _reduce_abstract_eval(name, kinds):
    def abstract_eval(x, axis_name):
        check_kind(name, x, kinds)
        return x
    return abstract_eval


psum_p = Primitive("psum", _reduce_abstract_eval("psum", "iufc"), _unbound)
pmax_p = Primitive("pmax", _reduce_abstract_eval("pmax", "iuf"), _unbound)
pmin_p = Primitive("pmin", _reduce_abstract_eval("pmin", "iuf"), _unbound)


def _all_gather_abstract_eval(x, axis_name, axis_size):
    return ShapedArray((axis_size,) + x.shape, x.dtype, x.weak)


all_gather_p = Primitive("all_gather", _all_gather_abstract_eval, _unbound)


def _axis_index_abstract_eval(axis_name, dtype):
    return ShapedArray((), check_dtype("axis_index", dtype), False)


axis_index_p = Primitive("axis_index", _axis_index_abstract_eval, _unbound)
