"""functorch_lite.numpy as an Array API (2023.12) namespace: every name of the
standard exists, the keywords it fixes are there, values match NumPy 2's own
implementation of the standard, hypothesis's array-API strategies work on it, and the
new functions work under grad, vmap and jit."""
import inspect
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp
from functorch_lite.numpy import _array_api, _array_api_creation, _array_api_linalg
from functorch_lite.test_util import check_grads
from transforms.array import Array
from transforms.core import Tracer

# NumPy implements the standard in its main namespace from 2.1 (the value references)
needs_numpy_2_1 = pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.1.0",
                                     reason="NumPy's Array API functions need NumPy >= 2.1")

# ---- (a) every name of the 2023.12 standard --------------------------------------------------
# From https://data-apis.org/array-api/2023.12/API_specification/index.html

SPEC_CONSTANTS = ["e", "inf", "nan", "newaxis", "pi"]
SPEC_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
               "uint64", "float32", "float64", "complex64", "complex128"]
SPEC_FUNCTIONS = """
    arange asarray empty empty_like eye from_dlpack full full_like linspace meshgrid ones
    ones_like tril triu zeros zeros_like
    astype can_cast finfo iinfo isdtype result_type
    abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift
    bitwise_invert bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign cos
    cosh divide equal exp expm1 floor floor_divide greater greater_equal hypot imag isfinite
    isinf isnan less less_equal log log1p log2 log10 logaddexp logical_and logical_not
    logical_or logical_xor maximum minimum multiply negative not_equal positive pow real
    remainder round sign signbit sin sinh square sqrt subtract tan tanh trunc
    take
    __array_namespace_info__
    matmul matrix_transpose tensordot vecdot
    broadcast_arrays broadcast_to concat expand_dims flip moveaxis permute_dims repeat
    reshape roll squeeze stack tile unstack
    argmax argmin nonzero searchsorted where
    unique_all unique_counts unique_inverse unique_values
    argsort sort
    cumulative_sum max mean min prod std sum var
    all any
""".split()
SPEC_LINALG = """cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power
    matrix_rank matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace
    vecdot vector_norm""".split()
SPEC_FFT = """fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift
    ifftshift""".split()
SPEC_ARRAY_ATTRIBUTES = """dtype device mT ndim shape size T
    __abs__ __add__ __and__ __array_namespace__ __bool__ __complex__ __dlpack__
    __dlpack_device__ __eq__ __float__ __floordiv__ __ge__ __getitem__ __gt__ __index__
    __int__ __invert__ __le__ __lshift__ __lt__ __matmul__ __mod__ __mul__ __ne__ __neg__
    __or__ __pos__ __pow__ __rshift__ __setitem__ __sub__ __truediv__ __xor__ to_device
    __radd__ __rand__ __rfloordiv__ __rlshift__ __rmatmul__ __rmod__ __rmul__ __ror__
    __rpow__ __rrshift__ __rsub__ __rtruediv__ __rxor__""".split()
INFO_METHODS = ["capabilities", "default_device", "default_dtypes", "devices", "dtypes"]


@pytest.mark.parametrize("namespace, names", [
    (fnp, SPEC_CONSTANTS + SPEC_DTYPES + SPEC_FUNCTIONS),
    (fnp.linalg, SPEC_LINALG), (fnp.fft, SPEC_FFT)], ids=["main", "linalg", "fft"])
def test_every_spec_name_exists(namespace, names):
    missing = [n for n in names if not hasattr(namespace, n)]
    assert not missing, f"{namespace.__name__} lacks {missing}"
    not_callable = [n for n in names if n not in SPEC_CONSTANTS + SPEC_DTYPES
                    and not callable(getattr(namespace, n))]
    assert not not_callable


@pytest.mark.parametrize("cls", [Array, Tracer])
def test_arrays_and_tracers_have_every_spec_attribute(cls):
    missing = [n for n in SPEC_ARRAY_ATTRIBUTES if not hasattr(cls, n)]
    assert not missing, f"{cls.__name__} lacks {missing}"


def test_namespace_identity_version_and_info():
    x = fnp.ones((2, 3))
    assert x.__array_namespace__() is fnp
    assert x.__array_namespace__(api_version="2023.12") is fnp
    with pytest.raises(ValueError, match="unsupported Array API version"):
        x.__array_namespace__(api_version="1999.01")
    assert fnp.__array_api_version__ == "2023.12"
    info = fnp.__array_namespace_info__()
    assert all(callable(getattr(info, m)) for m in INFO_METHODS)
    assert set(info.capabilities()) == {"boolean indexing", "data-dependent shapes"}
    assert info.default_device() == x.device and info.default_device() in info.devices()
    defaults = info.default_dtypes()
    assert set(defaults) == {"real floating", "complex floating", "integral", "indexing"}
    assert fnp.asarray(1.0).dtype == defaults["real floating"]
    assert fnp.asarray(1).dtype == defaults["integral"]
    assert fnp.argmax(fnp.ones(3)).dtype == defaults["indexing"]
    assert sorted(info.dtypes()) == sorted(SPEC_DTYPES)
    assert set(info.dtypes(kind="integral")) == {n for n in SPEC_DTYPES if "int" in n}
    assert set(info.dtypes(kind=("bool", "complex floating"))) == {
        "bool", "complex64", "complex128"}
    for name, dt in info.dtypes().items():
        assert getattr(fnp, name) == dt
        assert fnp.zeros(2, dtype=dt).dtype == dt


def test_tracers_answer_the_namespace_and_device():
    def f(x):
        assert x.__array_namespace__() is fnp and x.device == fnp.ones(1).device
        return x.to_device(x.device).mT.sum()
    np.testing.assert_allclose(fl.grad(f)(np.ones((2, 3))), np.ones((2, 3)))
    np.testing.assert_allclose(fl.jit(fl.vmap(f))(np.ones((4, 2, 3))), np.full(4, 6.0))


# ---- (b) the keywords the standard fixes -----------------------------------------------------

SPEC_KEYWORDS = {
    "main": {
        "arange": "stop step dtype device", "asarray": "dtype device copy",
        "astype": "copy device", "empty": "dtype device", "empty_like": "dtype device",
        "eye": "k dtype device", "full": "dtype device", "full_like": "dtype device",
        "linspace": "num dtype device endpoint", "meshgrid": "indexing",
        "ones": "dtype device", "ones_like": "dtype device", "zeros": "dtype device",
        "zeros_like": "dtype device", "tril": "k", "triu": "k", "from_dlpack": "device copy",
        "clip": "min max", "take": "axis", "tensordot": "axes", "vecdot": "axis",
        "concat": "axis", "expand_dims": "axis", "flip": "axis", "repeat": "axis",
        "reshape": "shape copy", "roll": "shift axis", "squeeze": "axis", "stack": "axis",
        "unstack": "axis", "permute_dims": "axes", "broadcast_to": "shape",
        "argmax": "axis keepdims", "argmin": "axis keepdims", "searchsorted": "side sorter",
        "argsort": "axis descending stable", "sort": "axis descending stable",
        "cumulative_sum": "axis dtype include_initial",
        "cumulative_prod": "axis dtype include_initial",
        "max": "axis keepdims", "min": "axis keepdims", "mean": "axis keepdims",
        "prod": "axis dtype keepdims", "sum": "axis dtype keepdims",
        "std": "axis correction keepdims", "var": "axis correction keepdims",
        "all": "axis keepdims", "any": "axis keepdims",
    },
    "linalg": {
        "cholesky": "upper", "cross": "axis", "diagonal": "offset",
        "matrix_norm": "keepdims ord", "matrix_rank": "rtol", "pinv": "rtol", "qr": "mode",
        "svd": "full_matrices", "tensordot": "axes", "trace": "offset dtype",
        "vecdot": "axis", "vector_norm": "axis keepdims ord",
    },
    "fft": {name: "n axis norm" for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")}
    | {name: "s axes norm" for name in ("fftn", "ifftn", "rfftn", "irfftn")}
    | {"fftfreq": "d dtype device", "rfftfreq": "d dtype device", "fftshift": "axes",
       "ifftshift": "axes"},
}
NAMESPACES = {"main": fnp, "linalg": fnp.linalg, "fft": fnp.fft}
# defaults the standard fixes
SPEC_DEFAULTS = {("main", "sort"): {"descending": False, "stable": True},
                 ("main", "cumulative_sum"): {"include_initial": False},
                 ("main", "asarray"): {"copy": None}, ("main", "astype"): {"copy": True},
                 ("main", "std"): {"keepdims": False}, ("main", "expand_dims"): {"axis": 0},
                 ("linalg", "qr"): {"mode": "reduced"}, ("linalg", "cholesky"): {"upper": False},
                 ("linalg", "svd"): {"full_matrices": True},
                 ("linalg", "matrix_norm"): {"ord": "fro"},
                 ("linalg", "vector_norm"): {"ord": 2, "keepdims": False, "axis": None}}

KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@pytest.mark.parametrize("space, name", [(s, n) for s, table in SPEC_KEYWORDS.items()
                                         for n in table])
def test_spec_keywords_can_be_passed_by_name(space, name):
    parameters = inspect.signature(getattr(NAMESPACES[space], name)).parameters
    for keyword in SPEC_KEYWORDS[space][name].split():
        assert keyword in parameters, f"{space}.{name} has no {keyword!r} parameter"
        assert parameters[keyword].kind in KEYWORD_KINDS, f"{space}.{name}({keyword}=)"
    for keyword, default in SPEC_DEFAULTS.get((space, name), {}).items():
        assert parameters[keyword].default == default, f"{space}.{name}({keyword}=)"


# ---- (c) values against NumPy 2's implementation of the standard ------------------------------

class Case(NamedTuple):
    name: str                 # the spec name under test
    fn: object                # fn(xp, *arrays), run with xp = fnp and xp = numpy
    args: tuple               # (kind, shape) per array argument
    grad: bool = True         # differentiable in its float arguments
    ref: object = None        # the NumPy reference when ``fn(numpy, ...)`` does not apply


# kind -> (dtype class, low, high)
KINDS = {"real": ("f", -3.0, 3.0), "unit": ("f", -0.875, 0.875), "above1": ("f", 1.25, 4.0),
         "pos": ("f", 0.5, 3.0), "int": ("i", -8, 8), "small": ("i", -2, 2),
         "shift": ("i", 0, 5), "complex": ("c", -3.0, 3.0)}
COMPLEX_OF = {np.float32: np.complex64, np.float64: np.complex128}
M = ("real", (3, 4))
V4 = ("real", (4,))
T3 = ("real", (2, 3, 4))


def _static(xp, **kwargs):
    """functorch_lite-only keywords (NumPy's set functions have no ``size=``)."""
    return kwargs if xp is fnp else {}


def _all_five(xp, x):
    """``x`` (entries in [-2, 2]) with each of -2..2 appended: exactly 5 unique values,
    so ``size=5`` is exact and jit/vmap see the same results as NumPy."""
    return xp.concat([x, xp.asarray([2, -1, 0, 1, -2], dtype=x.dtype)], axis=None)


def _spd(xp, a):
    return a @ xp.matrix_transpose(a) + 3.0 * xp.eye(a.shape[-2], dtype=a.dtype)


CASES = [
    Case("acos", lambda xp, x: xp.acos(x), (("unit", (5,)),)),
    Case("acosh", lambda xp, x: xp.acosh(x), (("above1", (5,)),)),
    Case("asin", lambda xp, x: xp.asin(x), (("unit", (5,)),)),
    Case("asinh", lambda xp, x: xp.asinh(x), (V4,)),
    Case("atan", lambda xp, x: xp.atan(x), (V4,)),
    Case("atan2", lambda xp, y, x: xp.atan2(y, x), (M, ("pos", (4,)))),
    Case("atanh", lambda xp, x: xp.atanh(x), (("unit", (5,)),)),
    Case("pow", lambda xp, x, y: xp.pow(x, y), (("pos", (3, 4)), M)),
    Case("bitwise_invert", lambda xp, x: xp.bitwise_invert(x), (("int", (6,)),), False),
    Case("bitwise_left_shift", lambda xp, x, s: xp.bitwise_left_shift(x, s),
         (("int", (6,)), ("shift", (6,))), False),
    Case("bitwise_right_shift", lambda xp, x, s: xp.bitwise_right_shift(x, s),
         (("int", (6,)), ("shift", (6,))), False),
    Case("copysign", lambda xp, x, y: xp.copysign(x, y), (M, M)),
    Case("hypot", lambda xp, x, y: xp.hypot(x, y), (M, M)),
    Case("logaddexp", lambda xp, x, y: xp.logaddexp(x, y), (M, M)),
    Case("maximum", lambda xp, x, y: xp.maximum(x, y) + xp.minimum(x, y) * 2, (M, V4)),
    Case("nextafter", lambda xp, x, y: xp.nextafter(x, y), (M, M), False),
    Case("signbit", lambda xp, x: xp.signbit(x), (M,), False),
    Case("clip", lambda xp, x: xp.clip(x, min=-1.0, max=1.5), (M,)),
    Case("round", lambda xp, z: xp.round(z), (("complex", (3, 4)),), False),
    Case("round", lambda xp, x: xp.round(x * 2.0) + xp.round(x, decimals=1), (M,), False),
    Case("vecdot", lambda xp, x, y: xp.vecdot(x, y), (("complex", (3, 4)), ("complex", (4,))),
         False),
    Case("concat", lambda xp, x, y: xp.concat([x, y], axis=1), (M, ("real", (3, 2)))),
    Case("concat", lambda xp, x, y: xp.concat((x, y), axis=None), (M, V4)),
    *[Case(name, lambda xp, x, name=name: getattr(xp, name)(_all_five(xp, x),
                                                            **_static(xp, size=5)),
           (("small", (2, 3)),), False)
      for name in ("unique_all", "unique_counts", "unique_inverse")],
    # NumPy >= 2.3 leaves unique_values unsorted (the standard allows any order); ours sorts
    Case("unique_values", lambda xp, x: xp.unique_values(_all_five(xp, x),
                                                         **_static(xp, size=5)),
         (("small", (2, 3)),), False, ref=lambda x: np.sort(np.unique_values(_all_five(np, x)))),
    Case("permute_dims", lambda xp, x: xp.permute_dims(x, (2, 0, 1)), (T3,)),
    Case("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), (T3,)),
    Case("vecdot", lambda xp, x, y: xp.vecdot(x, y), (T3, V4)),
    Case("vecdot", lambda xp, x, y: xp.vecdot(x, y, axis=0), (M, ("real", (3, 1)))),
    Case("unstack", lambda xp, x: xp.unstack(x, axis=1), (T3,)),
    Case("cumulative_sum", lambda xp, x: xp.cumulative_sum(x, axis=1, include_initial=True),
         (T3,)),
    Case("cumulative_sum", lambda xp, x: xp.cumulative_sum(x), (("int", (6,)),), False),
    Case("cumulative_prod", lambda xp, x: xp.cumulative_prod(x, axis=0), (M,)),
    Case("cumulative_prod", lambda xp, x: xp.cumulative_prod(x, include_initial=True),
         (V4,)),
    Case("std", lambda xp, x: xp.std(x, axis=0, correction=1), (M,)),
    Case("var", lambda xp, x: xp.var(x, axis=(0, 2), correction=1.5, keepdims=True), (T3,)),
    Case("sum", lambda xp, x: xp.sum(x, axis=1, dtype=xp.float64, keepdims=True), (M,)),
    Case("prod", lambda xp, x: xp.prod(x, axis=0, dtype=xp.float64), (M,)),
    Case("max", lambda xp, x: xp.max(x, axis=1, keepdims=True) - xp.min(x, axis=0)[0], (M,)),
    Case("sort", lambda xp, x: xp.sort(x, axis=0, descending=True), (M,),
         ref=lambda x: -np.sort(-x, axis=0)),
    Case("argsort", lambda xp, x: xp.argsort(x, axis=1, descending=True, stable=True), (M,),
         False, ref=lambda x: np.argsort(-x, axis=1, stable=True)),
    Case("searchsorted", lambda xp, a, v: xp.searchsorted(xp.sort(a), v, side="right"),
         (("small", (6,)), ("small", (4,))), False),
    Case("take", lambda xp, x: xp.take(x, xp.asarray([3, 0, 3]), axis=1), (M,)),
    Case("tile", lambda xp, x: xp.tile(x, (2, 1)), (M,)),
    Case("repeat", lambda xp, x: xp.repeat(x, 2, axis=0), (M,)),
    Case("moveaxis", lambda xp, x: xp.moveaxis(x, 0, -1), (T3,)),
    Case("roll", lambda xp, x: xp.roll(x, shift=2, axis=1), (M,)),
    Case("flip", lambda xp, x: xp.flip(x, axis=(0, 2)), (T3,)),
    Case("expand_dims", lambda xp, x: xp.squeeze(xp.expand_dims(x, axis=1), axis=1), (M,)),
    Case("tril", lambda xp, x: xp.tril(x, k=1) + xp.triu(x, k=-1), (M,)),
    Case("meshgrid", lambda xp, x, y: xp.meshgrid(x, y, indexing="ij"), (V4, ("real", (3,)))),
    Case("linspace", lambda xp, x: x * xp.linspace(0.0, 2.0, num=4, endpoint=False,
                                                   dtype=x.dtype), (M,)),
    Case("eye", lambda xp, x: x + xp.eye(3, 4, k=1, dtype=x.dtype), (M,)),
    Case("astype", lambda xp, x: xp.astype(x, xp.float64) * 2, (M,)),
    Case("count_nonzero", lambda xp, x: xp.count_nonzero(x > 0, axis=1), (M,), False),
    Case("where", lambda xp, x, y: xp.where(x > y, x, y), (M, M)),
    # the linalg extension
    Case("linalg.cross", lambda xp, x, y: xp.linalg.cross(x, y), (("real", (2, 3)),
                                                                 ("real", (3,)))),
    Case("linalg.diagonal", lambda xp, x: xp.linalg.diagonal(x, offset=1), (T3,)),
    Case("linalg.matrix_norm", lambda xp, x: xp.linalg.matrix_norm(x), (T3,)),
    Case("linalg.matrix_norm", lambda xp, x: xp.linalg.matrix_norm(x, ord="nuc",
                                                                   keepdims=True), (T3,)),
    Case("linalg.matrix_norm", lambda xp, x: xp.linalg.matrix_norm(x, ord=np.inf), (T3,)),
    Case("linalg.matrix_norm", lambda xp, z: xp.linalg.matrix_norm(z, ord=1) +
         xp.linalg.matrix_norm(z), (("complex", (2, 3, 3)),), False),
    Case("linalg.vector_norm", lambda xp, z: xp.linalg.vector_norm(z, axis=-1, ord=3),
         (("complex", (2, 3)),), False),
    Case("linalg.outer", lambda xp, x, y: xp.linalg.outer(x, y), (V4, ("real", (3,)))),
    Case("linalg.tensordot", lambda xp, x, y: xp.linalg.tensordot(x, y, axes=1), (M, V4)),
    Case("linalg.trace", lambda xp, x: xp.linalg.trace(x, offset=-1), (T3,)),
    Case("linalg.vecdot", lambda xp, x, y: xp.linalg.vecdot(x, y, axis=-2), (T3, M)),
    Case("linalg.vector_norm", lambda xp, x: xp.linalg.vector_norm(x), (T3,)),
    Case("linalg.vector_norm", lambda xp, x: xp.linalg.vector_norm(x, axis=(0, 2), ord=3,
                                                                   keepdims=True), (T3,)),
    Case("linalg.vector_norm", lambda xp, x: xp.linalg.vector_norm(x, axis=1, ord=1), (T3,)),
    Case("linalg.matrix_transpose", lambda xp, x: xp.linalg.matrix_transpose(x), (T3,)),
    Case("linalg.cholesky", lambda xp, a: xp.linalg.cholesky(_spd(xp, a), upper=True), (M,)),
    Case("linalg.pinv", lambda xp, a: xp.linalg.pinv(a, rtol=1e-3), (M,)),
    Case("linalg.svdvals", lambda xp, a: xp.linalg.svdvals(a), (M,)),
    Case("linalg.matrix_rank", lambda xp, a: xp.linalg.matrix_rank(a, rtol=0.1), (M,), False),
    Case("linalg.slogdet", lambda xp, a: xp.linalg.slogdet(_spd(xp, a)).logabsdet, (M,)),
    # the fft extension
    Case("fft.fft", lambda xp, x: xp.fft.fft(x, n=6, axis=0, norm="ortho"), (M,)),
    Case("fft.fftn", lambda xp, x: xp.fft.ifftn(xp.fft.fftn(x, s=(2, 5), axes=(0, 2)),
                                                norm="forward"), (T3,)),
    Case("fft.rfftn", lambda xp, x: xp.fft.irfftn(xp.fft.rfftn(x, axes=(1,)), s=(4,),
                                                  axes=(1,)), (T3,)),
    Case("fft.hfft", lambda xp, x: xp.fft.hfft(x, axis=0), (M,)),
    Case("fft.hfft", lambda xp, x: xp.fft.hfft(x, n=5, norm="ortho"), (M,)),
    Case("fft.ihfft", lambda xp, x: xp.fft.ihfft(x, norm="forward"), (M,)),
    Case("fft.ihfft", lambda xp, x: xp.fft.ihfft(x, n=5, axis=0), (M,)),
    Case("fft.fftshift", lambda xp, x: xp.fft.fftshift(x, axes=0) + xp.fft.ifftshift(x),
         (M,)),
    Case("fft.fftfreq", lambda xp, x: x * xp.fft.fftfreq(4, d=0.5, dtype=x.dtype) +
         xp.fft.rfftfreq(7, d=2.0, dtype=x.dtype)[:4], (M,),
         ref=lambda x: x * np.fft.fftfreq(4, d=0.5) + np.fft.rfftfreq(7, d=2.0)[:4]),
]
IDS = [f"{c.name}-{i}" for i, c in enumerate(CASES)]

# names with their own tests below, not in CASES
DEDICATED = {"isdtype", "can_cast", "finfo", "iinfo", "__array_namespace_info__", "reshape"}


def test_every_new_name_is_checked():
    """Each name the Array API modules add runs through CASES (values, jit, vmap and, if
    differentiable, grad) or has a dedicated test."""
    added = (set(_array_api.__all__) | {f"linalg.{n}" for n in _array_api_linalg.__all__}
             | {"fft.hfft", "fft.ihfft", "fft.fftfreq"}
             | set(_array_api_creation.__all__) - {"check_device"})
    covered = {c.name for c in CASES} | DEDICATED | set(DEVICE_CALLS)
    assert not sorted(added - covered)
    aliases = {"acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "pow",
               "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift"}
    assert aliases <= covered


def _draw(draw, kind, shape, dtype):
    kind_code, lo, hi = KINDS[kind]
    if kind_code == "i":
        return draw(hnp.arrays(np.int32, shape, elements=st.integers(lo, hi)))
    width = 32 if dtype == np.float32 else 64
    parts = [draw(hnp.arrays(dtype, shape, elements=st.floats(lo, hi, width=width)))
             for _ in range(2 if kind_code == "c" else 1)]
    return parts[0] if kind_code == "f" else (parts[0] + 1j * parts[1]).astype(
        COMPLEX_OF[dtype])


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [np.asarray(tree)]


def _assert_close(got, want, dtype):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want)
    tol = 2e-4 if dtype == np.float32 else 1e-9
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert g.dtype.kind == w.dtype.kind or {g.dtype.kind, w.dtype.kind} == {"i", "u"}
        scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale)


@needs_numpy_2_1
@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=10)
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_values_match_numpy(case, data, dtype):
    args = [_draw(data.draw, kind, shape, dtype) for kind, shape in case.args]
    want = case.ref(*args) if case.ref else case.fn(np, *args)
    _assert_close(case.fn(fnp, *args), want, dtype)


def _uniques(draw):
    return draw(hnp.arrays(np.float64, st.integers(0, 8),
                           elements=st.sampled_from([0.0, 1.5, -2.0, 3.0, np.nan])))


@needs_numpy_2_1
@given(data=st.data())
def test_unique_functions_match_numpy(data):
    x = _uniques(data.draw)
    for name in ("unique_all", "unique_counts", "unique_inverse"):
        got, want = getattr(fnp, name)(x), getattr(np, name)(x)
        assert got._fields == want._fields
        _assert_close(tuple(got), tuple(want), np.float64)
    _assert_close(fnp.unique_values(x), np.sort(np.unique_values(x)), np.float64)
    values, inverse = fnp.unique_inverse(x.reshape(-1, 1))
    assert inverse.shape == (x.size, 1)                 # shaped like x
    np.testing.assert_array_equal(np.asarray(values)[np.asarray(inverse)], x.reshape(-1, 1))


def test_unique_functions_pad_to_a_static_size_under_jit_and_vmap():
    """Padding and cutting to ``size`` (the CASES above use an exact size)."""
    x = np.array([[3, 1, 3, 0], [2, 2, 2, 2]], np.int32)
    with pytest.raises(Exception, match="size"):
        fl.jit(fnp.unique_values)(x[0])
    for name in ("unique_all", "unique_counts", "unique_inverse", "unique_values"):
        fn = getattr(fnp, name)
        _assert_close(fl.jit(lambda v: fn(v, size=4, fill_value=-1))(x[0]),
                      fn(x[0], size=4, fill_value=-1), np.float64)
        rows = [_leaves(fn(row, size=2)) for row in x]            # cut to 2 values
        want = [np.stack(parts) for parts in zip(*rows)]
        _assert_close(fl.vmap(lambda v: fn(v, size=2))(x), want, np.float64)
    padded = fnp.unique_counts(x[1], size=3, fill_value=9)
    assert padded.values.tolist() == [2, 9, 9] and padded.counts.tolist() == [4, 0, 0]
    assert fnp.unique_values(x[0], size=2).tolist() == [0, 1]


# ---- dtype functions ----------------------------------------------------------------------------

KIND_NAMES = ["bool", "signed integer", "unsigned integer", "integral", "real floating",
              "complex floating", "numeric"]
ALL_DTYPES = [getattr(fnp, n) for n in SPEC_DTYPES]


@needs_numpy_2_1
@given(dtype=st.sampled_from(ALL_DTYPES), other=st.sampled_from(ALL_DTYPES),
       kinds=st.lists(st.sampled_from(KIND_NAMES), min_size=1, max_size=3))
def test_dtype_functions_match_numpy(dtype, other, kinds):
    for kind in kinds:
        assert fnp.isdtype(dtype, kind) == np.isdtype(np.dtype(dtype).type, kind)
    assert fnp.isdtype(dtype, tuple(kinds)) == np.isdtype(np.dtype(dtype).type, tuple(kinds))
    assert fnp.isdtype(dtype, other) == (np.dtype(dtype) == np.dtype(other))
    assert fnp.can_cast(dtype, other) == np.can_cast(dtype, other)
    assert fnp.can_cast(fnp.zeros(2, dtype=dtype), other) == np.can_cast(dtype, other)
    info = fnp.finfo if fnp.isdtype(dtype, ("real floating", "complex floating")) else (
        fnp.iinfo if fnp.isdtype(dtype, "integral") else None)
    if info is not None:
        want = (np.finfo if info is fnp.finfo else np.iinfo)(dtype)
        got = info(fnp.ones(1, dtype=dtype))
        attrs = ("bits", "max", "min", "dtype") + (
            ("eps", "smallest_normal") if info is fnp.finfo else ())
        for attr in attrs:
            assert getattr(got, attr) == getattr(want, attr), attr


SAME_KIND = [["int8", "int16", "int32", "int64"], ["uint8", "uint16", "uint32", "uint64"],
             ["float32", "float64", "complex64", "complex128"]]


@needs_numpy_2_1
@pytest.mark.parametrize("family", SAME_KIND, ids=["int", "uint", "inexact"])
def test_result_type_follows_the_spec_table_within_a_kind(family):
    """The standard's promotion table is NumPy's within each kind (mixed kinds are left
    to the library)."""
    for a in family:
        for b in family:
            want = np.result_type(np.dtype(a), np.dtype(b))
            assert fnp.result_type(getattr(fnp, a), getattr(fnp, b)) == want
            assert fnp.result_type(fnp.ones(1, dtype=a), getattr(fnp, b)) == want
            assert (fnp.ones(1, dtype=a) + fnp.ones(1, dtype=b)).dtype == want


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "uint16", "int32",
                                   "uint32", "int64", "uint64", "float32", "float64"])
def test_sums_and_products_accumulate_in_the_default_integer_width(dtype):
    """The standard: signed integers (and bool) sum in the default integer dtype (int32
    here), unsigned ones in the unsigned type of that width; wider types and floats keep
    their dtype."""
    x = fnp.ones((2, 2), dtype=dtype)
    kind = np.dtype(dtype).kind
    default = np.dtype({"b": "int32", "i": "int32", "u": "uint32"}.get(kind, dtype))
    want = np.promote_types(default, dtype) if kind in "iu" else default
    for total in (fnp.sum(x), fnp.prod(x), fnp.cumulative_sum(x, axis=0),
                  fnp.cumulative_prod(x, axis=1), fnp.linalg.trace(x)):
        assert total.dtype == want


def test_dtype_function_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown kind 'floating'"):
        fnp.isdtype(fnp.float32, "floating")
    with pytest.raises(TypeError, match="expected a dtype"):
        fnp.isdtype("not a dtype", "bool")


# ---- creation, conversion and copy keywords ------------------------------------------------------

DEVICE_CALLS = {
    "arange": lambda d: fnp.arange(3, device=d), "asarray": lambda d: fnp.asarray([1.0], device=d),
    "astype": lambda d: fnp.astype(fnp.ones(2), fnp.int8, device=d),
    "empty": lambda d: fnp.empty((2,), device=d), "eye": lambda d: fnp.eye(2, device=d),
    "empty_like": lambda d: fnp.empty_like(fnp.ones(2), device=d),
    "full": lambda d: fnp.full(2, 3.0, device=d), "zeros": lambda d: fnp.zeros(3, device=d),
    "full_like": lambda d: fnp.full_like(fnp.ones(2), 3.0, device=d),
    "linspace": lambda d: fnp.linspace(0, 1, 3, device=d), "ones": lambda d: fnp.ones(2, device=d),
    "ones_like": lambda d: fnp.ones_like(fnp.ones(2), device=d),
    "zeros_like": lambda d: fnp.zeros_like(fnp.ones(2), device=d),
    "fftfreq": lambda d: fnp.fft.fftfreq(4, device=d),
    "rfftfreq": lambda d: fnp.fft.rfftfreq(4, device=d),
    "to_device": lambda d: fnp.ones(2).to_device(d),
}


@pytest.mark.parametrize("name", sorted(DEVICE_CALLS))
def test_device_keyword_accepts_the_cpu_device_only(name):
    make, device = DEVICE_CALLS[name], fnp.ones(1).device
    assert make(device).device == device and make("cpu").device == device
    assert make(None).device == device
    with pytest.raises(ValueError, match="device 'cuda:0' is not available"):
        make("cuda:0")


def test_creation_wrappers_keep_numpy_signatures():
    """The wrapped functions still take NumPy's arguments (positionally too)."""
    np.testing.assert_array_equal(fnp.arange(1, 8, 3, np.int64), np.arange(1, 8, 3))
    np.testing.assert_array_equal(fnp.ones_like(np.ones(2, np.int8), np.float64, (3,)),
                                  np.ones_like(np.ones(2, np.int8), np.float64, shape=(3,)))
    np.testing.assert_array_equal(fnp.eye(3, 4, 1, np.float64), np.eye(3, 4, 1))
    np.testing.assert_array_equal(fnp.full((2, 2), 7, np.int8), np.full((2, 2), 7, np.int8))
    np.testing.assert_allclose(fnp.linspace(0, 1, 5, False), np.linspace(0, 1, 5, False),
                               rtol=1e-6)
    assert fnp.zeros((2,), fnp.int16).dtype == np.int16
    assert fnp.asarray([1, 2], np.float64).dtype == np.float64


def test_copy_keywords():
    host = np.arange(6.0)
    shared = fnp.asarray(host, copy=False)
    assert np.shares_memory(np.asarray(shared), host)
    assert not np.shares_memory(np.asarray(fnp.asarray(host)), host)
    x = fnp.asarray([1.0, 2.0])
    assert fnp.asarray(x, copy=False) is x
    copied = fnp.asarray(x, copy=True)
    assert copied is not x and not np.shares_memory(np.asarray(copied), np.asarray(x))
    assert fnp.astype(x, fnp.float32, copy=False) is x
    assert not np.shares_memory(np.asarray(fnp.astype(x, fnp.float32)), np.asarray(x))
    assert x.astype(fnp.float32, copy=False) is x
    assert fnp.reshape(x, (2, 1), copy=True).shape == (2, 1)
    with pytest.raises(ValueError, match="copy=False"):
        fnp.asarray([1.0], copy=False)
    with pytest.raises(ValueError, match="copy=False"):
        fnp.asarray(x, dtype=fnp.int32, copy=False)
    with pytest.raises(ValueError, match="copy=False"):
        fnp.asarray(host[::2], copy=False)


def test_array_attributes_real_imag_conj_and_mT():
    z = np.array([[1 + 2j, 3 - 1j], [0.5j, 2.0]], np.complex64)
    x = fnp.asarray(z)
    np.testing.assert_array_equal(x.real, z.real)
    np.testing.assert_array_equal(x.imag, z.imag)
    np.testing.assert_array_equal(x.conj(), z.conj())
    np.testing.assert_array_equal(x.mT, z.T)
    np.testing.assert_allclose(fl.grad(lambda v: (v * v).real.sum())(z.real), 2 * z.real)


# ---- (d) hypothesis's array-API strategies on this namespace ------------------------------------

def test_hypothesis_strategies_namespace():
    from hypothesis.extra.array_api import make_strategies_namespace
    xps = make_strategies_namespace(fnp)
    assert xps.api_version == "2023.12"

    @given(xps.arrays(xps.scalar_dtypes(), xps.array_shapes(max_dims=3, max_side=4)))
    def arrays_are_valid(x):
        assert isinstance(x, Array) and x.__array_namespace__() is fnp
        assert x.dtype in fnp.__array_namespace_info__().dtypes().values()
        np.testing.assert_array_equal(fnp.reshape(x, (-1,)), np.asarray(x).ravel())

    arrays_are_valid()


# ---- (e) grad, vmap and jit -----------------------------------------------------------------

def _inputs(case, dtype=np.float64, batch=None, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for kind, shape in case.args:
        shape = shape if batch is None else (batch,) + shape
        kind_code, lo, hi = KINDS[kind]
        if kind_code == "i":
            out.append(rng.integers(lo, hi + 1, shape).astype(np.int32))
        elif kind_code == "c":
            out.append(rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape))
        else:
            out.append(rng.uniform(lo, hi, shape).astype(dtype))
    return out


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jit_matches_eager(case):
    args = _inputs(case)
    f = lambda *xs: case.fn(fnp, *xs)           # noqa: E731
    _assert_close(fl.jit(f)(*args), f(*args), np.float64)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vmap_matches_loop(case):
    args = _inputs(case, batch=3)
    f = lambda *xs: case.fn(fnp, *xs)           # noqa: E731
    loop = [_leaves(f(*[a[i] for a in args])) for i in range(3)]
    want = [np.stack(parts) for parts in zip(*loop)]
    _assert_close(fl.vmap(f)(*args), want, np.float64)


def _real_scalar_parts(out):
    """Real outputs as they are; complex ones as real + 0.7 imag (a real function)."""
    leaves = out if isinstance(out, (tuple, list)) else (out,)
    return tuple(fnp.real(o) + 0.7 * fnp.imag(o) if fnp.isdtype(o.dtype, "complex floating")
                 else o for o in leaves)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad],
                         ids=[i for i, c in zip(IDS, CASES) if c.grad])
def test_grad_matches_finite_differences(case):
    args = _inputs(case)
    floats = [i for i, (kind, _) in enumerate(case.args) if KINDS[kind][0] == "f"]

    def f(*xs):
        full = list(args)
        for i, x in zip(floats, xs):
            full[i] = x
        return _real_scalar_parts(case.fn(fnp, *full))
    check_grads(f, [args[i] for i in floats], order=1, modes=("fwd", "rev"))


def test_second_order_and_compositions():
    x = np.random.default_rng(1).uniform(-0.8, 0.8, (3, 4))
    check_grads(lambda v: fnp.linalg.vector_norm(fnp.acos(v), axis=1), (x,), order=2)
    f = lambda v: fnp.sum(fnp.cumulative_sum(fnp.atanh(v), axis=1) ** 2)  # noqa: E731
    per_row = fl.jit(fl.vmap(fl.grad(f)))(x[:, None, :])
    loop = np.stack([np.asarray(fl.grad(f)(row[None, :])) for row in x])
    np.testing.assert_allclose(per_row, loop, rtol=1e-10)


def test_errors_name_what_was_wrong():
    with pytest.raises(ValueError, match="cumulative_sum: axis is required"):
        fnp.cumulative_sum(fnp.ones((2, 2)))
    with pytest.raises(ValueError, match="vecdot: .* different sizes"):
        fnp.vecdot(fnp.ones(3), fnp.ones(4))
    with pytest.raises(ValueError, match="matrix_transpose: x needs at least 2"):
        fnp.matrix_transpose(fnp.ones(3))
    with pytest.raises(ValueError, match="cross: the vectors .* must have 3 elements"):
        fnp.linalg.cross(fnp.ones(2), fnp.ones(2))
    with pytest.raises(ValueError, match="outer: x1 and x2 must be 1-d"):
        fnp.linalg.outer(fnp.ones((2, 2)), fnp.ones(2))
    with pytest.raises(ValueError, match="diagonal: x must be a stack of matrices"):
        fnp.linalg.diagonal(fnp.ones(3))
    with pytest.raises(TypeError, match="matrix_norm: ord='nuc' is not supported for complex"):
        fnp.linalg.matrix_norm(fnp.ones((2, 2), dtype=fnp.complex64), ord="nuc")
    with pytest.raises(ValueError, match="hfft: norm must be"):
        fnp.fft.hfft(fnp.ones(3), norm="sideways")
