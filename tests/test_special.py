"""functorch_lite.scipy.special against SciPy: values on random inputs, special values,
gradients (finite differences), vmap against a loop, jit against eager."""
import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp
from functorch_lite.scipy import special
from functorch_lite.test_util import check_grads

# name -> (SciPy function, input domain (lo, hi) per operand); each call applies the
# function to arrays of one shape
UNARY = {
    "erf": (sc.erf, (-3, 3)), "erfc": (sc.erfc, (-3, 3)), "gammaln": (sc.gammaln, (0.125, 8)),
    "digamma": (sc.digamma, (0.125, 8)), "expit": (sc.expit, (-8, 8)),
    "logit": (sc.logit, (0.0625, 0.9375)),
}
BINARY = {"xlogy": (sc.xlogy, (-3, 3), (0.125, 5)), "xlog1py": (sc.xlog1py, (-3, 3), (-0.875, 5))}
REDUCING = {"logsumexp": sc.logsumexp, "softmax": sc.softmax, "log_softmax": sc.log_softmax}
IMPLEMENTED = set(UNARY) | set(BINARY) | set(REDUCING)
TOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


def _close(got, want, dtype):
    dtype = np.dtype(dtype)
    assert np.asarray(got).dtype == dtype, (np.asarray(got).dtype, dtype)
    np.testing.assert_allclose(np.asarray(got), want, rtol=TOL[dtype], atol=TOL[dtype])


def _array(draw, dtype, shape, lo, hi):
    width = 8 * np.dtype(dtype).itemsize
    return draw(hnp.arrays(dtype, shape, elements=st.floats(lo, hi, width=width)))


def test_every_name_is_checked():
    """Each public name has a value, gradient, vmap and jit test through these tables."""
    assert set(special.__all__) == IMPLEMENTED
    assert set(GRAD_CASES) == IMPLEMENTED and set(MAPPED) == IMPLEMENTED


# ---- values ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_matches_scipy(name, data):
    ref, (lo, hi) = UNARY[name]
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    x = _array(data.draw, dtype, data.draw(hnp.array_shapes(min_dims=0, max_dims=3)), lo, hi)
    _close(getattr(special, name)(x), ref(x), dtype)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_matches_scipy_with_broadcasting(name, data):
    ref, x_dom, y_dom = BINARY[name]
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3))
    x = _array(data.draw, dtype, shapes.input_shapes[0], *x_dom)
    x = np.where(np.abs(x) < 0.5, 0, x).astype(dtype)          # exact zeros too
    y = _array(data.draw, dtype, shapes.input_shapes[1], *y_dom)
    _close(getattr(special, name)(x, y), ref(x, y), dtype)


@st.composite
def reduction_case(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = _array(draw, dtype, draw(hnp.array_shapes(min_dims=1, max_dims=3)), -30, 30)
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1)
                | st.lists(st.integers(0, x.ndim - 1), unique=True).map(tuple))
    return x, axis


@given(case=reduction_case(), keepdims=st.booleans())
def test_logsumexp_matches_scipy(case, keepdims):
    x, axis = case
    _close(special.logsumexp(x, axis=axis, keepdims=keepdims),
           sc.logsumexp(x, axis=axis, keepdims=keepdims), x.dtype)


@given(case=reduction_case(), keepdims=st.booleans(), data=st.data())
def test_weighted_logsumexp_and_sign_match_scipy(case, keepdims, data):
    x, axis = case
    weights = st.sampled_from([-2.0, -0.5, 0.0, 1.0, 3.0])
    b = data.draw(hnp.arrays(x.dtype, x.shape, elements=weights))
    out, sign = special.logsumexp(x, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    want_out, want_sign = sc.logsumexp(x, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    np.testing.assert_array_equal(np.asarray(sign), want_sign)
    finite = np.isfinite(want_out)
    np.testing.assert_array_equal(np.isfinite(np.asarray(out)), finite)
    # cancellation in sum(b exp(a)) costs digits in both implementations alike
    np.testing.assert_allclose(np.asarray(out)[finite], np.asarray(want_out)[finite],
                               rtol=1e-4 if x.dtype == np.float32 else 1e-9, atol=1e-4)
    plain = special.logsumexp(x, axis=axis, b=b, keepdims=keepdims)
    np.testing.assert_array_equal(np.isnan(np.asarray(plain)), np.asarray(want_sign) < 0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(case=reduction_case())
def test_softmax_matches_scipy(name, case):
    x, axis = case
    _close(getattr(special, name)(x, axis=axis), REDUCING[name](x, axis=axis), x.dtype)


def test_integer_inputs_compute_in_floating_point():
    assert special.erf(np.arange(3, dtype=np.int64)).dtype == np.float64
    assert special.gammaln(np.arange(1, 4, dtype=np.int32)).dtype == np.float32
    np.testing.assert_allclose(special.xlogy(np.int64(2), np.int64(3)), sc.xlogy(2, 3))


# ---- special values ------------------------------------------------------------------------

SPECIAL_VALUES = [
    (lambda: special.xlogy(0.0, 0.0), 0.0), (lambda: special.xlogy(0.0, -1.0), 0.0),
    (lambda: special.xlogy(0.0, np.nan), np.nan), (lambda: special.xlogy(1.0, 0.0), -np.inf),
    (lambda: special.xlog1py(0.0, -1.0), 0.0), (lambda: special.xlog1py(2.0, -1.0), -np.inf),
    (lambda: special.logit(0.0), -np.inf), (lambda: special.logit(1.0), np.inf),
    (lambda: special.logit(1.5), np.nan), (lambda: special.logit(-0.5), np.nan),
    (lambda: special.expit(-np.inf), 0.0), (lambda: special.expit(np.inf), 1.0),
    (lambda: special.gammaln(0.0), np.inf), (lambda: special.gammaln(-2.0), np.inf),
    (lambda: special.digamma(1.0), -np.euler_gamma), (lambda: special.erf(np.inf), 1.0),
    (lambda: special.erfc(-np.inf), 2.0),
    (lambda: special.logsumexp(np.array([-np.inf, -np.inf])), -np.inf),
    (lambda: special.logsumexp(np.array([np.inf, 1.0])), np.inf),
    (lambda: special.logsumexp(np.array([1000.0, 1000.0])), 1000.0 + np.log(2)),
    (lambda: special.logsumexp(np.array([1.0, 2.0]), b=np.array([0.0, 0.0])), -np.inf),
    (lambda: special.logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -1.0])), np.nan),
    (lambda: special.softmax(np.array([1000.0, 1000.0]))[0], 0.5),
]


@pytest.mark.parametrize("thunk,want", SPECIAL_VALUES)
def test_special_values(thunk, want):
    with np.errstate(all="ignore"):
        got = float(thunk())
    np.testing.assert_allclose(got, want, rtol=1e-6)


# ---- gradients ----------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
GRAD_CASES = {
    "erf": (special.erf, [RNG.uniform(-2, 2, 5)]),
    "erfc": (special.erfc, [RNG.uniform(-2, 2, 5)]),
    "gammaln": (special.gammaln, [RNG.uniform(0.5, 5, 5)]),
    "digamma": (special.digamma, [np.array([0.3, 1.0, 2.5, 7.0, 40.0, -0.5, -2.5])]),
    "expit": (special.expit, [RNG.uniform(-4, 4, 5)]),
    "logit": (special.logit, [RNG.uniform(0.1, 0.9, 5)]),
    "xlogy": (special.xlogy, [RNG.uniform(-2, 2, (2, 3)), RNG.uniform(0.5, 3, 3)]),
    "xlog1py": (special.xlog1py, [RNG.uniform(-2, 2, 3), RNG.uniform(-0.5, 3, (2, 3))]),
    "logsumexp": (lambda x: special.logsumexp(x, axis=1), [RNG.normal(size=(2, 4))]),
    "softmax": (lambda x: special.softmax(x, axis=0), [RNG.normal(size=(3, 2))]),
    "log_softmax": (special.log_softmax, [RNG.normal(size=(2, 3))]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_finite_differences(name):
    f, args = GRAD_CASES[name]
    check_grads(f, args, order=2)


def test_weighted_logsumexp_gradients():
    a, b = RNG.normal(size=(3, 4)), RNG.uniform(0.5, 2, (3, 4))
    check_grads(lambda a, b: special.logsumexp(a, axis=-1, b=b), (a, b), order=2)
    check_grads(lambda a, b: special.logsumexp(a, b=b, return_sign=True)[0],
                (a, b * np.where(RNG.random((3, 4)) < 0.3, -1, 1)), order=1)


def test_digamma_derivative_is_trigamma():
    x = np.array([1e-3, 0.2, 1.0, 5.5, 6.0, 123.0, -0.3, -3.7])
    got = fl.vmap(fl.grad(special.digamma))(x)
    np.testing.assert_allclose(got, sc.polygamma(1, x), rtol=1e-11)


def test_xlogy_derivatives_at_x_zero_have_no_nan():
    """d/dy of xlogy(0, y) is 0 everywhere, y = 0 included (the plain formula: 0/0);
    d/dx at y > 0 is log(y)."""
    dy = fl.grad(special.xlogy, argnums=1)
    assert float(dy(0.0, 0.0)) == 0.0 and float(dy(0.0, 2.0)) == 0.0
    dx, dy_ = fl.grad(special.xlogy, argnums=(0, 1))(0.0, 2.0)
    np.testing.assert_allclose([dx, dy_], [np.log(2.0), 0.0], rtol=1e-6)
    assert float(fl.grad(special.xlog1py, argnums=1)(0.0, -1.0)) == 0.0
    assert float(fl.grad(special.xlogy)(0.0, 0.0)) < -1e38              # ~ -inf
    entropy = fl.grad(lambda p: -fnp.sum(special.xlogy(p, p)))
    np.testing.assert_allclose(entropy(np.array([0.25, 0.75])),
                               -(np.log([0.25, 0.75]) + 1), rtol=1e-12)


# ---- vmap and jit ----------------------------------------------------------------------------

MAPPED = {name: f for name, (f, _) in GRAD_CASES.items()}

# read by tests/test_numpy_surface.py (test_every_name_is_checked holds these tables to
# __all__): values in the UNARY/BINARY/REDUCING tests, then gradients, vmap and jit
COVERAGE = {kind: {"scipy.special." + n for n in names} for kind, names in (
    ("numpy", IMPLEMENTED), ("grad", GRAD_CASES), ("vmap", MAPPED), ("jit", MAPPED))}


@pytest.mark.parametrize("name", sorted(MAPPED))
def test_vmap_matches_loop(name):
    f, args = GRAD_CASES[name]
    batched = [np.stack([a, a * 0.5 + 0.1, a * 0.9]) for a in args]
    got = fl.vmap(f)(*batched)
    want = np.stack([np.asarray(f(*[b[i] for b in batched])) for i in range(3)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(MAPPED))
def test_jit_matches_eager(name):
    f, args = GRAD_CASES[name]
    np.testing.assert_allclose(np.asarray(fl.jit(f)(*args)), np.asarray(f(*args)),
                               rtol=1e-12, atol=1e-14)
    grad_f = fl.grad(lambda *xs: fnp.sum(f(*xs)))
    np.testing.assert_allclose(np.asarray(fl.jit(grad_f)(*args)), np.asarray(grad_f(*args)),
                               rtol=1e-10, atol=1e-12)


def test_jit_keeps_special_values():
    f = fl.jit(lambda x, y: (special.xlogy(x, y), special.logit(y)))
    x, y = np.array([0.0, 0.0, 2.0]), np.array([0.0, 1.0, 0.5])
    with np.errstate(all="ignore"):
        xlogy, logit = f(x, y)
    np.testing.assert_array_equal(np.asarray(xlogy), sc.xlogy(x, y))
    np.testing.assert_array_equal(np.asarray(logit), sc.logit(y))


# ---- errors --------------------------------------------------------------------------------------

def test_bad_input_fails_clearly():
    with pytest.raises(TypeError, match="erf"):
        special.erf(np.array([1 + 1j]))
    with pytest.raises((ValueError, IndexError), match="axis"):
        special.logsumexp(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="broadcast|shape"):
        special.xlogy(np.ones(2), np.ones(3))
