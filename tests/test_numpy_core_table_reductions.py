"""functorch_lite.numpy reductions and products (``_reductions``, ``_linalg_core``), the
numeric functions of ``functorch_lite.nn``, and the checks that the submodules' own
test files (test_linalg.py, test_fft.py) do not drive for some names, against
NumPy/SciPy with every transform, through the harness of
``tests/test_numpy_core_table.py`` (see its docstring)."""
import numpy as np
import scipy.linalg
import scipy.special

from functorch_lite import numpy as fnp
from test_numpy_core_table import Case, registry, table_tests


def reduction(*extra, ints=True, axes=(None, 0, -1, (0, 2)), **kw):
    """Float64 variants over ``axes`` (keepdims on the tuple), float32, and int32."""
    cases = [Case(lambda d, a=a: (d.f((2, 3, 4)),), {"axis": a, "keepdims": a == (0, 2)},
                  **kw) for a in axes]
    cases.append(Case(lambda d: (d.f(None, dtype=np.float32),), **kw))
    if ints:
        cases.append(Case(lambda d: (d.i((3, 4), -3, 3),), {"axis": 1}))
    return cases + list(extra)


def positive_ish(d, shape):
    """Values in [0.5, 1.5] with random signs: products stay moderate."""
    return d.away(shape, 0.5, 1.5)


def spd(d, n=3):
    a = d.f((n, n))
    return a @ a.T + n * np.eye(n)


def lower(d, n=3):
    return np.tril(d.f((n, n))) + 3 * np.eye(n)


CASES = {
    "sum": reduction(Case(lambda d: (d.b((3, 4)),), {"axis": 0}),
                     Case(lambda d: (d.c((3, 4)),), {"axis": 1}),
                     Case(lambda d: (d.f((3, 4)),), {"axis": 1, "dtype": np.complex128}),
                     Case(lambda d: (d.f((3, 4)), 0, None, None, False, 1.5),
                          diff_argnums=(0,))),
    "prod": reduction(Case(lambda d: (positive_ish(d, (2, 3, 4)),), {"axis": (0, 2)}),
                      order=2),
    "max": reduction(), "amax": reduction(axes=(None, 1)), "min": reduction(),
    "amin": reduction(axes=(0,)),
    "mean": reduction(Case(lambda d: (d.f((3, 4)), 1, None, None, False, d.b((3, 4)) | True),
                           numpy=lambda x, ax, dt, out, kd, where: np.mean(x, ax, where=where),
                           call=lambda x, ax, dt, out, kd, where: fnp.mean(x, ax, where=where),
                           diff_argnums=(0,))),
    "var": reduction(Case(lambda d: (d.f((3, 5)),), {"axis": 1, "ddof": 1}),
                     Case(lambda d: (d.c((3, 4)),), {"axis": 0}), order=2),
    "std": reduction(Case(lambda d: (d.f((3, 5)),), {"axis": 0, "ddof": 1})),
    "all": [Case(lambda d: (d.b(),)), Case(lambda d: (d.i((3, 4), 0, 3),), {"axis": 0}),
            Case(lambda d: (d.f((2, 3)),), {"axis": -1, "keepdims": True})],
    "any": [Case(lambda d: (d.b(),)), Case(lambda d: (d.i((3, 4), 0, 2),), {"axis": 1}),
            Case(lambda d: (d.f((2, 3)) > 1,), {"axis": (0, 1)})],
    "argmax": [Case(lambda d: (d.f(),)), Case(lambda d: (d.f((3, 4)),), {"axis": 0}),
               Case(lambda d: (d.i((3, 4)),), {"axis": -1, "keepdims": True})],
    "argmin": [Case(lambda d: (d.f(),)), Case(lambda d: (d.f((3, 4)),), {"axis": 1}),
               Case(lambda d: (d.i((2, 3, 4)),), {"axis": 0})],
    "cumsum": [Case(lambda d: (d.f(),)), Case(lambda d: (d.f((3, 4)),), {"axis": 0}),
               Case(lambda d: (d.i((3, 4), -3, 3),), {"axis": -1}),
               Case(lambda d: (d.f((3, 4), dtype=np.float32),), {"axis": 1}),
               Case(lambda d: (d.c((3, 4)),), {"axis": 0})],
    "cumprod": [Case(lambda d: (positive_ish(d, (5,)),), order=2),
                Case(lambda d: (positive_ish(d, (3, 4)),), {"axis": 1}),
                Case(lambda d: (d.i((3, 4), -2, 3),), {"axis": 0, "dtype": np.float64})],
    # products
    "dot": [Case(lambda d: (d.f((3,)), d.f((3,)))), Case(lambda d: (d.f((2, 3)), d.f((3, 4)))),
            Case(lambda d: (d.f((2, 3, 4)), d.f((4,)))), Case(lambda d: (d.f(()), d.f((2, 3)))),
            Case(lambda d: (d.i((2, 3)), d.i((3,))))],
    "matmul": [Case(lambda d: (d.f((2, 3)), d.f((3, 4))), order=2),
               Case(lambda d: (d.f((2, 1, 2, 3)), d.f((3, 3, 2)))),
               Case(lambda d: (d.f((3,)), d.f((2, 3, 4)))),
               Case(lambda d: (d.f((2, 3), dtype=np.float32), d.f((3,), dtype=np.float32))),
               Case(lambda d: (d.i((2, 3)), d.i((3, 2)))),
               Case(lambda d: (d.c((2, 3)), d.c((3,))))],
    "inner": [Case(lambda d: (d.f((2, 3)), d.f((4, 3)))), Case(lambda d: (d.f((3,)), d.f((3,))))],
    "outer": [Case(lambda d: (d.f((3,)), d.f((2, 2)))), Case(lambda d: (d.i((2,)), d.i((3,))))],
    "vdot": [Case(lambda d: (d.f((2, 3)), d.f((3, 2)))), Case(lambda d: (d.c((4,)), d.c((2, 2))))],
    "tensordot": [Case(lambda d: (d.f((2, 3, 4)), d.f((3, 4, 2)))),
                  Case(lambda d: (d.f((2, 3)), d.f((3, 2))), {"axes": 1}),
                  Case(lambda d: (d.f((2, 3, 4)), d.f((4, 2, 3))), {"axes": ([1, 2], [2, 0])})],
    # functorch_lite.nn
    "nn.logsumexp": [Case(lambda d: (d.f((3, 4), -30, 30),), {"axis": 1},
                          numpy=scipy.special.logsumexp, order=2),
                     Case(lambda d: (d.f(),), numpy=scipy.special.logsumexp)],
    "nn.softmax": [Case(lambda d: (d.f((3, 4), -5, 5),),
                        numpy=lambda x: scipy.special.softmax(x, axis=-1))],
    "nn.log_softmax": [Case(lambda d: (d.f((3, 4), -5, 5),), {"axis": 0},
                            numpy=scipy.special.log_softmax)],
    "nn.relu": [Case(lambda d: (d.away(),), numpy=lambda x: np.maximum(x, 0))],
    "nn.sigmoid": [Case(lambda d: (d.f(None, -6, 6),), numpy=scipy.special.expit, order=2)],
    "nn.softplus": [Case(lambda d: (d.f(None, -30, 30),), numpy=lambda x: np.logaddexp(0, x),
                         order=2)],
    "nn.safe_norm": [Case(lambda d: (d.f((3, 4)),), {"axis": 1},
                          numpy=lambda x, axis: np.linalg.norm(x, axis=axis)),
                     Case(lambda d: (d.f(),), numpy=lambda x: np.linalg.norm(np.ravel(x)))],
    # functorch_lite.numpy.linalg / scipy.linalg / fft names that tests/test_linalg.py and
    # tests/test_fft.py check for values only, or not at all
    "linalg.matrix_transpose": [Case(lambda d: (d.f((2, 3, 4)),),
                                     numpy=lambda x: np.swapaxes(x, -1, -2))],
    "linalg.eigvalsh": [Case(lambda d: ((lambda a: a + a.T)(d.f((3, 3))) + np.diag([0., 3, 6]),))],
    "linalg.svdvals": [Case(lambda d: (d.f((3, 2)) + np.eye(3, 2),),
                            numpy=lambda a: np.linalg.svd(a, compute_uv=False))],
    "linalg.matrix_rank": [Case(lambda d: (d.f((3, 4)),))],
    "scipy.linalg.cholesky": [Case(lambda d: (spd(d),)),
                              Case(lambda d: (spd(d),), {"lower": True})],
    "scipy.linalg.solve_triangular": [Case(lambda d: (lower(d), d.f((3, 2))), {"lower": True})],
    "scipy.linalg.cho_solve": [Case(lambda d: ((np.linalg.cholesky(spd(d)), True), d.f((3,))),
                                    diff_argnums=(1,),
                                    numpy=lambda c, b: scipy.linalg.cho_solve(c, b))],
    # rank >= 1: fft.fftshift of a 0-d array raises (NumPy returns it), see the report
    "fft.fftshift": [Case(lambda d: (d.f(d.shape(1, 3)),)),
                     Case(lambda d: (d.f((3, 4)),), {"axes": 1})],
    "fft.ifftshift": [Case(lambda d: (d.f(d.shape(1, 3)),)),
                      Case(lambda d: (d.c((5, 2)),), {"axes": 0})],
    # the Array API's unique_* (tests/test_array_api.py checks ties and NaNs; here: distinct
    # floats, whose unique values are differentiable, with a static size for jit and vmap)
    "unique_values": [Case(lambda d: (d.f((6,)),), {"size": 6},
                           numpy=lambda x, size: np.unique_values(x))],
    "unique_counts": [Case(lambda d: (d.f((2, 3)),), {"size": 6},
                           numpy=lambda x, size: tuple(np.unique_counts(x)))],
    "unique_inverse": [Case(lambda d: (d.f((2, 3)),), {"size": 6},
                            numpy=lambda x, size: tuple(np.unique_inverse(x)))],
    "unique_all": [Case(lambda d: (d.f((5,)),), {"size": 5},
                        numpy=lambda x, size: tuple(np.unique_all(x)))],
    "fft.fftfreq": [Case(lambda d: (5, 0.1)), Case(lambda d: (6,))],
    "fft.rfftfreq": [Case(lambda d: (7, 2.0)), Case(lambda d: (6,))],
}

IMPLEMENTED, NOT_DIFFERENTIABLE, NOTHING_TO_MAP = registry(CASES)

globals().update(table_tests(CASES))
