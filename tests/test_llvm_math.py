"""Accuracy of the LLVM backend's math (xla_like/backends/llvm: mathlib.py, widemath.py,
rules.py) for every floating-point function of the primitive catalogue, float32 and
float64: dense grids plus random bit patterns plus special values (inf, -inf, NaN,
+-0, denormals, the largest float) against float64 NumPy/SciPy.

float32 results are measured against the exact value (computed in float64) in ulps
of float32; float64 results against NumPy's own float64 result.  Every float32 bound
keeps the relative error of normal results <= 5e-7.  The measured maxima are listed
in rules.py's docstring.
"""
import re

import mpmath
import numpy as np
import pytest
import scipy.special as sc

from xla_like import primitives as P
from xla_like.backends.llvm import compile_kernel
from xla_like.ir import Eqn, Program, Var, aval_of_value

F32, F64 = np.dtype("float32"), np.dtype("float64")


def one_equation(prim, args, params=None):
    params = params or {}
    invars = [Var(aval_of_value(np.asarray(a))) for a in args]
    out = Var(prim.abstract_eval(*[v.aval for v in invars], **params))
    return Program(invars, [], [], [Eqn(prim, invars, [out], params)], [out])


def _logistic64(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _rsqrt64(x):
    return 1 / np.sqrt(x)


def _erfc64(x):
    """erfc from mpmath: SciPy's float64 erfc is off by up to ~120 ulp (9 ulp at
    0.87275, 119 at 11.3463), while glibc's, which the kernel calls, matches mpmath."""
    out = sc.erfc(x)
    body = (x > -6) & (x < 28)        # erfc is 2 below -6 and rounds to 0 from 28
    out[body] = [float(mpmath.erfc(mpmath.mpf(float(v)))) for v in x[body]]
    return out


def _lgamma64(x):
    """SciPy's gammaln, except for float64 denormals, where it returns inf instead of
    -log(abs(x)) (lgamma's value there to double precision, as glibc computes it)."""
    out = sc.gammaln(x)
    tiny = (x != 0) & (np.abs(x) < np.finfo(np.float64).tiny)
    out[tiny] = -np.log(np.abs(x[tiny]))
    return out


def _digamma64(x):
    """digamma from mpmath: SciPy's psi is off by up to ~4000 ulp next to the poles
    (e.g. at -7.9999), where the kernel's exact reduction is within 1 ulp."""
    out = sc.psi(x)
    regular = np.isfinite(out)
    out[regular] = [float(mpmath.digamma(mpmath.mpf(float(v)))) for v in x[regular]]
    return out


# prim: (float64 reference, dense grid range, max ulp float32, max ulp float64 vs NumPy).
# float64 bounds compare two libraries (glibc here; NumPy's own AVX-512 code or SciPy's
# Cephes there), each with errors of its own: up to 4 ulp for NumPy's SVML paths.
UNARY = {
    P.exp_p: (np.exp, (-110, 90), 1.0, 1.0),
    P.exp2_p: (np.exp2, (-155, 130), 1.0, 1.0),
    P.expm1_p: (np.expm1, (-20, 90), 1.5, 2.0),
    P.log_p: (np.log, (0, 100), 1.0, 1.0),
    P.log1p_p: (np.log1p, (-1, 10), 1.0, 1.0),
    P.tanh_p: (np.tanh, (-12, 12), 3.0, 3.0),
    P.logistic_p: (_logistic64, (-110, 110), 3.0, 2.0),
    P.sin_p: (np.sin, (-20, 20), 0.51, 1.0),
    P.cos_p: (np.cos, (-20, 20), 0.51, 1.0),
    P.erf_p: (sc.erf, (-5, 5), 0.51, 4.0),
    P.sqrt_p: (np.sqrt, (0, 100), 0.5, 0.0),
    P.rsqrt_p: (_rsqrt64, (0, 100), 1.0, 1.0),
    P.tan_p: (np.tan, (-10, 10), 1.0, 1.0),
    P.asin_p: (np.arcsin, (-1, 1), 1.0, 1.0),
    P.acos_p: (np.arccos, (-1, 1), 1.0, 1.0),
    P.atan_p: (np.arctan, (-50, 50), 1.0, 1.0),
    P.sinh_p: (np.sinh, (-90, 90), 1.0, 4.0),
    P.cosh_p: (np.cosh, (-90, 90), 1.0, 4.0),
    P.asinh_p: (np.arcsinh, (-50, 50), 1.0, 2.0),
    P.acosh_p: (np.arccosh, (1, 50), 1.0, 2.0),
    P.atanh_p: (np.arctanh, (-1, 1), 1.0, 2.0),
    P.cbrt_p: (np.cbrt, (-50, 50), 1.0, 4.0),
    P.erfc_p: (_erfc64, (-5, 12), 1.0, 4.0),
    P.lgamma_p: (_lgamma64, (-20, 30), 1.0, 4.0),
    P.digamma_p: (_digamma64, (-10, 30), 1.0, 4.0),
    P.erf_inv_p: (sc.erfinv, (-1, 1), 1.0, 4.0),
}
SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, 88.72, 89.0, -87.3,
            -104.0, -150.0, 709.78, 709.79, -745.2, 3.4e38, -3.4e38]


def _grid(dtype, lo, hi, count, seed=0):
    rng = np.random.default_rng(seed)
    uint = np.dtype(f"u{dtype.itemsize}")
    random_bits = rng.integers(0, np.iinfo(uint).max, count, dtype=uint, endpoint=True)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    with np.errstate(over="ignore"):
        return np.concatenate([
            np.linspace(lo, hi, count, dtype=dtype), random_bits.view(dtype),
            np.linspace(-1, 1, count // 8, dtype=dtype),
            np.geomspace(tiny, 1e-3, count // 8).astype(dtype), np.array(SPECIALS, dtype)])


def ulp_error(got, ref, dtype):
    """abs(got - ref) in ulps of ``dtype`` at ``ref`` (ulps of the smallest normal below
    it, so denormal results count in denormal ulps).  0 where both are NaN, or where got
    equals the reference rounded to ``dtype`` and that is infinite."""
    info = np.finfo(dtype)
    with np.errstate(all="ignore"):      # signaling NaNs among random bit patterns
        got, ref = got.astype(np.float64), np.asarray(ref, np.float64)
        exponent = np.floor(np.log2(np.maximum(np.abs(ref), float(info.tiny))))
        err = np.abs(got - ref) / np.exp2(exponent - info.nmant)
        rounded = ref.astype(dtype).astype(np.float64)
    exact = (np.isnan(got) & np.isnan(ref)) | (got == ref) | (np.isinf(rounded) & (got == rounded))
    return np.where(exact, 0.0, np.where(np.isnan(err), np.inf, err))


# float64 functions whose results err by many ulps near the function's zeros (SciPy's
# and glibc's lgamma near x = -2.457; digamma near 1.4616 and its negative zeros):
# compared as abs(err) <= tol max(1, abs(ref)).
ABSOLUTE64 = {"lgamma": 1e-13, "digamma": 1e-13}


def _check_errors(name, dtype, got, ref, bound):
    if dtype == F64 and name in ABSOLUTE64:
        finite = np.isfinite(ref)
        scale = np.maximum(1.0, np.abs(ref[finite]))
        worst = float((np.abs(got[finite] - ref[finite]) / scale).max())
        assert worst <= ABSOLUTE64[name], (name, worst)
        ref, got = ref[~finite], got[~finite]
    errors = ulp_error(got, ref, dtype)
    worst = float(errors.max(initial=0.0))
    print(f"{name} {dtype}: max error {worst:.3f} ulp")
    assert worst <= bound, f"{name} {dtype}: {worst:.3f} ulp"
    if dtype == F32:
        info = np.finfo(F32)
        normal = np.isfinite(ref) & (np.abs(ref) >= info.tiny) & (np.abs(ref) <= info.max)
        relative = np.abs(got[normal] - ref[normal]) / np.abs(ref[normal])
        assert relative.max(initial=0) <= 5e-7, (name, relative.max())


def _unary_case(prim, dtype, count):
    reference, (lo, hi), bound32, bound64 = UNARY[prim]
    x = _grid(dtype, lo, hi, count)
    got = compile_kernel(one_equation(prim, [x]))(x)[0]
    with np.errstate(all="ignore"):
        ref = reference(x.astype(np.float64))
    return got, ref, (bound32 if dtype == F32 else bound64)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("prim", list(UNARY), ids=lambda p: p.name)
def test_unary_accuracy(prim, dtype):
    got, ref, bound = _unary_case(prim, dtype, 20_000)
    _check_errors(prim.name, dtype, got, ref, bound)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("prim", list(UNARY), ids=lambda p: p.name)
def test_unary_accuracy_dense(prim, dtype):
    got, ref, bound = _unary_case(prim, dtype, 1_000_000)
    _check_errors(prim.name, dtype, got, ref, bound)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("prim", list(UNARY), ids=lambda p: p.name)
def test_unary_special_values_match_numpy(prim, dtype):
    info = np.finfo(dtype)
    x = np.array(SPECIALS + [info.smallest_subnormal, -info.smallest_subnormal, info.max,
                             info.tiny], dtype)
    got = compile_kernel(one_equation(prim, [x]))(x)[0]
    with np.errstate(all="ignore"):
        want = UNARY[prim][0](x.astype(np.float64)).astype(dtype)
    special = ~np.isfinite(want) | (want == 0)
    np.testing.assert_array_equal(got[special], want[special], err_msg=prim.name)
    signed = np.isinf(want) | (want == 0)                # NaN signs carry no meaning
    assert np.array_equal(np.signbit(got[signed]), np.signbit(want[signed])), prim.name


@pytest.mark.slow
@pytest.mark.parametrize("prim", [P.exp_p, P.exp2_p, P.expm1_p, P.log_p, P.log1p_p, P.tanh_p,
                                  P.logistic_p, P.sin_p, P.cos_p, P.erf_p, P.cbrt_p, P.lgamma_p],
                         ids=lambda p: p.name)
def test_float32_accuracy_over_a_strided_sweep_of_all_floats(prim):
    """Every 97th float32 bit pattern (~44M values, all signs and exponents)."""
    reference, _, bound, _ = UNARY[prim]
    chunk, stride = 1 << 22, 97
    kernel = compile_kernel(one_equation(prim, [np.zeros(chunk, F32)]))
    worst = 0.0
    for start in range(0, 2**32, chunk * stride):
        bits = np.arange(start, min(start + chunk * stride, 2**32), stride, dtype=np.uint64)
        x = np.resize(bits.astype(np.uint32), chunk).view(F32)
        with np.errstate(all="ignore"):
            ref = reference(x.astype(np.float64))
        worst = max(worst, float(ulp_error(kernel(x)[0], ref, F32).max()))
    assert worst <= bound, (prim.name, worst)


# ---- binary functions ---------------------------------------------------------------------

BINARY = {
    P.pow_p: (np.power, 1.0, 1.0),
    P.atan2_p: (np.arctan2, 1.0, 1.0),
}
BINARY_SPECIALS = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, np.inf, -np.inf,
                   np.nan, 1e-40, 3.4e38]


def _pairs(dtype, count, seed=1):
    rng = np.random.default_rng(seed)
    specials = np.array(BINARY_SPECIALS, dtype)
    xs, ys = np.meshgrid(specials, specials)
    magnitude = np.exp2(rng.uniform(-30, 30, (2, count)))
    signs = rng.choice([-1.0, 1.0], (2, count))
    small = rng.uniform(-40, 40, (2, count)).round(rng.integers(0, 3))   # integer-ish powers
    x = np.concatenate([xs.ravel(), magnitude[0] * signs[0], rng.uniform(0, 4, count)])
    y = np.concatenate([ys.ravel(), magnitude[1] * signs[1], small[1]])
    return x.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("prim", list(BINARY), ids=lambda p: p.name)
def test_binary_accuracy_and_special_values(prim, dtype):
    reference, bound32, bound64 = BINARY[prim]
    x, y = _pairs(dtype, 20_000)
    got = compile_kernel(one_equation(prim, [x, y]))(x, y)[0]
    with np.errstate(all="ignore"):
        ref = reference(x.astype(np.float64), y.astype(np.float64))
        want = reference(x, y)
    _check_errors(prim.name, dtype, got, ref, bound32 if dtype == F32 else bound64)
    special = ~np.isfinite(want) | (want == 0)
    np.testing.assert_array_equal(got[special], want[special], err_msg=prim.name)


# ---- float64 inline functions against an exact reference -------------------------------------

def _long_double(fn):
    """fn evaluated in x87/quad long double: 11+ bits beyond float64, exact enough to
    measure float64 errors to ~1/1000 ulp."""
    def reference(*args):
        return fn(*[a.astype(np.longdouble) for a in args])
    return reference


def _mpmath(fn, beyond):
    """fn from mpmath, element by element; ``beyond(x)`` where abs(x) > 40 (erf and
    erfc are +-1, 0 or 2 there to any precision, and mpmath's erfc overflows)."""
    def reference(x):
        out = beyond(x).astype(np.longdouble)
        body = np.abs(x) <= 40
        with mpmath.workprec(120):
            out[body] = [np.longdouble(mpmath.nstr(fn(mpmath.mpf(float(v))), 30))
                         for v in x[body]]
        return out
    return reference


# prim: (exact reference, dense grid range, max ulp asserted).  Measured maxima: rules.py.
# erf and erfc (mpmath references, slow) take every 8th point of the grid.
EXACT64 = {
    P.sin_p: (_long_double(np.sin), (-20, 20), 1.0),
    P.cos_p: (_long_double(np.cos), (-20, 20), 1.0),
    P.tan_p: (_long_double(np.tan), (-10, 10), 1.0),
    P.atan_p: (_long_double(np.arctan), (-50, 50), 1.0),
    P.asin_p: (_long_double(np.arcsin), (-1, 1), 1.0),
    P.acos_p: (_long_double(np.arccos), (-1, 1), 1.0),
    P.sinh_p: (_long_double(np.sinh), (-90, 90), 2.0),
    P.cosh_p: (_long_double(np.cosh), (-90, 90), 2.0),
    P.asinh_p: (_long_double(np.arcsinh), (-50, 50), 2.0),
    P.acosh_p: (_long_double(np.arccosh), (1, 50), 2.0),
    P.atanh_p: (_long_double(np.arctanh), (-1, 1), 2.0),
    P.cbrt_p: (_long_double(np.cbrt), (-50, 50), 1.0),
    P.erf_p: (_mpmath(mpmath.erf, np.sign), (-6, 6), 2.0),
    P.erfc_p: (_mpmath(mpmath.erfc, lambda x: np.where(x > 0, 0.0, np.where(x < 0, 2.0, x))),
               (-6, 28), 2.0),
}
EXACT64_BINARY = {P.pow_p: (_long_double(np.power), 1.5),
                  P.atan2_p: (_long_double(np.arctan2), 1.5)}
needs_long_double = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63,
                                       reason="long double is not wider than double here")


def exact_ulp_error(got, ref):
    """abs(got - ref) in float64 ulps at the (long double) reference; 0 where both are
    NaN or got is the reference rounded to an infinity."""
    info = np.finfo(np.float64)
    with np.errstate(all="ignore"):
        exponent = np.floor(np.log2(np.maximum(np.abs(ref), np.longdouble(info.tiny))))
        err = np.abs(got.astype(np.longdouble) - ref) / np.exp2(exponent - info.nmant)
        rounded = ref.astype(np.float64)
    exact = (np.isnan(got) & np.isnan(ref)) | (got == rounded) & (np.isinf(rounded) | (err == 0))
    return np.where(exact, 0.0, np.where(np.isnan(err), np.inf, err)).astype(np.float64)


def _exact64_case(prim, count):
    reference, (lo, hi), bound = EXACT64[prim]
    x = _grid(F64, lo, hi, count)
    if prim in (P.erf_p, P.erfc_p):
        x = x[::8]
    got = compile_kernel(one_equation(prim, [x]))(x)[0]
    with np.errstate(all="ignore"):
        errors = exact_ulp_error(got, reference(x))
    worst = float(errors.max())
    print(f"{prim.name} float64: max {worst:.3f} ulp vs exact at x = {x[errors.argmax()]!r}")
    assert worst <= bound, (prim.name, worst, x[errors.argmax()])


@needs_long_double
@pytest.mark.parametrize("prim", list(EXACT64), ids=lambda p: p.name)
def test_float64_accuracy_against_exact(prim):
    _exact64_case(prim, 16_000)


@pytest.mark.slow
@needs_long_double
@pytest.mark.parametrize("prim", list(EXACT64), ids=lambda p: p.name)
def test_float64_accuracy_against_exact_dense(prim):
    _exact64_case(prim, 1_000_000)


@needs_long_double
@pytest.mark.parametrize("prim", list(EXACT64_BINARY), ids=lambda p: p.name)
def test_float64_binary_accuracy_against_exact(prim):
    reference, bound = EXACT64_BINARY[prim]
    x, y = _pairs(F64, 20_000)
    rng = np.random.default_rng(2)
    big = np.exp(rng.uniform(-700, 700, 5000))      # abs(y log x) up to ~700: pow's hard case
    x, y = np.concatenate([x, big]), np.concatenate([y, rng.uniform(-1, 1, 5000)])
    got = compile_kernel(one_equation(prim, [x, y]))(x, y)[0]
    with np.errstate(all="ignore"):
        worst = float(exact_ulp_error(got, reference(x, y)).max())
    print(f"{prim.name} float64: max {worst:.3f} ulp vs exact")
    assert worst <= bound, (prim.name, worst)


def test_sin_cos_reduce_huge_arguments_exactly():
    """The double closest to a multiple of pi/2 (6381956970095103 2^797, |x mod pi/2|
    ~ 2^-61) and others: Payne-Hanek reduction keeps full relative precision."""
    x = np.array([6381956970095103 * 2.0 ** 797, 1e22, 2.0 ** 1023, 1.7976931348623157e308,
                  1e5 * np.pi, np.pi, -1e300])
    with mpmath.workprec(2200):
        want = {P.sin_p: [mpmath.sin(mpmath.mpf(float(v))) for v in x],
                P.cos_p: [mpmath.cos(mpmath.mpf(float(v))) for v in x]}
        for prim, values in want.items():
            got = compile_kernel(one_equation(prim, [x]))(x)[0]
            relative = [float(abs((mpmath.mpf(float(g)) - w) / w)) for g, w in zip(got, values)]
            assert max(relative) <= 2.0 ** -52, (prim.name, relative)


INLINE64 = [P.sin_p, P.cos_p, P.tan_p, P.atan_p, P.asin_p, P.acos_p, P.sinh_p, P.cosh_p,
            P.asinh_p, P.acosh_p, P.atanh_p, P.cbrt_p, P.erf_p, P.erfc_p, P.pow_p, P.atan2_p,
            P.lgamma_p, P.erf_inv_p, P.digamma_p]


@pytest.mark.parametrize("prim", INLINE64, ids=lambda p: p.name)
def test_float64_math_is_inline_and_vectorizes(prim):
    """No library calls in the loop (only LLVM intrinsics), and the loop vectorizes."""
    from xla_like.backends.llvm.engine import host_features
    arity = 2 if prim in EXACT64_BINARY else 1
    kernel = compile_kernel(one_equation(prim, [np.ones(256)] * arity))
    text = kernel.optimized_ir
    called = set(re.findall(r"call [^@]*@([\w.]+)\(", text))
    assert all(name.startswith("llvm.") for name in called), (prim.name, called)
    if "+avx2" in host_features().split(","):          # gathers need AVX2
        assert re.search(r"<[48] x double>", text), prim.name


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_pow_by_one_two_minus_one_is_exact(dtype):
    x = _grid(dtype, -5, 5, 4000)
    with np.errstate(all="ignore"):
        cases = [(1.0, x), (2.0, x * x), (-1.0, 1 / x)]
    for y, want in cases:
        ys = np.full_like(x, y)
        got = compile_kernel(one_equation(P.pow_p, [x, ys]))(x, ys)[0]
        np.testing.assert_array_equal(got, want, err_msg=f"pow(x, {y})")


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_nextafter_is_inline_and_bit_exact(dtype):
    info = np.finfo(dtype)
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, info.max, -info.max,
                         info.tiny, info.smallest_subnormal, -info.smallest_subnormal], dtype)
    xs, ys = np.meshgrid(specials, specials)
    rng = np.random.default_rng(4)
    x = np.concatenate([xs.ravel(), rng.standard_normal(2000).astype(dtype)])
    y = np.concatenate([ys.ravel(), rng.standard_normal(2000).astype(dtype)])
    kernel = compile_kernel(one_equation(P.nextafter_p, [x, y]))
    with np.errstate(all="ignore"):                    # nextafter(max, inf) overflows
        got, want = kernel(x, y)[0], np.nextafter(x, y)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))
    called = set(re.findall(r"call [^@]*@([\w.]+)\(", kernel.optimized_ir))
    assert all(name.startswith("llvm.") for name in called), called
