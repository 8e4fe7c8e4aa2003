"""vmap of every elementwise and higher-order primitive against a Python loop, with each
operand mapped over its first axis, its last axis or not at all."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import functorch_lite as fl
from functorch_lite import numpy as fnp
from primitive_cases import CASES, arrays
from transforms.core import bind
from xla_like import primitives as P
from xla_like.primitives import elementwise, higher_order

ELEMENTWISE = [getattr(elementwise, n) for n in dir(elementwise) if n.endswith("_p")]
HIGHER_ORDER = [P.custom_jvp_call_p, P.custom_vjp_call_p, P.remat_p, P.jit_p]
# operands that must stay within a domain for the case to be valid
POSITIVE_ONLY = {P.integer_pow_p}


def _batch_operand(draw, arg, axis, size, prim):
    """``arg`` as one batch element plus fresh ones of the same shape and dtype."""
    if axis is None:
        return arg
    if prim in POSITIVE_ONLY or arg.dtype.kind in "biu" or prim in HIGHER_ORDER:
        others = [arg] * (size - 1)       # keeps domain restrictions of the case
    else:
        others = [draw(arrays(arg.dtype, arg.shape, -2, 2)) for _ in range(size - 1)]
    stacked = np.stack([arg] + others)
    return np.moveaxis(stacked, 0, axis if axis == 0 else -1)


def _call(prim, params):
    def f(*xs):
        out = bind(prim, *[fnp.asarray(x) for x in xs], **params)
        return list(out) if prim.multiple_results else out
    return f


def _loop(prim, params, xs, axes, size):
    outs = []
    for i in range(size):
        one = [x if a is None else np.take(x, i, axis=a) for x, a in zip(xs, axes)]
        outs.append(_call(prim, params)(*one))
    if prim.multiple_results:
        return [np.stack([np.asarray(o[k]) for o in outs]) for k in range(len(outs[0]))]
    return np.stack([np.asarray(o) for o in outs])


@pytest.mark.parametrize("prim", ELEMENTWISE + HIGHER_ORDER, ids=lambda p: p.name)
@given(data=st.data())
def test_against_loop(prim, data):
    args, params = data.draw(CASES[prim], label="case")
    size = data.draw(st.integers(1, 3))
    axes = [data.draw(st.sampled_from([0, -1, None]) if np.ndim(a) else
                      st.sampled_from([0, None])) for a in args]
    if all(a is None for a in axes):
        axes[0] = 0
    xs = [_batch_operand(data.draw, a, ax, size, prim) for a, ax in zip(args, axes)]
    with np.errstate(all="ignore"):
        got = fl.vmap(_call(prim, params), in_axes=tuple(axes))(*xs)
        want = _loop(prim, params, xs, axes, size)
    pairs = zip(got, want) if prim.multiple_results else [(got, want)]
    for g, w in pairs:
        np.testing.assert_array_equal(np.asarray(g), w)


def test_every_higher_order_primitive_is_covered():
    # custom_lin only appears inside linear programs; its vmap rule is an explicit error
    assert set(HIGHER_ORDER) | {P.custom_lin_p} == {
        getattr(higher_order, n) for n in higher_order.__all__}
