"""Fused loop kernels with reductions (xla_like/backends/llvm): compiled regions agree
with the reference interpreter on random shapes (0-d, empty, size-1 axes), axes and
dtypes, NaN/inf included; multi-pass rows (logsumexp, softmax) are one kernel; the
region contract (``fusible``, ``kernel_compatible``) matches what compiles; large
kernels split across threads and still agree."""
import re

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp
from functorch_lite import lax
from xla_like import primitives as P
from xla_like.backends.llvm import compile_kernel, fusible, kernel_compatible, parallel
from xla_like.backends.llvm.argreduce import expand_arg_reductions
from xla_like.ir import Eqn, Program, Var, make_aval
from xla_like.reference import evaluate
from xla_like.typecheck import typecheck

F32, F64, I32, I64, BOOL = (np.dtype(t) for t in ("float32", "float64", "int32", "int64",
                                                  "bool"))
RTOL = {F32: 2e-6, F64: 1e-13}
SHAPES = [(), (0,), (1,), (7,), (3, 4), (4, 1), (2, 0, 3), (3, 5, 2), (2, 3, 4, 5)]


def assert_close(got, want, magnitude, what):
    """Same shapes/dtypes; ints exact; floats within rtol * ``magnitude`` (the size of
    the terms summed), NaN where NaN and infinities equal."""
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, g.dtype, w.shape)
        if g.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=RTOL[g.dtype], atol=RTOL[g.dtype] * magnitude,
                                       equal_nan=True, err_msg=str(what))
        else:
            np.testing.assert_array_equal(g, w, err_msg=str(what))


def check(fun, *args):
    program = fl.make_ir(fun)(*args)
    kernel = compile_kernel(program)
    finite = [np.abs(a[np.isfinite(a)]).astype(np.float64) for a in args
              if np.asarray(a).dtype.kind == "f"]
    magnitude = max([1.0] + [float(f.sum()) for f in finite if f.size])
    assert_close(kernel(*args), evaluate(program, *args), magnitude, program)
    return kernel


# ---- random regions --------------------------------------------------------------------

REDUCTIONS = {F32: [fnp.sum, fnp.max, fnp.min, fnp.prod], F64: [fnp.sum, fnp.max, fnp.min],
              I32: [fnp.sum, fnp.max, fnp.min, fnp.prod], I64: [fnp.sum, fnp.max, fnp.min],
              BOOL: [fnp.any, fnp.all, fnp.max, fnp.min]}
PROLOGUES = {F32: [lambda a: a, fnp.tanh, lambda a: a * 0.5 - 1.0],
             F64: [lambda a: a, lambda a: fnp.exp(-fnp.abs(a)), fnp.sin],
             I32: [lambda a: a, lambda a: a * 3 - 1, fnp.abs],
             I64: [lambda a: a, lambda a: a // 2], BOOL: [lambda a: a, fnp.logical_not]}


def _lax_reduction(fn):
    def reduce(a, axis, keepdims):
        r = fn(a, axis)
        return fnp.expand_dims(r, axis) if keepdims else r
    return reduce


_LAX = {fnp.max: _lax_reduction(lax.reduce_max), fnp.min: _lax_reduction(lax.reduce_min)}


def _elements(dtype):
    if dtype == BOOL:
        return st.booleans()
    if dtype.kind == "i":
        return st.integers(-20, 20)
    finite = st.floats(-2, 2, width=8 * dtype.itemsize)
    return st.one_of(finite, finite, finite, finite, st.sampled_from([np.nan, np.inf, -np.inf]))


@st.composite
def reduction_cases(draw):
    dtype = draw(st.sampled_from(list(REDUCTIONS)))
    shape = draw(st.sampled_from(SHAPES))
    axes = tuple(sorted(draw(st.sets(st.integers(0, max(0, len(shape) - 1)),
                                     min_size=1 if shape else 0))) if shape else ())
    x = draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))
    reduce = draw(st.sampled_from(REDUCTIONS[dtype]))
    if x.size == 0 and reduce in (fnp.max, fnp.min):     # NumPy's max needs initial=
        reduce = _LAX[reduce]
    prologue = draw(st.sampled_from(PROLOGUES[dtype]))
    epilogue = draw(st.sampled_from(["none", "elementwise", "keepdims", "two_outputs"]))
    return dtype, x, axes, reduce, prologue, epilogue


def _region(axes, reduce, prologue, epilogue):
    def fun(x):
        y = prologue(x)
        r = reduce(y, axis=axes, keepdims=epilogue == "keepdims")
        if epilogue == "elementwise":
            return r * 2 if r.dtype != BOOL else ~r
        if epilogue == "keepdims":        # broadcast back along the reduced axes
            return fnp.where(y == r, y, r) if y.dtype == BOOL else y - r
        if epilogue == "two_outputs":
            return r, y
        return r
    return fun


@given(reduction_cases())
def test_random_reductions_match_reference(case):
    dtype, x, axes, reduce, prologue, epilogue = case
    check(_region(axes, reduce, prologue, epilogue), x)


@st.composite
def arg_cases(draw):
    dtype = draw(st.sampled_from(list(REDUCTIONS)))
    shape = draw(st.sampled_from([s for s in SHAPES if s and 0 not in s]))
    axis = draw(st.integers(0, len(shape) - 1))
    ties = st.sampled_from([-1.0, 0.0, 1.0, np.nan, -np.inf]) if dtype.kind == "f" else \
        _elements(dtype)
    x = draw(hnp.arrays(dtype, shape, elements=st.one_of(_elements(dtype), ties)))
    return x, axis, draw(st.sampled_from([fnp.argmax, fnp.argmin]))


@given(arg_cases())
def test_argmax_and_argmin_keep_the_first_extreme(case):
    """Ties and NaNs (the first NaN wins) included, fused with a max of the same rows."""
    x, axis, arg = case
    check(lambda a: (arg(a, axis=axis), fnp.max(a, axis=axis)), x)


def test_argmax_is_rewritten_into_vectorizable_reductions():
    x = np.ones((8, 64), np.float32)
    program = fl.make_ir(lambda a: fnp.argmax(a, axis=1))(x)
    expanded = expand_arg_reductions(program)
    typecheck(expanded)
    assert P.argmax_p not in {e.prim for e in expanded.eqns}
    kernel = compile_kernel(program)
    assert kernel.plan.n_passes == 2
    assert re.search(r"vector\.reduce\.s?min\.v\d+i32", kernel.optimized_ir)


def test_every_reduction_primitive_on_every_dtype_it_takes():
    rng = np.random.default_rng(0)
    cases = {P.reduce_sum_p: "iuf", P.reduce_prod_p: "iuf", P.reduce_max_p: "biuf",
             P.reduce_min_p: "biuf", P.reduce_and_p: "biu", P.reduce_or_p: "biu"}
    dtypes = [F32, F64, I32, I64, BOOL, np.dtype("uint8"), np.dtype("int8")]
    for prim, kinds in cases.items():
        for dtype in (d for d in dtypes if d.kind in kinds):
            x = (rng.standard_normal((6, 9)) * 4).astype(dtype)
            for axes in [(0,), (1,), (0, 1)]:
                invar = Var(make_aval(x.shape, dtype))
                out = Var(prim.abstract_eval(invar.aval, axes=axes))
                program = Program([invar], [], [], [Eqn(prim, [invar], [out], {"axes": axes})],
                                  [out])
                assert_close(compile_kernel(program)(x), evaluate(program, x),
                             float(np.abs(x.astype(np.float64)).sum()), (prim, dtype, axes))


# ---- row-wise patterns ---------------------------------------------------------------------

def logsumexp(x):
    m = fnp.max(x, axis=-1, keepdims=True)
    return fnp.log(fnp.sum(fnp.exp(x - m), axis=-1)) + m[..., 0]


def softmax(x):
    e = fnp.exp(x - fnp.max(x, axis=-1, keepdims=True))
    return e / fnp.sum(e, axis=-1, keepdims=True)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_logsumexp_is_one_kernel_of_two_passes(dtype):
    x = np.random.default_rng(1).standard_normal((64, 300)).astype(dtype) * 10
    x[3, 7], x[5, :], x[9, 2] = np.nan, -np.inf, np.inf
    kernel = check(logsumexp, x)
    assert kernel.plan.n_passes == 2 and kernel.plan.loop_sizes == (64, 300)


def test_softmax_and_a_column_reduction():
    x = np.random.default_rng(2).standard_normal((33, 17)).astype(np.float32)
    assert check(softmax, x).plan.n_passes == 3
    check(lambda a: (fnp.sum(a * a, axis=0), fnp.max(a, axis=0)), x)       # strided rows
    check(lambda a: fnp.mean(a, axis=(0, 2)), x.reshape(33, 1, 17))


@pytest.mark.parametrize("shape, axes", [((9, 700), (0,)), ((4, 3, 300), (1,)),
                                         ((5, 2, 3, 130), (0, 2))], ids=str)
def test_column_reductions_run_in_column_tiles(shape, axes):
    """Reduced axes before the contiguous one: blocks of columns, several blocks and a
    partial one, with a full-shape output and a row epilogue in the same kernel."""
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    x.flat[::97] = np.nan
    kernel = check(lambda a: (fnp.sum(a * a, axis=axes) * 0.5, fnp.max(a, axis=axes),
                              fnp.exp(a)), x)
    assert kernel.plan.columns
    check(lambda a: fnp.sum(a, axis=axes, keepdims=True) + 1.0, x.astype(np.float64))
    check(lambda a: fnp.min(a, axis=axes), (x * 10).astype(np.int32))


def _batch_norm(a, axes):
    mean = fnp.mean(a, axis=axes, keepdims=True)
    var = fnp.mean((a - mean) ** 2, axis=axes, keepdims=True)
    return (a - mean) / fnp.sqrt(var + 1e-5), mean, var


@pytest.mark.parametrize("shape, axes", [((9, 700), (0,)), ((4, 3, 300), (0, 1))], ids=str)
def test_multi_pass_column_reductions(shape, axes):
    """Batch-norm statistics and softmax over leading axes: two or three passes over
    each block of columns."""
    x = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    kernel = check(lambda a: _batch_norm(a, axes), x)
    assert kernel.plan.columns and kernel.plan.n_passes == 3
    check(lambda a: fnp.exp(a - fnp.max(a, axis=axes, keepdims=True)), x.astype(np.float64))


def test_reductions_over_empty_and_unit_axes():
    empty = np.zeros((3, 0), np.float32)
    kernel = check(lambda a: (fnp.sum(a, axis=1), lax.reduce_max(a, (1,))), empty)
    assert kernel(empty)[1].tolist() == [-np.inf] * 3
    check(lambda a: fnp.sum(a, axis=0) + 1.0, np.zeros((0, 4), np.float32))
    check(lambda a: fnp.min(a, axis=1), np.arange(5, dtype=np.int64).reshape(5, 1))


def test_iota_transpose_and_scalar_outputs():
    x = np.random.default_rng(3).standard_normal((6, 5)).astype(np.float64)
    check(lambda a: fnp.sum(a.T * fnp.arange(6.0), axis=1), x)
    check(lambda a: (fnp.sum(a), fnp.max(a)), x)


def test_big_kernels_split_across_threads_and_agree():
    x = np.random.default_rng(4).standard_normal((512, 1024)).astype(np.float32)
    program = fl.make_ir(logsumexp)(x)
    kernel = compile_kernel(program)
    assert kernel._elements >= parallel.PARALLEL_THRESHOLD
    assert_close(kernel(x), evaluate(program, x), float(np.abs(x).sum(1).max()), "lse")
    columns = fl.make_ir(lambda a: (fnp.sum(a, axis=0), fnp.argmax(a, axis=0)))(x[:, :1000])
    kernel = compile_kernel(columns)
    assert kernel.plan.columns and kernel._elements >= parallel.PARALLEL_THRESHOLD
    assert_close(kernel(x[:, :1000]), evaluate(columns, x[:, :1000]),
                 float(np.abs(x).sum(0).max()), "columns")
    nested = parallel._workers().submit(kernel, x[:, :1000])      # from a pool thread
    assert_close(nested.result(timeout=60), evaluate(columns, x[:, :1000]),
                 float(np.abs(x).sum(0).max()), "nested")
    assert parallel.chunks(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert parallel.chunks(1, 4) == [(0, 1)]


def test_parallel_run_covers_the_range_once_and_raises_chunk_errors():
    taken = []
    parallel.run(lambda start, stop: taken.append((start, stop)), [], 1000, 1 << 30,
                 threshold=0)
    covered = sorted(i for start, stop in taken for i in range(start, stop))
    assert covered == list(range(1000)) and len(taken) >= 2

    def fail(start, stop):
        if start == 0:
            raise ValueError("chunk failed")
    with pytest.raises(ValueError, match="chunk failed"):
        parallel.run(fail, [], 100, 1 << 30, threshold=0)


def test_float_sums_vectorize_with_partial_sums():
    kernel = compile_kernel(fl.make_ir(lambda a: fnp.sum(a, axis=1))(np.ones((4, 64), F32)))
    assert "reassoc" in kernel.llvm_ir
    assert "<16 x float>" in kernel.optimized_ir or "<8 x float>" in kernel.optimized_ir


# ---- the region contract ---------------------------------------------------------------------

def _eqns(fun, *args):
    return fl.make_ir(fun)(*args).eqns


def test_fusible():
    x = np.ones((2, 3), np.float32)
    assert all(fusible(e) for e in _eqns(logsumexp, x))
    assert fusible(_eqns(lambda a: fnp.argmax(a, axis=1), x)[0])
    assert fusible(_eqns(lambda a: a.T, x)[0])
    assert not fusible(_eqns(lambda a: fnp.cumsum(a, axis=0), x)[0])
    assert not fusible(_eqns(lambda a: a.reshape(3, 2), x)[0])
    assert not fusible(_eqns(lambda a: a * a, x.astype(np.complex64))[0])
    assert not fusible(_eqns(lambda a: a + a, x.astype(np.float16))[0])
    printed = [e for e in _eqns(lambda a: fl.debug.print("{a}", a=a) or a, x)
               if e.prim.effectful] if hasattr(fl, "debug") else []
    assert not any(fusible(e) for e in printed)


INCOMPATIBLE = {
    "different axes": lambda a: (fnp.sum(a, axis=0), fnp.sum(a, axis=1)),
    "onto a reduced axis": lambda a: a - fnp.sum(a, axis=1)[None, :],
    "reduced twice": lambda a: fnp.sum(fnp.sum(a, axis=1), axis=0),
    "output of another shape": lambda a: (a + 1.0, a[0]),
}


@pytest.mark.parametrize("name", list(INCOMPATIBLE))
def test_incompatible_regions_are_refused_with_a_reason(name):
    program = fl.make_ir(INCOMPATIBLE[name])(np.ones((4, 4), np.float32))
    assert not kernel_compatible(program)
    with pytest.raises(NotImplementedError, match="LLVM kernel"):
        compile_kernel(program)


def test_compatible_regions_are_accepted():
    x = np.ones((4, 6), np.float32)
    for fun in (logsumexp, softmax, lambda a: (fnp.sum(a, axis=1, keepdims=True), a * 2.0)):
        assert kernel_compatible(fl.make_ir(fun)(x))


# ---- software-pipelined rows (codegen.PIPELINE_ROWS) ------------------------------------------

def _softmax(x):
    e = fnp.exp(x - fnp.max(x, axis=1, keepdims=True))
    return e / fnp.sum(e, axis=1, keepdims=True)


def _logsumexp(x):
    m = fnp.max(x, axis=1, keepdims=True)
    return fnp.log(fnp.sum(fnp.exp(x - m), axis=1)) + m[:, 0], fnp.argmax(x, axis=1)


@pytest.mark.parametrize("fun", [_softmax, _logsumexp], ids=["softmax", "logsumexp"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 17), (2, 5), (3, 16), (7, 33), (300, 1001)])
def test_pipelined_rows_agree_with_reference(fun, shape):
    """Multi-pass rows are pipelined (row k's pass 1 with row k+1's pass 0): one row,
    two, odd lengths, and 300 rows split across threads (chunks end mid-array) agree
    with the reference, NaN and infinities included."""
    from xla_like.backends.llvm.codegen import pipelined
    x = np.random.default_rng(shape[1]).standard_normal(shape).astype(np.float32) * 3
    x[shape[0] // 2, shape[1] // 2] = np.nan
    x[-1, 0] = np.inf
    x[0, -1] = -np.inf
    program = fl.make_ir(fun)(x)
    kernel = compile_kernel(program)
    assert pipelined(kernel.plan)
    assert_close(kernel(x), evaluate(program, x), shape[1], (fun.__name__, shape))
