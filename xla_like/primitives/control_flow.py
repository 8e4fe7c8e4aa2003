"""Control-flow primitives: their params hold closed sub-programs (``Program``s), so
every transform and the compiler see the loop or the branch, not its unrolling.

- ``cond``: ``cond[branches=(p0, p1, ...)] index *operands`` runs ``branches[index]``
  (index clamped to the valid range; a bool index picks ``p1`` when true) on the
  operands.  Every branch takes the operands' types and returns the same types.
- ``while``: ``while[cond_program, body_program, cond_num_consts, body_num_consts]
  *cond_consts *body_consts *carry`` runs ``carry = body(*body_consts, *carry)`` while
  ``cond(*cond_consts, *carry)`` (a bool scalar) holds.
- ``scan``: ``scan[body, length, reverse, num_consts, num_carry] *consts *carry *xs``:
  ``carry, y = body(*consts, *carry, *x)`` for each slice ``x`` of the ``xs`` along their
  leading axis (of size ``length``; last to first when ``reverse``); results are the
  final carry, then the ``y``s stacked along a new leading axis.

The reference implementations are real Python loops over ``evaluate`` of the bodies.
"""
import numpy as np

from xla_like import dtypes
from xla_like.ir import Program
from xla_like.primitive import Primitive
from xla_like.reference import evaluate

__all__ = ["cond_p", "while_p", "scan_p"]


def _types(avals):
    return "(" + ", ".join(str(a) for a in avals) + ")"


def check_program(name, what, program, avals):
    """``program`` is a Program whose inputs are ``avals`` (weak flags aside)."""
    if not isinstance(program, Program):
        raise TypeError(f"{name}: param {what!r} must be a Program, got "
                        f"{type(program).__name__}")
    expected = [a.strong() for a in program.in_avals]
    got = [a.strong() for a in avals]
    if expected != got:
        raise TypeError(f"{name}: {what} takes inputs {_types(expected)} but the operands "
                        f"are {_types(got)}")


def _same_types(name, what_a, a, what_b, b):
    if [x.strong() for x in a] != [x.strong() for x in b]:
        raise TypeError(f"{name}: {what_a} has types {_types(a)} but {what_b} has types "
                        f"{_types(b)}; they must match")


# ---- cond -----------------------------------------------------------------------------

def _cond_abstract_eval(index, *operands, branches):
    if not isinstance(branches, tuple) or not branches:
        raise TypeError("cond: param 'branches' must be a non-empty tuple of Programs")
    if index.shape != () or not (dtypes.is_int(index.dtype) or index.dtype == dtypes.bool_):
        raise TypeError(f"cond: the index must be an integer or bool scalar, got {index}")
    if index.dtype == dtypes.bool_ and len(branches) != 2:
        raise TypeError(f"cond: a bool index selects between 2 branches, got {len(branches)}")
    for i, branch in enumerate(branches):
        check_program("cond", f"branch {i}", branch, operands)
    first = branches[0].out_avals
    for i, branch in enumerate(branches[1:], 1):
        _same_types("cond", "branch 0's output", first, f"branch {i}'s output",
                    branch.out_avals)
    return list(first)


def branch_index(index, n):
    """The branch an index selects: clamped into ``0..n-1`` (a bool counts as 0/1)."""
    return int(min(max(int(index), 0), n - 1))


def _cond_impl(index, *operands, branches):
    branch = branches[branch_index(index, len(branches))]
    outs = evaluate(branch, *operands)
    return [np.asarray(o, a.dtype) for o, a in zip(outs, branches[0].out_avals)]


cond_p = Primitive("cond", _cond_abstract_eval, _cond_impl, multiple_results=True)


# ---- while ----------------------------------------------------------------------------

def _while_abstract_eval(*avals, cond_program, body_program, cond_num_consts,
                         body_num_consts):
    cond_consts = avals[:cond_num_consts]
    body_consts = avals[cond_num_consts:cond_num_consts + body_num_consts]
    carry = avals[cond_num_consts + body_num_consts:]
    check_program("while", "cond_program", cond_program, cond_consts + carry)
    check_program("while", "body_program", body_program, body_consts + carry)
    pred = cond_program.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != dtypes.bool_:
        raise TypeError(f"while: cond_program must return one bool scalar, got {_types(pred)}")
    _same_types("while", "body_program's output", body_program.out_avals, "the carry",
                carry)
    return list(body_program.out_avals)


def _while_impl(*values, cond_program, body_program, cond_num_consts, body_num_consts):
    cond_consts = values[:cond_num_consts]
    body_consts = values[cond_num_consts:cond_num_consts + body_num_consts]
    carry = list(values[cond_num_consts + body_num_consts:])
    while bool(evaluate(cond_program, *cond_consts, *carry)[0]):
        carry = evaluate(body_program, *body_consts, *carry)
    return [np.asarray(c, v.aval.dtype) for c, v in zip(carry, body_program.outvars)]


while_p = Primitive("while", _while_abstract_eval, _while_impl, multiple_results=True)


# ---- scan -----------------------------------------------------------------------------

def _scan_abstract_eval(*avals, body, length, reverse, num_consts, num_carry):
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise ValueError(f"scan: length must be a non-negative int, got {length!r}")
    if not isinstance(reverse, bool):
        raise TypeError(f"scan: reverse must be a bool, got {reverse!r}")
    consts = avals[:num_consts]
    carry = avals[num_consts:num_consts + num_carry]
    xs = avals[num_consts + num_carry:]
    for i, x in enumerate(xs):
        if x.ndim == 0 or x.shape[0] != length:
            raise TypeError(f"scan: xs[{i}] {x} must have a leading axis of the scan "
                            f"length {length}")
    slices = tuple(x.update(shape=x.shape[1:]) for x in xs)
    check_program("scan", "body", body, consts + carry + slices)
    outs = body.out_avals
    if len(outs) < num_carry:
        raise TypeError(f"scan: body returns {len(outs)} values, fewer than the "
                        f"{num_carry} carries")
    _same_types("scan", "body's carry output", outs[:num_carry], "the carry input", carry)
    ys = [y.update(shape=(length,) + y.shape) for y in outs[num_carry:]]
    return list(outs[:num_carry]) + ys


def _scan_impl(*values, body, length, reverse, num_consts, num_carry):
    consts = values[:num_consts]
    carry = list(values[num_consts:num_consts + num_carry])
    xs = values[num_consts + num_carry:]
    y_avals = body.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        outs = evaluate(body, *consts, *carry, *[x[i] for x in xs])
        carry = outs[:num_carry]
        for y, out in zip(ys, outs[num_carry:]):
            y[i] = out
    carry = [np.asarray(c, v.aval.dtype) for c, v in zip(carry, body.outvars)]
    return carry + ys


scan_p = Primitive("scan", _scan_abstract_eval, _scan_impl, multiple_results=True)
