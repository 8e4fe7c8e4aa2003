"""``vmap``: vectorizing map over pytrees, with named axes for collectives."""
import functools

from transforms.pytree import tree_flatten, tree_unflatten
from transforms.staging import leaf_names, positional_names
from transforms.vmap import broadcast_batched, move_bdim, vmap_flat
from functorch_lite.numpy._convert import as_operand


def _expand_prefix(prefix, tree, what):
    """One axis per leaf of ``tree`` from ``prefix`` (a pytree prefix of ``tree``)."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(tree_flatten(tree)[0])
    leaves, treedef = tree_flatten(tree, is_leaf=lambda x: x is None)
    if isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(prefix) != len(tree):
            raise ValueError(f"vmap: {what} has {len(prefix)} entries for {len(tree)} values")
        return [a for p, t in zip(prefix, tree) for a in _expand_prefix(p, t, what)]
    if isinstance(prefix, dict) and isinstance(tree, dict):
        if set(prefix) != set(tree):
            raise ValueError(f"vmap: {what} keys {sorted(prefix)} do not match {sorted(tree)}")
        return [a for k in sorted(tree) for a in _expand_prefix(prefix[k], tree[k], what)]
    raise ValueError(f"vmap: {what} {prefix!r} is not a prefix of the value's structure "
                     f"{treedef}")


def _normalize_axis(axis, ndim, names, i):
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap: in_axes {axis} is out of range for argument {names()[i]} "
                         f"of rank {ndim}")
    return axis % ndim


def _axis_size(leaves, axes, names, axis_size):
    """The one size of the mapped axes; ``names()`` (built only for errors) names leaves."""
    sizes = {}
    for i, (leaf, axis) in enumerate(zip(leaves, axes)):
        if axis is not None:
            sizes.setdefault(leaf.aval.shape[axis], []).append(i)
    if axis_size is not None:
        sizes.setdefault(axis_size, []).append(None)
    if not sizes:
        raise ValueError("vmap: no argument is mapped (all in_axes are None); pass axis_size")
    if len(sizes) > 1:
        label = lambda i: "axis_size" if i is None else f"{names()[i]} (axis {axes[i]})"
        detail = "; ".join(f"size {s}: {', '.join(label(i) for i in v)}"
                           for s, v in sorted(sizes.items()))
        raise ValueError(f"vmap: inconsistent sizes of the mapped axes: {detail}")
    return next(iter(sizes))


def vmap(fun, in_axes=0, out_axes=0, axis_size=None, axis_name=None):
    """Vectorize ``fun`` over an axis of its arguments.

    >>> vmap(lambda x, w: x @ w, in_axes=(0, None))(xs, w)     # one matmul, batched
    """
    @functools.wraps(fun)
    def mapped(*args, **kwargs):
        axes_tree = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(axes_tree, tuple) and len(axes_tree) != len(args):
            raise ValueError(f"vmap: in_axes has {len(axes_tree)} entries for "
                             f"{len(args)} positional arguments")
        leaves, in_tree = tree_flatten((args, kwargs))
        axes = _expand_prefix(axes_tree, args, "in_axes") + [0] * len(tree_flatten(kwargs)[0])
        leaves = [as_operand(x) for x in leaves]
        def names():
            return leaf_names(positional_names(fun, len(args)) + sorted(kwargs),
                              list(args) + [kwargs[k] for k in sorted(kwargs)])
        axes = [_normalize_axis(a, x.aval.ndim, names, i)
                for i, (a, x) in enumerate(zip(axes, leaves))]
        size = _axis_size(leaves, axes, names, axis_size)
        out_store = []

        def flat_fun(*xs):
            a, kw = tree_unflatten(in_tree, xs)
            out_leaves, out_tree = tree_flatten(fun(*a, **kw))
            out_store.append(out_tree)
            return [as_operand(o) for o in out_leaves]
        outs, bdims = vmap_flat(flat_fun, leaves, axes, size, axis_name)
        out_tree = out_store[0]
        out_value = tree_unflatten(out_tree, outs)
        o_axes = _expand_prefix(out_axes, out_value, "out_axes")
        return tree_unflatten(out_tree, [_place(o, b, a, size)
                                         for o, b, a in zip(outs, bdims, o_axes)])
    return mapped


def _place(value, bdim, out_axis, size):
    if out_axis is None:
        if bdim is not None:
            raise ValueError("vmap: out_axes=None needs an output that does not depend on "
                             "the mapped axis")
        return value
    ndim = value.aval.ndim + (1 if bdim is None else 0)
    if not -ndim <= out_axis < ndim:
        raise ValueError(f"vmap: out_axes {out_axis} is out of range for an output of rank "
                         f"{ndim}")
    out_axis %= ndim
    if bdim is None:
        return broadcast_batched(value, None, size, out_axis)
    return move_bdim(value, bdim, out_axis)
