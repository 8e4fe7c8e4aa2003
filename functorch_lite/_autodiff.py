"""Differentiation API: jvp, linearize, vjp, grad, value_and_grad, jacfwd, jacrev,
hessian and stop_gradient, over pytrees.

Integer and boolean inputs have no derivative: their tangents and gradients are
arrays of the data-free dtype ``float0`` (``functorch_lite.float0``), as NumPy arrays.
"""
import functools

import numpy as np

from transforms import jvp as jvp_mod
from transforms import ops
from transforms.array import Array
from transforms.core import bind
from transforms.jvp import Zero, float0, tangent_aval
from transforms.linearize import backward_pass, linearize_flat
from transforms.tape import TapeTracer, tape_applies, vjp_recorded
from transforms.pytree import tree_flatten, tree_map, tree_unflatten
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, asarray


def _zeros(aval):
    """Materialize a zero tangent/cotangent of ``aval``."""
    if aval.dtype == float0:
        return np.zeros(aval.shape, float0)
    return ops.full(aval.shape, 0, aval.dtype)


def _check_argnums(argnums, nargs, name):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{name}: argnums {argnums} is out of range for {nargs} "
                             "positional arguments")
    return nums


def _flat_fun(fun, args, kwargs, argnums, has_aux, out_store):
    """``fun`` as a function of the flat leaves of ``args[argnums]``."""
    diff = tuple(args[i] for i in argnums)
    leaves, in_tree = tree_flatten(diff)

    def flat(*new_leaves):
        new_diff = tree_unflatten(in_tree, new_leaves)
        full = list(args)
        for i, value in zip(argnums, new_diff):
            full[i] = value
        out = fun(*full, **kwargs)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("has_aux=True requires the function to return a pair "
                                "(output, aux)")
            out, aux = out
        out_leaves, out_tree = tree_flatten(out)
        out_store["tree"], out_store["aux"] = out_tree, aux
        return [x if type(x) in _OPERANDS else as_operand(x, "output") for x in out_leaves]
    return flat, [x if type(x) is Array else as_operand(x, "argument") for x in leaves], in_tree


_OPERANDS = (Array, TapeTracer)     # already operands: as_operand would return them as is


def _strip_aux(aux):
    """Aux outputs leave the transform as plain primal values."""
    def primal(x):
        while isinstance(x, (jvp_mod.JVPTracer, TapeTracer)):
            x = x.primal if isinstance(x, jvp_mod.JVPTracer) else x.value
        return x
    return tree_map(primal, aux)


def _reverse(flat, leaves, diff_mask):
    """Run ``flat`` for reverse mode: ``(outputs, out_zero, backward)``, where
    ``backward(cts)`` takes one cotangent per output with ``out_zero`` False and
    returns one per differentiated leaf (None for zero).  Eagerly (and under vmap)
    this records and reuses a cached backward program (``transforms/tape.py``)."""
    if tape_applies():
        def on_diff(*diff):
            it = iter(diff)
            return flat(*[next(it) if d else x for x, d in zip(leaves, diff_mask)])
        return vjp_recorded(on_diff, [x for x, d in zip(leaves, diff_mask) if d])
    outs, linear = linearize_flat(flat, leaves, diff_mask)
    return outs, linear.out_zero, lambda cts: backward_pass(linear, cts)


def _reverse_tree(fun, primals, has_aux):
    """``_reverse`` of ``fun`` at pytree ``primals``, with respect to its float leaves."""
    store = {}
    flat, leaves, in_tree = _flat_fun(fun, primals, {}, tuple(range(len(primals))),
                                      has_aux, store)
    diff_mask = [dtypes.is_inexact(x.aval.dtype) for x in leaves]
    outs, out_zero, backward = _reverse(flat, leaves, diff_mask)
    return outs, out_zero, backward, leaves, in_tree, diff_mask, store


def vjp(fun, *primals, has_aux=False):
    """``(out, vjp_fun)`` (and ``aux``): ``vjp_fun(ct)`` returns one cotangent per primal.

    >>> out, f_vjp = vjp(fnp.sin, 0.5)
    >>> f_vjp(1.0)      # (cos(0.5),)
    """
    outs, out_zero, backward, leaves, in_tree, diff_mask, store = _reverse_tree(
        fun, primals, has_aux)
    out_tree = store["tree"]

    def vjp_fun(cotangent):
        ct_leaves, ct_tree = tree_flatten(cotangent)
        if ct_tree != out_tree:
            raise ValueError(f"vjp: cotangent structure {ct_tree} does not match the "
                             f"output structure {out_tree}")
        cts = []
        for ct, out, zero in zip(ct_leaves, outs, out_zero):
            ct = asarray(ct, dtype=out.aval.dtype)
            if ct.aval.shape != out.aval.shape:
                raise ValueError(f"vjp: cotangent of shape {ct.aval.shape} for an output "
                                 f"of shape {out.aval.shape}")
            if not zero:
                cts.append(ct)
        in_cts = iter(backward(cts))
        result = [next(in_cts) if d else None for d in diff_mask]
        result = [_zeros(tangent_aval(x.aval)) if ct is None else ct
                  for x, ct in zip(leaves, result)]
        return tree_unflatten(in_tree, result)
    out = tree_unflatten(out_tree, outs)
    if has_aux:
        return out, vjp_fun, _strip_aux(store["aux"])
    return out, vjp_fun


def value_and_grad(fun, argnums=0, has_aux=False):
    """``(f(x), ∇f(x))`` for a scalar-valued ``fun``; ``argnums`` picks the arguments.

    >>> value_and_grad(lambda x: (x ** 2).sum())(fnp.ones(3))   # (3.0, [2., 2., 2.])
    """
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "grad")
        store = {}
        flat, leaves, in_tree = _flat_fun(fun, args, kwargs, nums, has_aux, store)
        diff_mask = [x.aval.dtype.kind in "fc" for x in leaves]        # inexact dtypes
        outs, out_zero, backward = _reverse(flat, leaves, diff_mask)
        out = tree_unflatten(store["tree"], outs)
        _check_scalar_output(outs)
        cts = [] if out_zero[0] else [_one(outs[0].aval.dtype)]
        in_cts = iter(backward(cts))
        grads = [next(in_cts) if d else None for d in diff_mask]
        grads = [_zeros(tangent_aval(x.aval)) if ct is None else ct
                 for x, ct in zip(leaves, grads)]
        grads = tree_unflatten(in_tree, grads)
        grads = grads[0] if isinstance(argnums, int) else grads
        if has_aux:
            return (out, _strip_aux(store["aux"])), grads
        return out, grads
    return wrapped


_ONES = {}


def _one(dtype):
    """The cotangent 1 of a scalar output (arrays are immutable, so one per dtype)."""
    if dtype not in _ONES:
        _ONES[dtype] = asarray(np.ones((), dtype))
    return _ONES[dtype]


def _check_scalar_output(leaves):
    if len(leaves) != 1 or leaves[0].shape != () or not dtypes.is_inexact(leaves[0].dtype):
        shapes = ", ".join(str(x.aval) for x in leaves)
        raise TypeError(f"grad requires a function returning one real scalar, got {shapes}; "
                        "use vjp or jacrev for other outputs")


def grad(fun, argnums=0, has_aux=False):
    """The gradient of a scalar-valued ``fun`` with respect to ``args[argnums]``.

    >>> grad(lambda x: fnp.sin(x))(0.0)     # 1.0
    """
    value_and_grad_fun = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        value, grads = value_and_grad_fun(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapped


def jvp(fun, primals, tangents, has_aux=False):
    """``(fun(*primals), J·tangents)`` by forward mode; primals/tangents are tuples.

    >>> jvp(fnp.sin, (0.0,), (1.0,))        # (0.0, 1.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples of arguments")
    store = {}
    flat, leaves, in_tree = _flat_fun(fun, tuple(primals), {}, tuple(range(len(primals))),
                                      has_aux, store)
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    if t_tree != in_tree:
        raise ValueError(f"jvp: tangent structure {t_tree} does not match primal structure "
                         f"{in_tree}")
    t_in = [_check_tangent(x, t) for x, t in zip(leaves, t_leaves)]
    outs, t_outs = jvp_mod.jvp_flat(flat, leaves, t_in)
    t_outs = [_zeros(t.aval) if type(t) is Zero else t for t in t_outs]
    result = (tree_unflatten(store["tree"], outs), tree_unflatten(store["tree"], t_outs))
    return result + (_strip_aux(store["aux"]),) if has_aux else result


def _check_tangent(primal, tangent):
    expected = tangent_aval(primal.aval)
    if expected.dtype == float0:
        return Zero(expected)
    tangent = asarray(tangent, dtype=None)
    if tangent.aval.shape != expected.shape or tangent.aval.dtype != expected.dtype:
        if tangent.aval.weak and tangent.aval.shape == expected.shape:
            return asarray(tangent, dtype=expected.dtype)
        raise TypeError(f"jvp: tangent {tangent.aval} does not match primal {primal.aval} "
                        f"(expected a tangent of type {expected})")
    return tangent


def linearize(fun, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` reuses one linearization.

    >>> y, f_jvp = linearize(fnp.sin, 1.0)
    >>> f_jvp(2.0)                           # 2 cos(1)
    """
    store = {}
    flat, leaves, in_tree = _flat_fun(fun, primals, {}, tuple(range(len(primals))), False,
                                      store)
    diff_mask = [dtypes.is_inexact(x.aval.dtype) for x in leaves]
    outs, linear = linearize_flat(flat, leaves, diff_mask)
    out_tree = store["tree"]

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_flatten(tuple(tangents))
        if t_tree != in_tree:
            raise ValueError(f"linearize: tangent structure {t_tree} does not match "
                             f"{in_tree}")
        t_in = [_check_tangent(x, t) for x, t in zip(leaves, t_leaves)]
        live = iter(linear(*[t for t, d in zip(t_in, diff_mask) if d]))
        t_out = [_zeros(tangent_aval(o.aval)) if zero else next(live)
                 for o, zero in zip(outs, linear.out_zero)]
        return tree_unflatten(out_tree, t_out)
    return tree_unflatten(out_tree, outs), f_jvp


def stop_gradient(x):
    """The value of ``x`` with zero derivative (applied leaf-wise to pytrees)."""
    def stop(leaf):
        leaf = as_operand(leaf)
        if not dtypes.is_inexact(leaf.aval.dtype):
            return leaf
        return bind(P.stop_gradient_p, leaf)
    return tree_map(stop, x)
