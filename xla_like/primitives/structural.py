"""Structural primitives: broadcasting, reshaping, transposition, slicing, padding,
concatenation and ``iota``."""
import numpy as np

from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import check_int_tuple, check_shape, size


def _broadcast_in_dim_abstract_eval(x, shape, broadcast_dimensions):
    name = "broadcast_in_dim"
    shape = check_shape(name, shape)
    dims = check_int_tuple(name, broadcast_dimensions, x.ndim, "broadcast_dimensions")
    if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
        raise ValueError(f"{name}: broadcast_dimensions {dims} must be strictly increasing "
                         f"and within rank {len(shape)}")
    for d, out_d in zip(x.shape, dims):
        if d != 1 and d != shape[out_d]:
            raise ValueError(f"{name}: operand {x} cannot broadcast to {shape} along "
                             f"dimensions {dims}")
    return ShapedArray(shape, x.dtype, x.weak)


def _broadcast_in_dim_impl(x, shape, broadcast_dimensions):
    expanded = np.reshape(x, [x.shape[broadcast_dimensions.index(d)]
                              if d in broadcast_dimensions else 1 for d in range(len(shape))])
    return np.broadcast_to(expanded, shape)


broadcast_in_dim_p = Primitive("broadcast_in_dim", _broadcast_in_dim_abstract_eval,
                               _broadcast_in_dim_impl)


def _reshape_abstract_eval(x, new_sizes):
    new_sizes = check_shape("reshape", new_sizes, "new_sizes")
    if size(new_sizes) != x.size:
        raise ValueError(f"reshape: cannot reshape {x} ({x.size} elements) to {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak)


def _reshape_impl(x, new_sizes):
    return np.reshape(x, new_sizes)


reshape_p = Primitive("reshape", _reshape_abstract_eval, _reshape_impl)
