"""Structured control flow (``lax.cond``, ``switch``, ``while_loop``, ``fori_loop``,
``scan``, ``map``), with JAX's signatures and semantics.

With no transform active they run the Python functions directly, so ``print`` and
``pdb`` inside a branch or a loop body see real values.  Under a transform (``jit``,
``grad``, ``vmap``, ...) they stage the functions into sub-programs and bind the
``cond``/``while``/``scan`` primitive, which every transform and the compiler handle.
Staged sub-programs are canonical (``transforms.control_flow_rules.canonical``): calling
again with the same function and types gives the same ``Program`` objects, so caches
keyed on them (the eager ``grad`` tape, ``jit``) hit.

Carries keep one type for the whole loop.  A carry that starts as a weakly typed
Python scalar takes the body's output type (``fori_loop(0, n, f, 0.0)`` on float32
values carries float32); any other change of shape or dtype is an error showing both.

What the transforms cost:

* reverse mode of ``scan`` (and ``fori_loop`` with concrete bounds): the forward pass
  saves the carry entering each iteration (memory: length x carry size); the backward
  scan recomputes each step's body from its saved carry.  ``checkpoint`` inside a body
  works as usual.
* reverse mode of ``while_loop`` (beyond JAX, which refuses it): a forward loop counts
  the iterations; when that count is a concrete value (eager ``grad``) it is a scan of
  that length, as above.  When the count is only known at run time (inside
  ``jit``) the reverse loop recomputes each carry from the start instead: constant
  extra memory, quadratic time in the trip count.
* ``vmap`` with a batched predicate: ``cond``/``switch`` run every branch and select
  per element; ``while_loop`` runs until every element is done, each element's carry
  frozen once its own predicate is false (time: the longest element's trip count).
"""
import numpy as np

from transforms import ops
from transforms.array import Array, from_numpy
from transforms.control_flow_rules import close_over
from transforms.core import Tracer, bind, current_interpreter
from transforms.pytree import tree_flatten, tree_unflatten
from transforms.staging import as_array_leaf, stage
from xla_like import dtypes
from xla_like.primitives.control_flow import branch_index, cond_p, scan_p, while_p

_INT32 = dtypes.canonicalize("int32")


def _leaves(tree, what, name):
    leaves, treedef = tree_flatten(tree)
    arrays = []
    for i, leaf in enumerate(leaves):
        array = as_array_leaf(leaf)
        if array is None:
            raise TypeError(f"{name}: {what} leaf {i} is a {type(leaf).__name__}, not an "
                            "array or scalar")
        arrays.append(array)
    return arrays, treedef


def _types(avals):
    return "(" + ", ".join(str(a) for a in avals) + ")"


def _stage(fun, in_tree, avals, name, out_avals=None):
    """Stage ``fun`` (called on the unflattened inputs) into ``(program, captured,
    out_tree)``; outputs are converted to ``out_avals`` where given (weak -> strong)."""
    out_tree = []

    def flat(*tracers):
        outs, tree = _leaves(fun(*tree_unflatten(in_tree, tracers)), "output", name)
        out_tree.append(tree)
        if out_avals is not None:
            outs = [ops.convert(o, a.dtype, a.weak) if o.aval != a and o.aval.shape == a.shape
                    else o for o, a in zip(outs, out_avals)]
        return outs
    program, captured = stage(flat, avals, [f"arg{i}" for i in range(len(avals))], name)
    return program, captured, out_tree[0]


def _unify(name, what, in_avals, out_avals):
    """The carry types for which the body keeps its types: a weak input takes the
    output's type; a weak output of the input's dtype is made strong.  Raises a
    TypeError showing both when they cannot agree."""
    carry, fixed = [], list(out_avals)
    for i, (a, b) in enumerate(zip(in_avals, out_avals)):
        if a == b:
            carry.append(a)
        elif a.shape == b.shape and a.dtype == b.dtype and not a.weak:
            carry.append(a)                     # the output is made strong
        elif a.shape == b.shape and a.weak and dtypes.is_inexact(b.dtype) >= dtypes.is_inexact(a.dtype):
            carry.append(b)
        else:
            raise TypeError(f"{name}: {what} must keep the carry's types: the carry has "
                            f"types {_types(in_avals)} but {what} returns "
                            f"{_types(out_avals)} (they differ at leaf {i})")
        fixed[i] = carry[-1]
    return carry, fixed


def _check_tree(name, what, expected, got):
    if expected != got:
        raise TypeError(f"{name}: {what} must return the carry's structure "
                        f"{expected}, got {got}")


def _stage_carry_fun(fun, in_tree, before, carry, after, name, what, carry_tree,
                     carry_tree_of):
    """Stage a loop body ``fun`` whose inputs are ``before + carry + after`` (avals)
    and whose first outputs are the new carry (``carry_tree_of(out_tree)`` must be
    ``carry_tree``); unify the carry types (restaging at most a few times).  Returns
    ``(program, captured, out_tree, carry avals)``."""
    n = len(carry)
    for _ in range(n + 2):
        avals = list(before) + list(carry) + list(after)
        program, captured, out_tree = _stage(fun, in_tree, avals, name)
        _check_tree(name, what, carry_tree, carry_tree_of(out_tree))
        out = program.out_avals
        new_carry, fixed = _unify(name, what, carry, out[:n])
        if new_carry == list(carry) and fixed == list(out[:n]):
            return program, captured, out_tree, carry
        if new_carry == list(carry):            # only outputs to make strong
            program, captured, out_tree = _stage(fun, in_tree, avals, name,
                                                 fixed + list(out[n:]))
            return program, captured, out_tree, carry
        carry = new_carry
    raise TypeError(f"{name}: the carry types do not settle: {_types(carry)}")


def _as_carry(values, avals):
    return [ops.convert(v, a.dtype, a.weak) for v, a in zip(values, avals)]


def _eager():
    return current_interpreter() is None


# ---- cond / switch ------------------------------------------------------------------------

def cond(pred, true_fun, false_fun, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``; under ``jit`` a
    ``cond`` primitive whose branches must return the same types.

    >>> lax.cond(x > 0, lambda x: x * 2.0, lambda x: -x, x)
    """
    pred = _scalar(pred, "cond", "pred")
    if pred.aval.dtype != dtypes.bool_:
        pred = ops.ne(pred, ops.constant(0, pred.aval.dtype))
    if _eager():
        return (true_fun if bool(pred) else false_fun)(*operands)
    return _bind_cond(pred, (false_fun, true_fun), operands, "cond")


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clamped into range (as in JAX).

    >>> lax.switch(i, [lambda x: x, lambda x: x * 2.0, fnp.sin], x)
    """
    branches = tuple(branches)
    if not branches or not all(callable(b) for b in branches):
        raise TypeError("switch: branches must be a non-empty sequence of callables")
    index = _scalar(index, "switch", "index")
    if not dtypes.is_int(index.aval.dtype):
        raise TypeError(f"switch: the index must be an integer scalar, got {index.aval}")
    if _eager():
        return branches[branch_index(index._value, len(branches))](*operands)
    if len(branches) == 1:
        return branches[0](*operands)
    return _bind_cond(ops.convert(index, _INT32), branches, operands, "switch")


def _scalar(x, name, what):
    array = as_array_leaf(x)
    if array is None or array.aval.shape != ():
        shown = array.aval if array is not None else type(x).__name__
        raise TypeError(f"{name}: {what} must be a scalar, got {shown}")
    return array


def _bind_cond(index, branches, operands, name):
    args, in_tree = _leaves(operands, "operand", name)
    avals = [a.aval for a in args]
    staged = [_stage(b, in_tree, avals, f"{name} branch {i}") for i, b in enumerate(branches)]
    trees = [s[2] for s in staged]
    for i, tree in enumerate(trees[1:], 1):
        if tree != trees[0]:
            raise TypeError(f"{name}: branches must return the same structure: branch 0 "
                            f"returns {trees[0]}, branch {i} returns {tree}")
    outs = [s[0].out_avals for s in staged]
    if any(o != outs[0] for o in outs[1:]):
        target = _common_outputs(name, outs)
        staged = [_stage(b, in_tree, avals, f"{name} branch {i}", target)
                  for i, b in enumerate(branches)]
    programs, consts = close_over([(p, c) for p, c, _ in staged])
    results = bind(cond_p, index, *consts, *args, branches=tuple(programs))
    return tree_unflatten(trees[0], results)


def _common_outputs(name, outs):
    """Branch outputs differing only in weak flags become strong; else a TypeError."""
    target = []
    for i, avals in enumerate(zip(*outs)):
        if any(a.strong() != avals[0].strong() for a in avals):
            detail = "; ".join(f"branch {k} returns {_types(o)}" for k, o in enumerate(outs))
            raise TypeError(f"{name}: branches must return the same types (output {i} "
                            f"differs): {detail}")
        target.append(avals[0] if all(a == avals[0] for a in avals) else avals[0].strong())
    return target


# ---- while_loop / fori_loop -----------------------------------------------------------------

def while_loop(cond_fun, body_fun, init_val):
    """``val = body_fun(val)`` while ``cond_fun(val)``; returns the final ``val``.

    >>> lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))
    """
    if _eager():
        return _eager_while(cond_fun, body_fun, init_val)
    args, tree = _leaves(init_val, "init_val", "while_loop")
    carry_in = [a.aval for a in args]
    body, b_consts, _, carry = _stage_carry_fun(
        lambda *c: body_fun(tree_unflatten(tree, c)), _flat_tree(len(args)), [], carry_in,
        [], "while_loop", "body_fun", tree, lambda t: t)
    cond_prog, c_consts, _ = _stage(lambda *c: cond_fun(tree_unflatten(tree, c)),
                                    _flat_tree(len(args)), carry, "while_loop cond_fun")
    _check_pred("while_loop", cond_prog.out_avals)
    (cond_prog,), c_consts = close_over([(cond_prog, c_consts)])
    (body,), b_consts = close_over([(body, b_consts)])
    outs = bind(while_p, *c_consts, *b_consts, *_as_carry(args, carry),
                cond_program=cond_prog, body_program=body, cond_num_consts=len(c_consts),
                body_num_consts=len(b_consts))
    return tree_unflatten(tree, outs)


def _flat_tree(n):
    return tree_flatten(tuple(range(n)))[1]


def _check_pred(name, avals):
    if len(avals) != 1 or avals[0].shape != () or avals[0].dtype != dtypes.bool_:
        raise TypeError(f"{name}: cond_fun must return a bool scalar, got {_types(avals)}")


def _eager_while(cond_fun, body_fun, val):
    avals = [a.aval for a in _leaves(val, "init_val", "while_loop")[0]]
    tree = tree_flatten(val)[1]
    while True:
        pred = as_array_leaf(cond_fun(val))
        _check_pred("while_loop", [pred.aval] if pred is not None else [])
        if not bool(pred):
            return val
        val = body_fun(val)
        avals = _check_eager_carry("while_loop", "body_fun", tree, avals, val)


def _check_eager_carry(name, what, tree, avals, new):
    """The eager loop keeps the traced loop's rule: same structure, same types (a weak
    carry may take the body's type)."""
    leaves, new_tree = _leaves(new, "output", name)
    _check_tree(name, what, tree, new_tree)
    return _unify(name, what, avals, [a.aval for a in leaves])[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.  With concrete
    bounds it is a ``scan`` (reverse-differentiable with saved carries); with traced
    bounds a ``while``.

    >>> lax.fori_loop(0, 5, lambda i, c: c + i, 0)
    10
    """
    lo, hi = _bound(lower, "lower"), _bound(upper, "upper")
    dtype = np.result_type(lo.aval.dtype, hi.aval.dtype)
    lo, hi = _bound(lo, "lower", dtype), _bound(hi, "upper", dtype)
    if _eager():
        val = init_val
        for i in range(int(lo._value), int(hi._value)):
            val = body_fun(Array(np.asarray(i, dtype), lo.aval), val)
        return val
    if not isinstance(lo, Tracer) and not isinstance(hi, Tracer):
        length = max(int(hi._value) - int(lo._value), 0)
        (_, val), _ = scan(lambda c, _: ((ops.add(c[0], ops.constant(1, dtype)),
                                          body_fun(c[0], c[1])), None),
                           (lo, init_val), None, length=length)
        return val
    _, _, val = while_loop(lambda c: ops.lt(c[0], c[1]),
                           lambda c: (ops.add(c[0], ops.constant(1, dtype)), c[1],
                                      body_fun(c[0], c[2])),
                           (lo, hi, init_val))
    return val


def _bound(x, what, dtype=None):
    """An integer scalar bound of ``dtype`` (int32 for Python ints); concrete bounds
    stay concrete (then the loop is a scan of known length)."""
    array = _scalar(x, "fori_loop", what)
    if not dtypes.is_int(array.aval.dtype):
        raise TypeError(f"fori_loop: {what} must be an integer scalar, got {array.aval}")
    dtype = dtype or (_INT32 if array.aval.weak else array.aval.dtype)
    if isinstance(array, Tracer):
        return ops.convert(array, dtype)
    return from_numpy(np.asarray(array._value, dtype))


# ---- scan / map ---------------------------------------------------------------------------------

def scan(f, init, xs, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the final carry
    and the ``y``s stacked.  ``unroll`` is accepted for compatibility and does not change
    results (the loop is compiled as a loop).

    >>> lax.scan(lambda c, x: (c + x, c * x), 0.0, fnp.arange(3.0))
    """
    if not isinstance(unroll, (int, bool)) or unroll < 0:
        raise ValueError(f"scan: unroll must be a non-negative int, got {unroll!r}")
    x_args, x_tree = _leaves(xs, "xs", "scan")
    length = _scan_length(x_args, length)
    if _eager():
        return _eager_scan(f, init, xs, x_args, x_tree, length, reverse)
    args, c_tree = _leaves(init, "init", "scan")
    slices = [a.aval.update(shape=a.aval.shape[1:]) for a in x_args]
    in_tree = tree_flatten((init, xs))[1]
    n = len(args)
    body, consts, out_tree, carry = _stage_carry_fun(
        lambda c, x: _scan_body_out(f, c, x), in_tree, [], [a.aval for a in args], slices,
        "scan", "f's carry output", c_tree, lambda t: t.children[0])
    y_tree = out_tree.children[1]
    (body,), consts = close_over([(body, consts)])
    outs = bind(scan_p, *consts, *_as_carry(args, carry), *x_args, body=body, length=length,
                reverse=bool(reverse), num_consts=len(consts), num_carry=n)
    return tree_unflatten(c_tree, outs[:n]), tree_unflatten(y_tree, outs[n:])


def _scan_body_out(f, carry, x):
    out = f(carry, x)
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
    return out


def _scan_length(x_args, length):
    lengths = {a.aval.shape[0] for a in x_args if a.aval.ndim}
    if any(a.aval.ndim == 0 for a in x_args):
        raise TypeError("scan: every leaf of xs needs a leading axis to scan over")
    if length is not None:
        length = int(length)
        lengths.add(length)
    if len(lengths) > 1:
        raise ValueError(f"scan: xs leaves and length disagree on the length: "
                         f"{sorted(lengths)}")
    if not lengths:
        raise ValueError("scan: give length when xs is None or has no leaves")
    return lengths.pop()


def _eager_scan(f, init, xs, x_args, x_tree, length, reverse):
    carry = init
    c_avals = [a.aval for a in _leaves(init, "init", "scan")[0]]
    c_tree = tree_flatten(init)[1]
    ys = [None] * length
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        x = tree_unflatten(x_tree, [a[i] for a in x_args])
        carry, ys[i] = _scan_body_out(f, carry, x)
        c_avals = _check_eager_carry("scan", "f", c_tree, c_avals, carry)
    if length == 0:
        return carry, _empty_ys(f, init, xs, x_args)
    return carry, _stack(ys)


def _stack(ys):
    from functorch_lite.numpy import stack
    leaves = [_leaves(y, "y", "scan") for y in ys]
    tree = leaves[0][1]
    for _, t in leaves[1:]:
        if t != tree:
            raise TypeError(f"scan: f must return ys of one structure, got {tree} and {t}")
    columns = zip(*[ls for ls, _ in leaves])
    return tree_unflatten(tree, [stack(list(col)) for col in columns])


def _empty_ys(f, init, xs, x_args):
    """A scan of length 0 still has typed ys: stage ``f`` once to learn them."""
    args = _leaves(init, "init", "scan")[0]
    slices = [a.aval.update(shape=a.aval.shape[1:]) for a in x_args]
    in_tree = tree_flatten((init, xs))[1]
    program, _, out_tree = _stage(lambda c, x: _scan_body_out(f, c, x), in_tree,
                                  [a.aval for a in args] + slices, "scan")
    y_tree = out_tree.children[1]
    y_avals = program.out_avals[len(args):]
    return tree_unflatten(y_tree, [from_numpy(np.zeros((0,) + a.shape, a.dtype))
                                   for a in y_avals])


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked (a
    ``scan`` with no carry).

    >>> lax.map(lambda x: x * 2.0, fnp.arange(3.0))
    """
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map"]
