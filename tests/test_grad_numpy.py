"""Derivatives of NumPy-layer compositions (float64, both modes, second order) and the
library's custom rules that fix numerics."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import nn
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads

MATRIX = hnp.arrays(np.float64, (3, 4), elements=st.floats(-2, 2))
POSITIVE = hnp.arrays(np.float64, (3, 4), elements=st.floats(0.5, 2))
DISTINCT = st.permutations(list(range(12))).map(
    lambda p: np.asarray(p, np.float64).reshape(3, 4) * 0.3 - 1.55)

COMPOSITIONS = {
    "mean": (lambda x: fnp.mean(x, axis=1), MATRIX),
    "var": (lambda x: fnp.var(x, axis=0), MATRIX),
    "std": (lambda x: fnp.std(x, axis=1, ddof=1), DISTINCT),
    "sum keepdims": (lambda x: fnp.sum(x * x, axis=0, keepdims=True), MATRIX),
    "prod": (lambda x: fnp.prod(x, axis=1), MATRIX),
    "max": (lambda x: fnp.max(x, axis=1), DISTINCT),
    "cumsum": (lambda x: fnp.cumsum(x, axis=1), MATRIX),
    "cumprod": (lambda x: fnp.cumprod(x, axis=0), MATRIX),
    "matmul": (lambda x: x @ x.T, MATRIX),
    "tensordot": (lambda x: fnp.tensordot(x, x, axes=([1], [1])), MATRIX),
    "outer": (lambda x: fnp.outer(x[0], x[1]), MATRIX),
    "where": (lambda x: fnp.where(x > 0, x * x, -x), DISTINCT),
    "clip": (lambda x: fnp.clip(x, -0.9, 0.9), DISTINCT),
    "power": (lambda x: x ** 3 + fnp.sqrt(x), POSITIVE),
    "reshape transpose": (lambda x: fnp.reshape(x.T, (2, 6)) * 2.0, MATRIX),
    "concatenate stack": (lambda x: fnp.concatenate([x, fnp.stack([x[0], x[1]])]), MATRIX),
    "indexing": (lambda x: x[1:, ::-2] + x[np.array([0, 2])][:, 1:3], MATRIX),
    "take_along_axis": (lambda x: fnp.take_along_axis(x, np.array([[3], [0], [1]]), 1),
                        MATRIX),
    "at add": (lambda x: fnp.asarray(x).at[np.array([0, 0, 2])].add(x[1]), MATRIX),
    "at set": (lambda x: fnp.asarray(x).at[1, 2].set(x[0, 0] * 3.0), MATRIX),
    "logsumexp": (lambda x: nn.logsumexp(x, axis=1), MATRIX),
    "softmax": (lambda x: nn.softmax(x, axis=0), MATRIX),
    "log_softmax": (lambda x: nn.log_softmax(x), MATRIX),
    "softplus": (lambda x: nn.softplus(x), MATRIX),
    "logaddexp": (lambda x: fnp.logaddexp(x, x[::-1]), MATRIX),
    "hypot": (lambda x: fnp.hypot(x, 1.0), MATRIX),
    "sort": (lambda x: fnp.sort(x, axis=1) if hasattr(fnp, "sort") else x[:, ::-1], DISTINCT),
}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
@given(data=st.data())
def test_composition_second_order(name, data):
    f, strategy = COMPOSITIONS[name]
    check_grads(f, (data.draw(strategy),), order=2)


def test_stable_rules_are_used():
    big = fnp.asarray(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(np.asarray(fl.grad(nn.logsumexp)(big)), [0.5, 0.5])
    assert float(fl.grad(nn.softplus)(fnp.asarray(1000.0, dtype="float64"))) == 1.0
    np.testing.assert_array_equal(np.asarray(fl.grad(nn.safe_norm)(np.zeros(3))), 0.0)
    np.testing.assert_allclose(np.asarray(fl.grad(nn.safe_norm)(np.array([3.0, 4.0]))),
                               [0.6, 0.8])
    # the plain formula's gradient really is NaN at zero: the custom rule is needed
    plain = fl.grad(lambda v: fnp.sqrt(fnp.sum(v * v)))(np.zeros(3))
    assert np.isnan(np.asarray(plain)).all()
