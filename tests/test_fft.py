"""functorch_lite.numpy.fft and the complex parts against NumPy; derivatives (finite
differences, the conjugation convention, transposes), vmap against a loop, jit against
eager, errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp
from functorch_lite.numpy import fft as ffft
from functorch_lite.test_util import check_grads
from primitive_cases import CASES
from transforms.core import bind
from xla_like import primitives as P

ONE_AXIS = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
TWO_AXES = ("fft2", "ifft2", "rfft2", "irfft2")
N_AXES = ("fftn", "ifftn", "rfftn", "irfftn")
TRANSFORMS = ONE_AXIS + TWO_AXES + N_AXES
HELPERS = ("fftfreq", "rfftfreq", "fftshift", "ifftshift")
REAL_INPUT = {"rfft", "rfft2", "rfftn", "ihfft"}
REAL_OUTPUT = ("irfft", "hfft")
COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128,
              np.dtype(np.complex64): np.complex64, np.dtype(np.complex128): np.complex128}
REAL_OF = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}


def test_every_name_is_checked():
    """Each transform has value, gradient, vmap and jit tests through these tables."""
    assert set(ffft.__all__) == set(TRANSFORMS) | set(HELPERS)
    assert set(GRADIENT_CASES) == set(TRANSFORMS)


# ---- values ---------------------------------------------------------------------------------

@st.composite
def signal(draw, name, min_dims=1, min_side=1):
    real = name in REAL_INPUT or draw(st.booleans())
    dtype = draw(st.sampled_from([np.float32, np.float64] if real else
                                 [np.complex64, np.complex128]))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side,
                                  max_side=5))
    parts = [draw(hnp.arrays(np.float64, shape, elements=st.floats(-4, 4))) for _ in "ri"]
    x = parts[0] if real else parts[0] + 1j * parts[1]
    return np.asarray(x, dtype)


def _expected_dtype(name, x):
    dtype = np.dtype(COMPLEX_OF[x.dtype])
    return np.dtype(REAL_OF[dtype]) if name.startswith(REAL_OUTPUT) else dtype


def _check(name, got, want, x):
    got = np.asarray(got)
    assert got.dtype == _expected_dtype(name, x), (got.dtype, x.dtype)
    tol = 1e-4 if got.dtype in (np.float32, np.complex64) else 1e-10
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


NORMS = st.sampled_from([None, "backward", "ortho", "forward"])


@pytest.mark.parametrize("name", ONE_AXIS)
@given(data=st.data(), norm=NORMS)
def test_one_axis_transforms_match_numpy(name, data, norm):
    x = data.draw(signal(name))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = data.draw(st.none() | st.integers(1, 8))        # crops and zero-pads
    if name in REAL_OUTPUT and n is None and x.shape[axis] == 1:
        n = 1                                           # NumPy's default would be 0
    with np.errstate(all="ignore"):
        want = getattr(np.fft, name)(x, n=n, axis=axis, norm=norm)
    _check(name, getattr(ffft, name)(x, n=n, axis=axis, norm=norm), want, x)


@pytest.mark.parametrize("name", TWO_AXES + N_AXES)
@given(data=st.data(), norm=NORMS)
def test_multi_axis_transforms_match_numpy(name, data, norm):
    x = data.draw(signal(name, min_dims=2 if name in TWO_AXES else 1))
    if name in TWO_AXES:
        axes = data.draw(st.permutations(range(x.ndim)))[:2]
    else:
        axes = data.draw(st.none() | st.permutations(range(x.ndim)).flatmap(
            lambda p: st.integers(1, len(p)).map(lambda k: p[:k])))
    k = x.ndim if axes is None else len(axes)
    s = data.draw(st.none() | st.lists(st.integers(1, 6), min_size=k, max_size=k))
    if name.startswith("irfft") and s is None:
        last = axes[-1] if axes is not None else -1
        s = None if x.shape[last] > 1 else [x.shape[a] for a in
                                               (axes if axes is not None else range(x.ndim))]
    kwargs = dict(s=s, norm=norm) if axes is None else dict(s=s, axes=axes, norm=norm)
    want = getattr(np.fft, name)(x, **kwargs)
    _check(name, getattr(ffft, name)(x, **kwargs), want, x)


@given(n=st.integers(1, 9), d=st.sampled_from([1.0, 0.5, 3.0]))
def test_frequencies_and_shifts_match_numpy(n, d):
    np.testing.assert_allclose(ffft.fftfreq(n, d), np.fft.fftfreq(n, d), rtol=1e-6)
    np.testing.assert_allclose(ffft.rfftfreq(n, d), np.fft.rfftfreq(n, d), rtol=1e-6)
    x = np.arange(n * 3.0).reshape(n, 3)
    for axes in (None, 0, (1,), (0, 1)):
        np.testing.assert_array_equal(ffft.fftshift(x, axes), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(ffft.ifftshift(x, axes), np.fft.ifftshift(x, axes))


def test_round_trips_and_integer_inputs():
    x = np.random.default_rng(0).normal(size=(3, 7))
    np.testing.assert_allclose(ffft.irfft(ffft.rfft(x), n=7), x, atol=1e-12)
    np.testing.assert_allclose(ffft.ifftn(ffft.fftn(x)), x, atol=1e-12)
    assert ffft.fft(np.arange(4, dtype=np.int32)).dtype == np.complex64
    assert ffft.fft(np.arange(4, dtype=np.int64)).dtype == np.complex128
    np.testing.assert_allclose(ffft.fft(np.arange(4)), np.fft.fft(np.arange(4)), rtol=1e-6)


# ---- complex parts ----------------------------------------------------------------------------

@given(x=signal("fft"))
def test_complex_parts_match_numpy(x):
    for name in ("real", "imag", "conj", "conjugate", "angle"):
        got = getattr(fnp, name)(x)
        want = getattr(np, name)(x)
        assert np.asarray(got).dtype == want.dtype, name
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=name)
    re, im = np.real(x), np.imag(x)
    np.testing.assert_array_equal(bind(P.complex_p, fnp.asarray(re), fnp.asarray(im)),
                                  re + 1j * im if x.dtype.kind == "c" else re + 0j)


def test_complex_parts_gradients_follow_the_convention():
    """grad(L)(z) = dL/dx - i dL/dy (JAX's convention)."""
    z = np.complex128(3 + 4j)
    assert complex(fl.grad(lambda z: fnp.abs(z) ** 2)(z)) == pytest.approx(6 - 8j, rel=1e-14)
    assert complex(fl.grad(fnp.real)(z)) == 1
    assert complex(fl.grad(fnp.imag)(z)) == -1j
    assert complex(fl.grad(lambda z: fnp.real(fnp.conj(z) * 1j))(z)) == -1j   # = Im z
    assert complex(fl.grad(lambda z: fnp.angle(z))(z)) == pytest.approx((-4 - 3j) / 25)
    # the derivative of |z| at 0 is taken as 0, not NaN
    assert complex(fl.grad(fnp.abs)(np.complex128(0))) == 0
    x, y = 0.5, -2.0
    dx, dy = fl.grad(lambda x, y: fnp.abs(bind(P.complex_p, x, y)), argnums=(0, 1))(
        fnp.asarray(x, dtype=np.float64), fnp.asarray(y, dtype=np.float64))
    np.testing.assert_allclose([dx, dy], np.array([x, y]) / np.hypot(x, y))


# ---- derivatives --------------------------------------------------------------------------------

RNG = np.random.default_rng(1)
H4 = RNG.normal(size=4) + 1j * RNG.normal(size=4)       # filters (complex constants)
H6 = RNG.normal(size=6) + 1j * RNG.normal(size=6)
GRADIENT_CASES = {   # real -> real compositions, float64, with odd and even lengths
    "fft": lambda x: fnp.abs(ffft.fft(x, n=7)),
    "ifft": lambda x: fnp.real(ffft.ifft(ffft.fft(x) * H6, norm="ortho")),
    "rfft": lambda x: ffft.irfft(ffft.rfft(x) * H4, n=6),
    "irfft": lambda x: ffft.irfft(ffft.rfft(x, n=5) * H4[:3], n=5, norm="forward"),
    "fft2": lambda x: fnp.imag(ffft.fft2(fnp.reshape(x, (2, 3)), s=(3, 2))),
    "ifft2": lambda x: fnp.real(ffft.ifft2(fnp.reshape(x, (3, 2)) * 1j) ** 2),
    "rfft2": lambda x: fnp.abs(ffft.rfft2(fnp.reshape(x, (2, 3)))),
    "irfft2": lambda x: ffft.irfft2(ffft.rfft2(fnp.reshape(x, (2, 3))) * H4[:2], s=(2, 3)),
    "fftn": lambda x: fnp.abs(ffft.fftn(fnp.reshape(x, (3, 2)), axes=(0,), norm="ortho")),
    "ifftn": lambda x: fnp.imag(ffft.ifftn(fnp.reshape(x, (2, 3)) + 0.5j, s=(4,))),
    "rfftn": lambda x: fnp.real(ffft.rfftn(fnp.reshape(x, (6,)), s=(9,)) ** 2),
    "irfftn": lambda x: ffft.irfftn(ffft.rfftn(fnp.reshape(x, (3, 2))), s=(3, 2),
                                    norm="ortho"),
    "hfft": lambda x: ffft.hfft(ffft.rfft(x) * H4, n=7, norm="ortho"),
    "ihfft": lambda x: fnp.imag(ffft.ihfft(x, n=5) ** 2),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
    check_grads(GRADIENT_CASES[name], (RNG.normal(size=6),), order=2)


@pytest.mark.slow
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
@pytest.mark.parametrize("n", range(1, 11))
def test_gradients_sweep_lengths_and_norms(n, norm):
    h = RNG.normal(size=n // 2 + 1) + 1j * RNG.normal(size=n // 2 + 1)
    g = RNG.normal(size=n) + 1j * RNG.normal(size=n)
    x = RNG.normal(size=(2, n))
    check_grads(lambda x: ffft.irfft(ffft.rfft(x, norm=norm) * h, n=n, norm=norm), (x,), 2)
    check_grads(lambda x: fnp.abs(ffft.ifft(ffft.fft(x, norm=norm) * g, norm=norm)), (x,), 2)
    check_grads(lambda x: fnp.real(ffft.rfftn(x, s=(3, n + 1), norm=norm)), (x,), 2)


def test_grad_of_power_spectrum_is_parseval():
    """sum |fft(x)|² = n sum |x|², so the gradient is 2 n x (2 n conj(z) for complex z)."""
    x = RNG.normal(size=8)
    f = lambda x: fnp.sum(fnp.abs(ffft.fft(x)) ** 2)
    np.testing.assert_allclose(fl.grad(f)(x), 16 * x, rtol=1e-12)
    z = x + 1j * RNG.normal(size=8)
    np.testing.assert_allclose(fl.grad(f)(z), 16 * np.conj(z), rtol=1e-12)
    z32 = z.astype(np.complex64)
    g = fl.grad(f)(z32)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 16 * np.conj(z32), rtol=1e-5)


@pytest.mark.parametrize("fft_type", ["FFT", "IFFT", "RFFT", "IRFFT"])
@pytest.mark.parametrize("lengths", [(5,), (4,), (3, 4), (2, 3, 5)])
def test_transposes_are_bilinear_adjoints(fft_type, lengths):
    """vjp(f)(ct) is the transpose of f for the pairing Re(sum(a * b)):
    Re<ct, f(v)> = Re<vjp(ct), v> (no conjugation, as mul's transpose)."""
    real_in, half = fft_type == "RFFT", lengths[:-1] + (lengths[-1] // 2 + 1,)
    in_shape = (2,) + (half if fft_type == "IRFFT" else lengths)

    def draw(shape, real):
        return RNG.normal(size=shape) + (0 if real else 1j * RNG.normal(size=shape))

    f = lambda x: bind(P.fft_p, fnp.asarray(x), fft_type=fft_type, fft_lengths=lengths)
    v = draw(in_shape, real_in)
    if fft_type == "IRFFT":          # a Hermitian-consistent input: ignored parts are zero
        v = np.fft.rfftn(np.fft.irfftn(v, s=lengths), s=lengths)
    out, f_vjp = fl.vjp(f, v)
    ct = draw(out.shape, fft_type == "IRFFT")
    (ct_in,) = f_vjp(ct)
    lhs = np.sum(np.real(ct * np.asarray(f(v))))
    rhs = np.sum(np.real(np.asarray(ct_in) * v))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


# ---- vmap and jit --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", TRANSFORMS)
@given(data=st.data())
def test_vmap_matches_loop(name, data):
    x = data.draw(signal(name, min_dims=3, min_side=2))     # irfft's default n >= 2
    in_axis = data.draw(st.integers(0, 2))
    norm = data.draw(NORMS)
    f = lambda x: getattr(ffft, name)(x, norm=norm)
    with np.errstate(all="ignore"):
        got = fl.vmap(f, in_axes=in_axis)(x)
        want = np.stack([np.asarray(f(np.take(x, i, axis=in_axis)))
                         for i in range(x.shape[in_axis])])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", TRANSFORMS)
@given(data=st.data())
def test_jit_matches_eager(name, data):
    x = data.draw(signal(name, min_dims=2))
    s = tuple(data.draw(st.integers(2, 6)) for _ in range(2 if name not in ONE_AXIS else 1))
    kwargs = {"n": s[0]} if name in ONE_AXIS else {"s": s}
    f = lambda x: getattr(ffft, name)(x, **kwargs)
    got, want = fl.jit(f)(x), f(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-6)


NEW_PRIMITIVES = [P.fft_p, P.real_p, P.imag_p, P.conj_p, P.complex_p]


@pytest.mark.parametrize("prim", NEW_PRIMITIVES, ids=lambda p: p.name)
@given(data=st.data())
def test_primitives_vmap_and_jit_against_reference(prim, data):
    """Each operand mapped along a random axis (or not), against a loop of the impl;
    and the compiled program against the reference impl."""
    args, params = data.draw(CASES[prim])
    size = data.draw(st.integers(1, 3))
    axes = [data.draw(st.sampled_from([None, 0, np.ndim(a)])) for a in args]
    axes[0] = 0 if all(a is None for a in axes) else axes[0]
    xs = [a if ax is None else np.stack([a * (i + 1) for i in range(size)], axis=ax)
          for a, ax in zip(args, axes)]
    f = lambda *xs: bind(prim, *[fnp.asarray(x) for x in xs], **params)
    got = fl.vmap(f, in_axes=tuple(axes))(*xs)
    want = [prim.impl(*[x if ax is None else np.take(x, i, axis=ax)
                        for x, ax in zip(xs, axes)], **params) for i in range(size)]
    np.testing.assert_allclose(np.asarray(got), np.stack(want), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(fl.jit(f)(*args)), prim.impl(*args, **params),
                               rtol=1e-6, atol=1e-6)


def test_jit_of_grad_and_vmap_of_grad():
    x = RNG.normal(size=(3, 6))
    f = lambda x: fnp.sum(fnp.abs(ffft.rfft(x)) ** 2)
    grad_f = fl.grad(f)
    np.testing.assert_allclose(fl.jit(grad_f)(x), grad_f(x), rtol=1e-12)
    np.testing.assert_allclose(fl.vmap(grad_f)(x), np.stack([grad_f(r) for r in x]),
                               rtol=1e-12)
    program = fl.make_ir(grad_f)(x)
    assert sum(e.prim is P.fft_p for e in program.eqns) == 2      # forward + transpose


# ---- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("thunk,error,message", [
    (lambda: ffft.rfft(np.ones(4, np.complex64)), TypeError, "real input"),
    (lambda: ffft.fft(np.ones(4), norm="unitary"), ValueError, "norm"),
    (lambda: ffft.fft(np.ones(4), n=0), ValueError, "data points"),
    (lambda: ffft.fftn(np.ones((2, 2)), axes=(0, 0)), ValueError, "repeated"),
    (lambda: ffft.fftn(np.ones((2, 2)), s=(2,), axes=(0, 1)), ValueError, "same length"),
    (lambda: ffft.fft(np.ones(4), axis=1), Exception, "axis 1"),
    (lambda: ffft.irfft(np.ones(1)), ValueError, "data points"),
    (lambda: bind(P.fft_p, fnp.ones(4), fft_type="FFT", fft_lengths=(4,)), TypeError,
     "complex64 or complex128"),
    (lambda: bind(P.fft_p, fnp.ones(4, dtype=np.complex64), fft_type="DCT",
                  fft_lengths=(4,)), ValueError, "fft_type"),
    (lambda: bind(P.fft_p, fnp.ones(4, dtype=np.complex64), fft_type="IRFFT",
                  fft_lengths=(4,)), ValueError, r"trailing dimensions \(3,\)"),
    (lambda: bind(P.real_p, fnp.ones(3)), TypeError, "real: operand must be complex"),
])
def test_errors_name_the_problem(thunk, error, message):
    with pytest.raises(error, match=message):
        thunk()
