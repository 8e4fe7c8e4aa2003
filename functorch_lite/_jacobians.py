"""Jacobians and Hessians, computed with one batched pass (``vmap``) over basis vectors.

The result has the output's structure on the outside and the inputs' inside; each
leaf has shape ``out.shape + in.shape``.
"""
import functools

import numpy as np

from transforms.pytree import tree_flatten, tree_unflatten
from xla_like import dtypes
from functorch_lite._autodiff import _check_argnums, jvp, vjp
from functorch_lite._vmap import vmap
from functorch_lite.numpy._convert import as_operand


def _basis(leaves):
    """Standard basis split into per-leaf blocks: leaf i gets shape (N, *leaf.shape)."""
    sizes = [x.aval.size for x in leaves]
    eye = np.eye(sum(sizes))
    blocks, start = [], 0
    for x, n in zip(leaves, sizes):
        blocks.append(eye[:, start:start + n].reshape((-1,) + x.aval.shape)
                      .astype(x.aval.dtype))
        start += n
    return blocks


def _check_float(leaves, name):
    for x in leaves:
        if not dtypes.is_inexact(x.aval.dtype):
            raise TypeError(f"{name} requires floating-point inputs, got {x.aval}; "
                            "convert integer inputs with astype")


def _split_rows(mat, leaves, lead_shape):
    """Split a (N, *lead_shape) batch into per-leaf blocks of shape lead_shape + leaf.shape."""
    from functorch_lite import numpy as fnp
    out, start = [], 0
    for x in leaves:
        n = x.aval.size
        block = mat[start:start + n]                            # (n, *lead_shape)
        block = fnp.moveaxis(block, 0, -1) if lead_shape else block
        out.append(fnp.reshape(block, lead_shape + x.aval.shape))
        start += n
    return out


def _diff_args(fun, args, argnums, name):
    nums = _check_argnums(argnums, len(args), name)
    diff = tuple(args[i] for i in nums)
    leaves, in_tree = tree_flatten(diff)
    leaves = [as_operand(x) for x in leaves]
    _check_float(leaves, name)

    def fixed(*new_leaves):
        new_diff = tree_unflatten(in_tree, new_leaves)
        full = list(args)
        for i, value in zip(nums, new_diff):
            full[i] = value
        return fun(*full)
    return leaves, in_tree, fixed


def _assemble(per_out, out_tree, in_tree, argnums):
    """per_out[j][i]: Jacobian block of output leaf j with respect to input leaf i."""
    nested = [tree_unflatten(in_tree, row) for row in per_out]
    if isinstance(argnums, int):
        nested = [n[0] for n in nested]
    return tree_unflatten(out_tree, nested)


def jacfwd(fun, argnums=0):
    """Jacobian by forward mode: one ``vmap``-ed ``jvp`` over the input basis.

    >>> jacfwd(fnp.sin)(fnp.arange(3.0))     # diag(cos(x))
    """
    @functools.wraps(fun)
    def jac(*args):
        leaves, in_tree, fixed = _diff_args(fun, args, argnums, "jacfwd")
        out_store = []

        def pushforward(*tangent_leaves):
            out, t_out = jvp(fixed, tuple(leaves), tuple(tangent_leaves))
            t_leaves, tree = tree_flatten(t_out)
            out_store.append(tree)
            return t_leaves
        cols = vmap(pushforward)(*_basis(leaves))                 # each (N, *out.shape)
        per_out = [_split_rows(c, leaves, tuple(c.shape[1:])) for c in cols]
        return _assemble(per_out, out_store[0], in_tree, argnums)
    return jac


def jacrev(fun, argnums=0):
    """Jacobian by reverse mode: one ``vjp``, then a ``vmap`` over the output basis.

    >>> jacrev(lambda x: x ** 2)(fnp.arange(3.0))   # diag(2x)
    """
    @functools.wraps(fun)
    def jac(*args):
        from functorch_lite import numpy as fnp
        leaves, in_tree, fixed = _diff_args(fun, args, argnums, "jacrev")
        out, f_vjp = vjp(fixed, *leaves)
        out_leaves, out_tree = tree_flatten(out)
        basis = _basis(out_leaves)

        def pullback(*ct_leaves):
            return list(f_vjp(tree_unflatten(out_tree, list(ct_leaves))))
        rows = vmap(pullback)(*basis)                             # per input: (M, *in.shape)
        per_out, start = [], 0
        for o in out_leaves:
            n = o.aval.size
            per_out.append([fnp.reshape(r[start:start + n], o.aval.shape + r.shape[1:])
                            for r in rows])
            start += n
        return _assemble(per_out, out_tree, in_tree, argnums)
    return jac


def hessian(fun, argnums=0):
    """``jacfwd(jacrev(fun))``: forward-over-reverse second derivatives, over pytrees."""
    return jacfwd(jacrev(fun, argnums), argnums)
