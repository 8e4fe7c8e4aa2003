"""functorch_lite.numpy shape, creation, conversion and indexing functions (``_shape``,
``_creation``, ``_convert``, ``_indexing``) against NumPy, with every transform, through
the harness of ``tests/test_numpy_core_table.py`` (see its docstring)."""
import numpy as np

import functorch_lite as fl
from functorch_lite import numpy as fnp
from test_numpy_core_table import Case, registry, table_tests


def f(d, *shape):
    return d.f(shape)


def same_shapes(n, make_one):
    """``n`` arrays of one random shape (rank >= 1)."""
    def make(d):
        shape = d.shape(1, 3)
        return ([make_one(d, shape) for _ in range(n)],)
    return make


def joinable(axis, rank=(1, 3), floats_only=False):
    """Three arrays (float, float, int unless ``floats_only``) that agree on every axis
    but ``axis``."""
    def make(d):
        shape = list(d.shape(*rank))
        parts = []
        types = (np.float64,) * 3 if floats_only else (np.float64, np.float64, np.int32)
        for k, t in enumerate(types):
            shape[axis] = k + 1
            parts.append(d.f(tuple(shape)).astype(t))
        return (parts,)
    return make


DTYPES = [np.dtype(t) for t in ("bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 "
                                "float16 float32 float64 complex64 complex128").split()]


def dtype_code(fn):
    """A function returning a dtype, as an int array the tables can compare."""
    return lambda *a, **k: np.array(DTYPES.index(np.dtype(fn(*a, **k))))


STATIC = "start, stop and step are static Python numbers"


CASES = {
    # shapes
    "reshape": [Case(lambda d: (f(d, 2, 3, 2),), {"newshape": (3, -1)},
                     call=lambda x, newshape: fnp.reshape(x, newshape),
                     numpy=lambda x, newshape: np.reshape(x, newshape)),
                Case(lambda d: (f(d, 2, 6),), {"shape": (4, 3), "order": "F"},
                     call=lambda x, shape, order: fnp.reshape(x, shape, order=order),
                     numpy=lambda x, shape, order: np.reshape(x, shape, order=order)),
                Case(lambda d: (d.i((4, 1)),), {"shape": -1},
                     call=lambda x, shape: fnp.reshape(x, shape),
                     numpy=lambda x, shape: np.reshape(x, shape))],
    "ravel": [Case(lambda d: (d.f(),)), Case(lambda d: (f(d, 2, 3),), {"order": "F"}),
              Case(lambda d: (d.b(),))],
    "transpose": [Case(lambda d: (f(d, 2, 3, 4),), {"axes": (2, 0, 1)}),
                  Case(lambda d: (d.f(),)), Case(lambda d: (d.i((2, 3)),))],
    "swapaxes": [Case(lambda d: (f(d, 2, 3, 4),), {"axis1": 0, "axis2": -1}),
                 Case(lambda d: (d.i((2, 3)),), {"axis1": 1, "axis2": 0})],
    "moveaxis": [Case(lambda d: (f(d, 2, 3, 4),), {"source": 0, "destination": -1}),
                 Case(lambda d: (f(d, 2, 3, 4),), {"source": (0, 1), "destination": (2, 0)})],
    "flip": [Case(lambda d: (f(d, 2, 3),), {"axis": 1}), Case(lambda d: (d.f(),)),
             Case(lambda d: (d.i((2, 3, 2)),), {"axis": (0, 2)})],
    "expand_dims": [Case(lambda d: (d.f(),), {"axis": 0}),
                    Case(lambda d: (f(d, 2, 3),), {"axis": (0, -1)})],
    "squeeze": [Case(lambda d: (f(d, 1, 3, 1),)), Case(lambda d: (f(d, 2, 1),), {"axis": 1}),
                Case(lambda d: (d.i((1, 2, 1)),), {"axis": (0, 2)})],
    "broadcast_to": [Case(lambda d: (f(d, 3, 1),), {"shape": (2, 3, 4)}),
                     Case(lambda d: (d.i((3,)),), {"shape": (2, 3)})],
    "broadcast_arrays": [Case(lambda d: (f(d, 3, 1), f(d, 4)),
                              numpy=lambda *a: tuple(np.broadcast_arrays(*a))),
                         Case(lambda d: (d.i((2, 1)), f(d, 1, 3)), differentiable=False,
                              numpy=lambda *a: tuple(np.broadcast_arrays(*a)),
                              why="an int output: float pairs are case 0")],
    "atleast_1d": [Case(lambda d: (d.f(),)), Case(lambda d: (f(d), f(d, 2, 3)))],
    "atleast_2d": [Case(lambda d: (d.f(),)), Case(lambda d: (f(d, 3), d.f(())))],
    "atleast_3d": [Case(lambda d: (d.f(),)), Case(lambda d: (f(d, 3), f(d, 2, 3)))],
    "concatenate": [Case(joinable(0)), Case(joinable(-1), {"axis": -1}),
                    Case(joinable(0), {"axis": None}),
                    Case(joinable(1, (2, 3), floats_only=True), {"axis": 1})],
    "stack": [Case(same_shapes(3, lambda d, s: d.f(s))),
              Case(same_shapes(2, lambda d, s: d.f(s)), {"axis": -1}),
              Case(same_shapes(2, lambda d, s: d.i(s)), {"axis": 1})],
    "hstack": [Case(joinable(1, (2, 3))), Case(same_shapes(2, lambda d, s: d.f(s)))],
    "vstack": [Case(same_shapes(3, lambda d, s: d.f(s))), Case(joinable(0, (2, 3)))],
    "dstack": [Case(same_shapes(2, lambda d, s: d.f(s)))],
    "astype": [Case(lambda d: (d.f(), np.complex128)), Case(lambda d: (d.f(), np.int32)),
               Case(lambda d: (d.i(), np.float32)), Case(lambda d: (d.f(), bool))],
    "ndim": [Case(lambda d: (d.f(),)), Case(lambda d: (d.i((2, 3)),))],
    "shape": [Case(lambda d: (d.f(),)), Case(lambda d: (d.i((2, 3)),))],
    "size": [Case(lambda d: (d.f(),)), Case(lambda d: (f(d, 2, 3),), {"axis": -1})],
    "result_type": [Case(lambda d: (d.f((2,), dtype=np.float32), d.i((2,), dtype=np.int8)),
                         call=dtype_code(fnp.result_type), numpy=dtype_code(np.result_type)),
                    Case(lambda d: (d.i((2,), dtype=np.int8), d.i((2,), dtype=np.uint8)),
                         call=dtype_code(fnp.result_type), numpy=dtype_code(np.result_type))],
    "promote_types": [Case(lambda d: (np.int8, np.uint8), call=dtype_code(fnp.promote_types),
                           numpy=dtype_code(np.promote_types)),
                      Case(lambda d: (np.float32, np.int16), call=dtype_code(fnp.promote_types),
                           numpy=dtype_code(np.promote_types))],
    "broadcast_shapes": [Case(lambda d: ((2, 1), (3,), (1, 1, 1)))],
    # creation
    "array": [Case(lambda d: (d.f(),)), Case(lambda d: (d.i((2, 3)),), {"ndmin": 3}),
              Case(lambda d: (d.f(),), {"dtype": np.complex128})],
    "asarray": [Case(lambda d: (d.f(),)), Case(lambda d: (d.i(),), {"dtype": np.float64})],
    "zeros": [Case(lambda d: (), {"shape": (2, 3)}), Case(lambda d: ((4,), np.int8))],
    "ones": [Case(lambda d: (), {"shape": (2, 3)}), Case(lambda d: (3, bool))],
    "empty": [Case(lambda d: (), {"shape": (2, 3)}, numpy=lambda shape: np.zeros(shape))],
    "full": [Case(lambda d: ((2, 3), d.f(())), numpy=np.full, diff_argnums=(1,)),
             Case(lambda d: ((2, 4), d.f((4,))), diff_argnums=(1,)),
             Case(lambda d: ((3,), 7))],
    "zeros_like": [Case(lambda d: (d.f(),)), Case(lambda d: (d.i(),), {"dtype": np.float32})],
    "ones_like": [Case(lambda d: (d.f(),)), Case(lambda d: (d.i((2, 3)),), {"shape": (4,)})],
    "empty_like": [Case(lambda d: (d.f(),), numpy=np.zeros_like)],
    "full_like": [Case(lambda d: (d.f(), d.f(())), diff_argnums=(1,)),
                  Case(lambda d: (d.i((2, 3)), 2.7))],
    "arange": [Case(lambda d: (2, 9, 3)), Case(lambda d: (5,), {"dtype": np.float32}),
               Case(lambda d: (1.0, 2.0, 0.25), differentiable=False, why=STATIC)],
    "linspace": [Case(lambda d: (d.f(()), d.f(())), {"num": 5}),
                 Case(lambda d: (f(d, 2), f(d, 2)), {"num": 4, "endpoint": False}),
                 Case(lambda d: (f(d, 2, 3), f(d, 3)), {"num": 4, "axis": -1}),
                 Case(lambda d: (d.f(()), d.f(())), {"num": 3, "retstep": True},
                      numpy=lambda a, b, **k: np.linspace(a, b, **k))],
    "eye": [Case(lambda d: (3,), {"M": 4, "k": 1}), Case(lambda d: (2,), {"dtype": np.int32})],
    "identity": [Case(lambda d: (3,)), Case(lambda d: (2, bool))],
    # interop (the meta-test's alias rule covers nothing here: a real entry)
    "from_dlpack": [Case(lambda d: (d.f(),), numpy=np.from_dlpack, differentiable=False,
                         why="imports an external buffer: no traced computation"),
                    Case(lambda d: (d.i((2, 3)),), numpy=np.from_dlpack)],
    # indexing
    "take": [Case(lambda d: (f(d, 3, 4), d.i((5,), 0, 12))),
             Case(lambda d: (f(d, 3, 4), d.i((2, 2), -4, 4)), {"axis": 1}),
             Case(lambda d: (f(d, 5), d.i((3,), -9, 9)), {"mode": "wrap"}),
             Case(lambda d: (d.i((2, 4)), d.i((3,), -9, 9)), {"axis": 1, "mode": "clip"})],
    "take_along_axis": [
        Case(lambda d: (f(d, 3, 4), d.i((3, 2), 0, 4)), {"axis": 1}),
        Case(lambda d: (f(d, 3, 4), d.i((2, 4), -3, 3)), {"axis": 0}),
        Case(lambda d: (f(d, 2, 3, 4), d.i((2, 3, 1), 0, 4)), {"axis": -1}),
        Case(lambda d: (d.i((5,)), d.i((5,), 0, 5)), {"axis": 0})],
}

# Functions whose result is metadata (ints, tuples, dtypes), not arrays: vmap has no
# array to return (NumPy's answers are checked, and jit where it takes arrays).
NOT_MAPPED = {
    "ndim": "returns a Python int", "shape": "returns a tuple of ints",
    "size": "returns a Python int", "result_type": "returns a dtype",
    "promote_types": "returns a dtype (no array argument)",
    "broadcast_shapes": "returns a tuple of ints (no array argument)",
    "from_dlpack": "imports a buffer from another library; traced values have none",
}
NOT_JITTED = {"promote_types": "returns a dtype (no array argument)",
              "broadcast_shapes": "returns a tuple of ints (no array argument)",
              "result_type": "returns a dtype",
              "from_dlpack": "imports a buffer from another library; traced values have none"}
for _name in NOT_MAPPED:
    for _case in CASES[_name]:
        _case.vmap = False
for _name in NOT_JITTED:
    for _case in CASES[_name]:
        _case.jit = False

IMPLEMENTED, NOT_DIFFERENTIABLE, NOTHING_TO_MAP = registry(CASES)

globals().update(table_tests(CASES))


def test_creation_under_jit_and_vmap_take_traced_fill_values():
    out = fl.vmap(lambda v: fnp.full((2,), v) + fnp.zeros_like(v))(np.arange(3.0))
    np.testing.assert_array_equal(out, np.repeat(np.arange(3.0), 2).reshape(3, 2))
    step = fl.jit(lambda a, b: fnp.linspace(a, b, 5, retstep=True)[1])(0.0, 2.0)
    assert float(step) == 0.5

