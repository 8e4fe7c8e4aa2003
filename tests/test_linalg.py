"""functorch_lite.numpy.linalg and functorch_lite.scipy.linalg: values against NumPy/SciPy
on random well-conditioned stacks of matrices, gradients against finite differences,
vmap against a Python loop, jit against eager, and error messages."""
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp
import functorch_lite.numpy.linalg as fla
import functorch_lite.scipy.linalg as fsl
from functorch_lite.test_util import check_grads
from transforms.core import bind
from xla_like import primitives as P

TOL = {np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-9}


def arrays(dtype, shape, lo=-1, hi=1):
    """Random arrays without subnormals (whose reciprocals overflow: ``lstsq`` and
    ``pinv`` count them as zero singular values, where LAPACK may not)."""
    dtype = np.dtype(dtype)
    return hnp.arrays(dtype, shape, elements=st.floats(lo, hi, width=8 * dtype.itemsize,
                                                       allow_subnormal=False))


# ---- inputs: stacks of matrices of a given kind ------------------------------------------

def make(kind, raw):
    """A valid input of ``kind`` from a raw random stack ``raw`` (entries in [-1, 1])."""
    n = raw.shape[-1]
    eye = np.eye(n, dtype=raw.dtype)
    t = np.swapaxes(raw, -1, -2)
    if kind == "square":                      # diagonally weighted: well conditioned
        return raw + 2 * n * eye * np.sign(np.diagonal(raw, 0, -2, -1)[..., None] + 0.5)
    if kind == "spd":
        return raw @ t + n * eye
    if kind == "sym":                          # distinct, well separated eigenvalues
        return (raw + t) / 4 + np.diag(np.arange(n, dtype=raw.dtype) * 2.0)
    if kind == "lower":
        return np.tril(raw) + 3 * eye
    return raw


@st.composite
def stacks(draw, kind, dtypes=(np.float32, np.float64), rect=False, batch_rank=(0, 2)):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    batch = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(*batch_rank))))
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 4)) if rect else n
    return make(kind, draw(arrays(dtype, batch + (m, n), -1, 1)))


def close(got, want, dtype=None):
    want = np.asarray(want)
    tol = TOL[np.dtype(dtype or want.dtype)]
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=tol * scale)


def rhs_for(a, data, vector=False):
    shape = a.shape[:-1] if vector else a.shape[:-1] + (data.draw(st.integers(1, 3)),)
    return data.draw(arrays(a.dtype, shape, -1, 1))


# ---- values against NumPy / SciPy --------------------------------------------------------

SIMPLE = {          # name: (ours, NumPy's, input kind, rectangular?)
    "inv": (fla.inv, np.linalg.inv, "square", False),
    "det": (fla.det, np.linalg.det, "square", False),
    "slogdet": (fla.slogdet, np.linalg.slogdet, "square", False),
    "cholesky": (fla.cholesky, np.linalg.cholesky, "spd", False),
    "cholesky_upper": (lambda a: fla.cholesky(a, upper=True),
                       lambda a: np.linalg.cholesky(a, upper=True), "spd", False),
    "eigvalsh": (fla.eigvalsh, np.linalg.eigvalsh, "sym", False),
    "eigvalsh_U": (lambda a: fla.eigvalsh(a, "U"), lambda a: np.linalg.eigvalsh(a, "U"),
                   "square", False),
    "svdvals": (fla.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), "raw", True),
    "pinv": (fla.pinv, np.linalg.pinv, "raw", True),
    "matrix_power_3": (lambda a: fla.matrix_power(a, 3),
                       lambda a: np.linalg.matrix_power(a, 3), "raw", False),
    "matrix_power_-2": (lambda a: fla.matrix_power(a, -2),
                        lambda a: np.linalg.matrix_power(a, -2), "square", False),
    "matrix_power_0": (lambda a: fla.matrix_power(a, 0),
                       lambda a: np.linalg.matrix_power(a, 0), "raw", False),
    "matrix_rank": (fla.matrix_rank, np.linalg.matrix_rank, "raw", True),
}


@pytest.mark.parametrize("name", sorted(SIMPLE))
@given(data=st.data())
def test_matches_numpy(name, data):
    ours, theirs, kind, rect = SIMPLE[name]
    a = data.draw(stacks(kind, rect=rect))
    got, want = ours(a), theirs(a)
    for g, w in zip(*(fl.tree.flatten(x)[0] if isinstance(x, tuple) else [x]
                      for x in (got, want))):
        if np.asarray(w).dtype.kind in "iu":
            np.testing.assert_array_equal(np.asarray(g), w)
        else:
            assert np.asarray(g).dtype == a.dtype
            close(g, w, a.dtype)


def _check_orthonormal_columns(q, dtype):
    q = np.asarray(q)
    eye = np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2)
    close(np.swapaxes(q, -1, -2) @ q, eye, dtype)


@given(stacks("raw", rect=True), st.sampled_from(["reduced", "complete", "r"]))
def test_qr_reconstructs(a, mode):
    out = fla.qr(a, mode)
    want = np.linalg.qr(a, mode)
    if mode == "r":
        close(np.abs(out), np.abs(want), a.dtype)
        return
    q, r = (np.asarray(x) for x in out)
    assert q.shape == want.Q.shape and r.shape == want.R.shape
    close(q @ r, a)
    _check_orthonormal_columns(q, a.dtype)
    np.testing.assert_array_equal(np.tril(r, -1), 0)


@given(stacks("sym"), st.sampled_from(["L", "U"]))
def test_eigh_decomposes(a, uplo):
    w, v = (np.asarray(x) for x in fla.eigh(a, uplo))
    close(w, np.linalg.eigvalsh(a, uplo), a.dtype)
    close((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), a)
    _check_orthonormal_columns(v, a.dtype)


@given(stacks("raw", rect=True), st.booleans())
def test_svd_decomposes(a, full):
    u, s, vt = (np.asarray(x) for x in fla.svd(a, full_matrices=full))
    want = np.linalg.svd(a, full_matrices=full)
    assert (u.shape, s.shape, vt.shape) == (want.U.shape, want.S.shape, want.Vh.shape)
    close(s, want.S, a.dtype)
    k = s.shape[-1]
    close((u[..., :k] * s[..., None, :]) @ vt[..., :k, :], a)
    _check_orthonormal_columns(u, a.dtype)
    _check_orthonormal_columns(np.swapaxes(vt, -1, -2), a.dtype)


@given(data=st.data())
def test_solve_broadcasts_like_numpy(data):
    a = data.draw(stacks("square"))
    vector = data.draw(st.booleans())
    b = rhs_for(a, data, vector)
    if vector:
        b = b.reshape(-1)[:a.shape[-1]] if a.ndim > 2 else b
    close(fla.solve(a, b), np.linalg.solve(a, b), a.dtype)
    close(fla.solve(a[..., :1, :, :] if a.ndim > 2 else a, b),
          np.linalg.solve(a[..., :1, :, :] if a.ndim > 2 else a, b), a.dtype)


@given(data=st.data(), trans=st.sampled_from([0, 1, 2, "N", "T"]), lower=st.booleans(),
       unit=st.booleans())
def test_solve_triangular_matches_scipy(data, trans, lower, unit):
    a = data.draw(stacks("lower", batch_rank=(0, 0)))
    a = a if lower else a.T.copy()
    b = rhs_for(a, data, vector=data.draw(st.booleans()))
    want = scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    close(fsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit), want,
          a.dtype)


@given(data=st.data(), lower=st.booleans())
def test_cho_solve_matches_scipy(data, lower):
    a = data.draw(stacks("spd", batch_rank=(0, 0)))
    b = rhs_for(a, data, vector=data.draw(st.booleans()))
    c = scipy.linalg.cholesky(a, lower=lower)
    want = scipy.linalg.cho_solve((c, lower), b)
    close(fsl.cho_solve((c, lower), b), want, a.dtype)
    close(fsl.cho_solve((fsl.cholesky(a, lower=lower), lower), b), want, a.dtype)


VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@given(x=stacks("raw", rect=True, batch_rank=(0, 1)), keepdims=st.booleans(),
       data=st.data())
def test_norm_matches_numpy(x, keepdims, data):
    axis = data.draw(st.sampled_from([None, -1, 0, (-2, -1), (-1, -2)]))
    ords = MATRIX_ORDS if isinstance(axis, tuple) else VECTOR_ORDS
    if axis is None:
        ords = [None] + (MATRIX_ORDS if x.ndim == 2 else [])
    ord = data.draw(st.sampled_from(ords))
    want = np.linalg.norm(x, ord, axis, keepdims)
    got = fla.norm(x, ord, axis, keepdims)
    assert np.shape(got) == np.shape(want)
    close(got, want, x.dtype)


@given(stacks("raw", rect=True, batch_rank=(0, 0)), st.booleans(), st.data())
def test_lstsq_matches_numpy(a, vector, data):
    b = data.draw(arrays(a.dtype, a.shape[:1] + (() if vector else (2,)), -1, 1))
    x, resid, rank, s = fla.lstsq(a, b)
    want = np.linalg.lstsq(a, b)
    close(x, want[0], a.dtype)
    assert int(rank) == want[2]
    close(s, want[3], a.dtype)
    m, n = a.shape
    assert np.shape(resid) == ((1 if vector else 2,) if m > n else (0,))
    if want[1].size:
        close(resid, want[1], a.dtype)


def test_rank_deficient_inputs():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    assert int(fla.matrix_rank(a)) == 2 == np.linalg.matrix_rank(a)
    close(fla.pinv(a), np.linalg.pinv(a))
    close(fla.det(a), 0.0, np.float64)
    sign, logdet = fla.slogdet(np.zeros((2, 2)))
    assert float(sign) == 0 and float(logdet) == -np.inf
    assert int(fla.matrix_rank(np.zeros(3))) == 0 and int(fla.matrix_rank(np.ones(3))) == 1
    x, resid, rank, _ = fla.lstsq(a, np.ones(3))
    close(x, np.linalg.lstsq(a, np.ones(3))[0])
    assert int(rank) == 2


def test_cholesky_of_an_indefinite_matrix_is_nan():
    a = np.stack([np.eye(2), -np.eye(2)])
    out = np.asarray(fla.cholesky(a))
    np.testing.assert_array_equal(out[0], np.eye(2))
    assert np.isnan(out[1]).all()


def test_integer_inputs_compute_in_float64():
    a = np.array([[2, 1], [1, 3]])
    assert fla.det(a).dtype == np.float64
    close(fla.inv(a), np.linalg.inv(a))


# ---- gradients (float64, first order, both modes) ------------------------------------------

GRADS = {          # name: (function, input kinds)
    "inv": (fla.inv, ("square",)),
    "solve": (fla.solve, ("square", "rhs")),
    "det": (fla.det, ("square",)),
    "slogdet": (lambda a: fla.slogdet(a).logabsdet, ("square",)),
    "cholesky": (fla.cholesky, ("spd",)),
    "qr": (lambda a: tuple(fla.qr(a)), ("tall",)),
    "qr_wide": (lambda a: tuple(fla.qr(a)), ("wide",)),
    "qr_complete_square": (lambda a: tuple(fla.qr(a, "complete")), ("square",)),
    "eigh": (lambda a: tuple(fla.eigh(a)), ("sym",)),
    "eigh_U": (lambda a: tuple(fla.eigh(a, "U")), ("sym",)),
    "eigvalsh": (fla.eigvalsh, ("sym",)),
    "svd_tall": (lambda a: tuple(fla.svd(a, full_matrices=False)), ("tall",)),
    "svd_wide": (lambda a: tuple(fla.svd(a, full_matrices=False)), ("wide",)),
    "svd_square_full": (lambda a: tuple(fla.svd(a)), ("square",)),
    "svdvals": (fla.svdvals, ("wide",)),
    "pinv": (fla.pinv, ("tall",)),
    "lstsq": (lambda a, b: fla.lstsq(a[0], b[0])[:2], ("tall", "tall")),
    "matrix_power": (lambda a: fla.matrix_power(a, -3), ("square",)),
    "norm_fro": (lambda x: fla.norm(x, axis=(-2, -1)), ("tall",)),
    "norm_nuc": (lambda x: fla.norm(x, "nuc", axis=(-2, -1)), ("tall",)),
    "norm_2": (lambda x: fla.norm(x, 2, axis=(-2, -1)), ("wide",)),
    "norm_inf": (lambda x: fla.norm(x, np.inf, axis=(-2, -1)), ("tall",)),
    "norm_vector_3": (lambda x: fla.norm(x, 3, axis=-1), ("tall",)),
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, lower=True, trans=1),
                         ("lower", "rhs")),
    "solve_triangular_unit": (lambda a, b: fsl.solve_triangular(a, b, unit_diagonal=True),
                              ("upper", "rhs")),
    "cho_solve": (lambda a, b: fsl.cho_solve((fsl.cholesky(a), False), b), ("spd", "rhs")),
    "lu": (lambda a: bind(P.lu_p, fnp.asarray(a))[0], ("square",)),
}


def grad_input(kind, rng):
    shapes = {"tall": (2, 4, 3), "wide": (2, 3, 4), "rhs": (2, 3, 2)}
    raw = rng.uniform(-1, 1, shapes.get(kind, (2, 3, 3)))
    if kind == "upper":
        return np.swapaxes(make("lower", raw), -1, -2).copy()
    if kind in ("tall", "wide", "rhs"):
        return raw + np.eye(*raw.shape[-2:])      # singular values apart from 0
    return make(kind, raw)


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_match_finite_differences(name):
    fun, kinds = GRADS[name]
    rng = np.random.default_rng(sorted(GRADS).index(name))
    args = tuple(grad_input(k, rng) for k in kinds)
    check_grads(fun, args, order=1, modes=("fwd", "rev"))


def test_eigh_and_cholesky_gradients_read_one_triangle():
    """Along a non-symmetric direction the derivative is that of what is computed."""
    a = make("sym", np.random.default_rng(3).uniform(-1, 1, (3, 3)))
    check_grads(lambda a: tuple(fla.eigh(a, "L")), (a + np.triu(np.ones((3, 3)), 1),))
    check_grads(fla.cholesky, (make("spd", a) + np.triu(np.ones((3, 3)), 1),))


def test_second_order_through_det():
    a = make("square", np.random.default_rng(4).uniform(-1, 1, (3, 3)))
    check_grads(fla.det, (a,), order=2, modes=("rev",))


def test_grad_of_logdet_is_inverse_transpose():
    a = make("spd", np.random.default_rng(5).uniform(-1, 1, (3, 3)))
    g = fl.jit(fl.grad(lambda a: fla.slogdet(a).logabsdet))(a)
    close(g, np.linalg.inv(a).T)


def test_undefined_derivatives_raise_clearly():
    tall = np.ones((4, 2)) + np.eye(4, 2)
    with pytest.raises(NotImplementedError, match="qr with full_matrices=True and m > n"):
        fl.jacfwd(lambda a: fla.qr(a, "complete").Q)(tall)
    with pytest.raises(NotImplementedError, match="svd with full_matrices=True"):
        fl.grad(lambda a: fla.svd(a).U.sum())(tall)


# ---- vmap against a loop, jit against eager -------------------------------------------------

MAPPED = {          # name: (function of one stack-of-matrices argument and a rhs, kind)
    "solve": (fla.solve, "square"), "inv": (lambda a, b: fla.inv(a), "square"),
    "det": (lambda a, b: fla.det(a), "square"),
    "slogdet": (lambda a, b: tuple(fla.slogdet(a)), "square"),
    "cholesky": (lambda a, b: fla.cholesky(a), "spd"),
    "qr": (lambda a, b: tuple(fla.qr(a)), "raw"),
    "eigh": (lambda a, b: tuple(fla.eigh(a)), "sym"),
    "svd": (lambda a, b: tuple(fla.svd(a)), "raw"),
    "pinv": (lambda a, b: fla.pinv(a), "raw"),
    "norm": (lambda a, b: fla.norm(a, "nuc", axis=(-2, -1)), "raw"),
    "matrix_rank": (lambda a, b: fla.matrix_rank(a), "raw"),
    "matrix_power": (lambda a, b: fla.matrix_power(a, 5), "raw"),
    "lstsq": (lambda a, b: fla.lstsq(a, b), "raw"),
    "solve_triangular": (lambda a, b: fsl.solve_triangular(a, b, lower=True), "lower"),
    "cho_solve": (lambda a, b: fsl.cho_solve((fla.cholesky(a), True), b), "spd"),
    "lu": (lambda a, b: tuple(bind(P.lu_p, fnp.asarray(a))), "square"),
}


def _flat(x):
    return [np.asarray(v) for v in fl.tree.flatten(x)[0]]


def _assert_all_close(got, want, dtype):
    for g, w in zip(_flat(got), _flat(want), strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        if w.dtype.kind in "iu":
            np.testing.assert_array_equal(g, w)
        else:
            close(g, w, dtype)


@pytest.mark.parametrize("name", sorted(MAPPED))
@settings(max_examples=10)
@given(data=st.data())
def test_vmap_matches_loop(name, data):
    fun, kind = MAPPED[name]
    dtype = np.dtype(data.draw(st.sampled_from([np.float32, np.float64])))
    size, n = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    a = make(kind, data.draw(arrays(dtype, (size, n, n), -1, 1)))
    b = data.draw(arrays(dtype, (size, n, 2), -1, 1))
    b_axis = data.draw(st.sampled_from([0, 2, None]))
    b_in = np.moveaxis(b, 0, b_axis) if b_axis is not None else b[0]
    got = fl.vmap(fun, in_axes=(0, b_axis))(a, b_in)
    outs = [_flat(fun(a[i], b[i] if b_axis is not None else b[0])) for i in range(size)]
    want = [np.stack(col) for col in zip(*outs)]
    _assert_all_close(_flat(got), want, dtype)


@pytest.mark.parametrize("name", sorted(MAPPED))
@settings(max_examples=5)
@given(data=st.data())
def test_jit_matches_eager(name, data):
    fun, kind = MAPPED[name]
    dtype = np.dtype(data.draw(st.sampled_from([np.float32, np.float64])))
    n = data.draw(st.integers(1, 3))
    a = make(kind, data.draw(arrays(dtype, (2, n, n), -1, 1)))
    b = data.draw(arrays(dtype, (2, n, 2), -1, 1))
    if name == "lstsq":
        a, b = a[0], b[0]
    _assert_all_close(fl.jit(fun)(a, b), fun(a, b), dtype)


@given(data=st.data())
def test_primitives_batch_with_unbatched_operands(data):
    """triangular_solve with either operand unbatched, at any batch axis."""
    a = make("lower", data.draw(arrays(np.dtype(np.float64), (3, 3, 3), -1, 1)))
    b = data.draw(arrays(np.dtype(np.float64), (3, 3, 2), -1, 1))
    a_axis, b_axis = data.draw(st.sampled_from([(0, None), (None, 1), (2, 0), (1, 2)]))
    a_in = a[0] if a_axis is None else np.moveaxis(a, 0, a_axis)
    b_in = b[0] if b_axis is None else np.moveaxis(b, 0, b_axis)

    def solve(a, b):
        return bind(P.triangular_solve_p, fnp.asarray(a), fnp.asarray(b), lower=True,
                    transpose_a=False, unit_diagonal=False)
    got = fl.vmap(solve, in_axes=(a_axis, b_axis))(a_in, b_in)
    want = [solve(a[0] if a_axis is None else a[i], b[0] if b_axis is None else b[i])
            for i in range(3)]
    close(got, np.stack([np.asarray(w) for w in want]))


def test_grad_under_vmap_and_jit():
    a = make("spd", np.random.default_rng(6).uniform(-1, 1, (4, 3, 3)))
    g = fl.jit(fl.vmap(fl.grad(lambda a: fla.eigvalsh(a)[-1])))(a)
    for i in range(4):
        w, v = np.linalg.eigh(a[i])
        close(g[i], np.tril(2 * np.outer(v[:, -1], v[:, -1])) - np.diag(v[:, -1] ** 2))


def test_decompositions_stay_single_equations_in_the_ir():
    program = fl.make_ir(lambda a, b: fla.solve(a, b))(np.eye(3), np.ones(3))
    names = [e.prim.name for e in program.eqns]
    assert names.count("lu") == 1 and names.count("triangular_solve") == 2


# ---- errors ---------------------------------------------------------------------------------

ERRORS = [
    (lambda: fla.inv(np.ones((2, 3))), ValueError, r"inv: a must be square.*\(2, 3\)"),
    (lambda: fla.det(np.ones(3)), ValueError, r"det: a must have at least 2 dimensions"),
    (lambda: fla.solve(np.eye(3), np.ones(4)), ValueError, r"solve: b .* needs 3 rows"),
    (lambda: fla.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1))), ValueError, "broadcast"),
    (lambda: fla.cholesky(np.ones((2, 2), np.complex64)), TypeError, "complex"),
    (lambda: fla.qr(np.ones((2, 2)), "full"), ValueError, "qr: mode must be"),
    (lambda: fla.eigh(np.eye(2), "X"), ValueError, "UPLO must be 'L' or 'U'"),
    (lambda: fla.norm(np.ones((2, 2)), "nuc", axis=0), ValueError, "invalid norm order"),
    (lambda: fla.norm(np.ones((2, 2)), 3, axis=(0, 1)), ValueError, "invalid norm order"),
    (lambda: fla.norm(np.ones((2, 2, 2)), 1), ValueError, "1-d or 2-d input"),
    (lambda: fla.matrix_power(np.eye(2), 1.5), TypeError, "exponent must be an integer"),
    (lambda: fla.lstsq(np.ones((2, 3, 3)), np.ones(3)), ValueError, "lstsq: a must be 2-d"),
    (lambda: fsl.solve_triangular(np.eye(2), np.ones(2), trans=3), ValueError, "trans"),
    (lambda: fsl.cho_solve(np.eye(2), np.ones(2)), TypeError, r"pair \(c, lower\)"),
    (lambda: bind(P.cholesky_p, fnp.ones((2, 2), dtype=np.int32)), TypeError,
     r"cholesky: operand must be float32 or float64, got i32\[2,2\]"),
    (lambda: bind(P.triangular_solve_p, fnp.ones((2, 3, 3)), fnp.ones((4, 3, 1)),
                  lower=True, transpose_a=False, unit_diagonal=False), ValueError,
     r"triangular_solve: a f32\[2,3,3\] and b f32\[4,3,1\] must have the same batch"),
    (lambda: bind(P.svd_p, fnp.ones(3), full_matrices=False, compute_uv=True), ValueError,
     r"svd: operand must be a matrix"),
]


@pytest.mark.parametrize("thunk,error,message", ERRORS, ids=range(len(ERRORS)))
def test_errors_name_the_function_and_shapes(thunk, error, message):
    with pytest.raises(error, match=message):
        thunk()


def test_vmap_errors_name_the_per_example_shapes():
    with pytest.raises(ValueError, match=r"lu: operand must be square .*f32\[2,3\]"):
        fl.vmap(lambda a: bind(P.lu_p, a))(np.ones((4, 2, 3), np.float32))


def test_namespaces():
    assert fnp.linalg is fla and fl.scipy.linalg is fsl
    assert isinstance(fla.qr(np.eye(2)), fla.QRResult)


# ---- slow sweeps ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GRADS))
@settings(max_examples=10)
@given(seed=st.integers(0, 2**16))
def test_gradients_sweep(name, seed):
    fun, kinds = GRADS[name]
    rng = np.random.default_rng(seed)
    check_grads(fun, tuple(grad_input(k, rng) for k in kinds), order=1, modes=("fwd", "rev"))
