"""functorch_lite.numpy manipulation, numerical and einsum functions against NumPy, with
every transform: values on random inputs (several shapes, axes, dtypes); ``check_grads``
for the differentiable ones; ``vmap`` against a Python loop; ``jit`` against eager.

``CASES`` maps each implemented name to its variants: a ``Case`` builds the traced array
arguments from a NumPy RNG (``arrays``; nested lists of arrays allowed) and fixes the
static keyword arguments (``kwargs``), which ``jit`` closes over.
"""
from dataclasses import dataclass

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import numpy as fnp
from transforms.pytree import tree_map
from xla_like import primitives as P

from table_harness import (B, F, I, assert_tree_close, case_args, case_params,  # noqa: F401
                           TableCase, check_grads_in, stack_trees)

pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Arrays of 2-dimensional vectors are deprecated:DeprecationWarning"),
    # isclose on infinities computes inf - inf (NaN) before it compares, as NumPy does
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
]


@dataclass
class Case(TableCase):
    vmap: bool = True


def sorted_points(rng, n):
    return np.cumsum(rng.uniform(0.2, 1.0, n)) - n / 2


def spaced(rng, n):
    return np.cumsum(rng.uniform(0.5, 1.5, n))


CASES = {
    "diag": [Case(lambda r: (F(r, 4),), {"k": 1}), Case(lambda r: (F(r, 3, 5),), {"k": -1}),
             Case(lambda r: (I(r, 3),))],
    "diagonal": [Case(lambda r: (F(r, 3, 4),)),
                 Case(lambda r: (F(r, 2, 3, 4),), {"offset": 1, "axis1": 2, "axis2": 0}),
                 Case(lambda r: (F(r, 3, 3),), {"offset": -5}),
                 Case(lambda r: (I(r, 4, 2, 3),), {"offset": -1, "axis1": -1, "axis2": 1})],
    "trace": [Case(lambda r: (F(r, 4, 4),)), Case(lambda r: (F(r, 3, 2, 4),), {"offset": 1})],
    "tril": [Case(lambda r: (F(r, 3, 4),)), Case(lambda r: (F(r, 2, 4, 3),), {"k": -1}),
             Case(lambda r: (I(r, 4),), {"k": 1})],
    "triu": [Case(lambda r: (F(r, 4, 3),)), Case(lambda r: (F(r, 2, 3, 3),), {"k": 1})],
    "tri": [Case(lambda r: (), {"N": 3, "M": 5, "k": 1}), Case(lambda r: (), {"N": 4}),
            Case(lambda r: (), {"N": 2, "M": 3, "dtype": np.int32})],
    "meshgrid": [Case(lambda r: (F(r, 3), F(r, 4))),
                 Case(lambda r: (F(r, 2), F(r, 3), F(r, 4)), {"indexing": "ij"}),
                 Case(lambda r: (F(r, 3), F(r, 2)), {"sparse": True})],
    "pad": [Case(lambda r: (F(r, 3, 4),), {"pad_width": ((1, 2), (0, 3))}),
            Case(lambda r: (F(r, 3, 2),), {"pad_width": 2, "constant_values": ((1.5, 2), (3, 4))}),
            Case(lambda r: (F(r, 4),), {"pad_width": (2, 3), "mode": "edge"}),
            Case(lambda r: (F(r, 3, 4),), {"pad_width": ((5, 2), (3, 6)), "mode": "reflect"}),
            Case(lambda r: (F(r, 3),), {"pad_width": 7, "mode": "symmetric"}),
            Case(lambda r: (I(r, 2, 3),), {"pad_width": ((4, 1), (2, 5)), "mode": "wrap"}),
            Case(lambda r: (F(r, 3, 4),), {"pad_width": ((2, 1), (0, 3)), "mode": "linear_ramp",
                                           "end_values": ((1.0, -2.0), (3.0, 0.5))}),
            Case(lambda r: (I(r, 5),), {"pad_width": (3, 2), "mode": "linear_ramp",
                                        "end_values": 7}),
            Case(lambda r: (F(r, 3, 4),), {"pad_width": ((1, 2), (2, 1)), "mode": "maximum"}),
            Case(lambda r: (F(r, 5),), {"pad_width": 2, "mode": "minimum", "stat_length": 3}),
            Case(lambda r: (F(r, 3, 4),), {"pad_width": ((1, 2), (3, 1)), "mode": "mean",
                                           "stat_length": ((1, 2), (2, 3))}),
            Case(lambda r: (I(r, 4, 3),), {"pad_width": 2, "mode": "mean"}),
            Case(lambda r: (F(r, 4, 3),), {"pad_width": ((2, 0), (1, 1)), "mode": "median"}),
            Case(lambda r: (I(r, 6),), {"pad_width": (1, 3), "mode": "median", "stat_length": 4}),
            Case(lambda r: (F(r, 3, 2),), {"pad_width": ((6, 2), (1, 3)), "mode": "reflect",
                                           "reflect_type": "odd"}),
            Case(lambda r: (F(r, 3),), {"pad_width": (4, 7), "mode": "symmetric",
                                        "reflect_type": "odd"}),
            Case(lambda r: (F(r, 2, 3),), {"pad_width": 1, "mode": "empty"},
                 numpy=lambda x, pad_width, mode: np.pad(x, pad_width))],
    "tile": [Case(lambda r: (F(r, 2, 3),), {"reps": (2, 1, 2)}),
             Case(lambda r: (F(r, 3),), {"reps": 2})],
    "repeat": [Case(lambda r: (F(r, 2, 3),), {"repeats": 2, "axis": 1}),
               Case(lambda r: (F(r, 2, 3),), {"repeats": 3}),
               Case(lambda r: (F(r, 3, 2),), {"repeats": [1, 0, 2], "axis": 0}),
               Case(lambda r: (F(r, 4), np.array([2, 0, 1, 3])), {"total_repeat_length": 6},
                    numpy=lambda a, k, **_: np.repeat(a, k), diff_argnums=(0,), vmap=False),
               Case(lambda r: (F(r, 3), np.array([2, 1, 1])), {"total_repeat_length": 6},
                    numpy=lambda a, k, **_: np.concatenate([np.repeat(a, k), a[-1:].repeat(2)]),
                    diff_argnums=(0,))],
    "roll": [Case(lambda r: (F(r, 5),), {"shift": 2}),
             Case(lambda r: (F(r, 3, 4),), {"shift": (1, -5), "axis": (0, 1)}),
             Case(lambda r: (F(r, 3, 4),), {"shift": -7}),
             Case(lambda r: (F(r, 2, 5), np.array(3)), {"axis": 1}, diff_argnums=(0,))],
    "rot90": [Case(lambda r: (F(r, 2, 3),)),
              Case(lambda r: (F(r, 2, 3, 4),), {"k": 3, "axes": (2, 0)}),
              Case(lambda r: (F(r, 3, 2),), {"k": -2})],
    "split": [Case(lambda r: (F(r, 6, 2),), {"indices_or_sections": 3}),
              Case(lambda r: (F(r, 2, 7),), {"indices_or_sections": [2, 5, 9], "axis": 1})],
    "array_split": [Case(lambda r: (F(r, 7),), {"indices_or_sections": 3}),
                    Case(lambda r: (F(r, 2, 5),), {"indices_or_sections": [3, 1, -1], "axis": 1})],
    "kron": [Case(lambda r: (F(r, 2, 3), F(r, 3, 2))), Case(lambda r: (F(r, 3), F(r, 2, 2))),
             Case(lambda r: (I(r, 2), I(r, 3)))],
    "cross": [Case(lambda r: (F(r, 4, 3), F(r, 3))),
              Case(lambda r: (F(r, 3, 2), F(r, 2, 3)), {"axisa": 0, "axisb": 1, "axisc": 0}),
              Case(lambda r: (F(r, 2), F(r, 4, 2))), Case(lambda r: (F(r, 2, 2), F(r, 2, 3)))],
    "logspace": [Case(lambda r: (F(r), F(r)), {"num": 5}),
                 Case(lambda r: (F(r, 2), F(r, 2)), {"num": 4, "base": 2.0, "endpoint": False})],
    "vander": [Case(lambda r: (F(r, 4),)), Case(lambda r: (F(r, 3),), {"N": 5, "increasing": True}),
               Case(lambda r: (I(r, 3),))],
    "diff": [Case(lambda r: (F(r, 6),)), Case(lambda r: (F(r, 4, 5),), {"n": 2, "axis": 0}),
             Case(lambda r: (F(r, 3, 4), F(r, 3, 1), F(r, 3, 2)), {"axis": 1},
                  numpy=lambda a, p, q, **k: np.diff(a, prepend=p, append=q, **k),
                  call=lambda a, p, q, **k: fnp.diff(a, prepend=p, append=q, **k)),
             Case(lambda r: (B(r, 5),)), Case(lambda r: (I(r, 5),), {"prepend": 0, "n": 3})],
    "gradient": [Case(lambda r: (F(r, 5),)), Case(lambda r: (F(r, 4, 5), 0.5), diff_argnums=(0,)),
                 Case(lambda r: (F(r, 4, 5), spaced(r, 5)), {"axis": 1, "edge_order": 2}),
                 Case(lambda r: (F(r, 3, 4), spaced(r, 3), 2.0), {"edge_order": 2},
                      diff_argnums=(0, 1))],
    "trapezoid": [Case(lambda r: (F(r, 5),)), Case(lambda r: (F(r, 3, 4),), {"dx": 0.5, "axis": 0}),
                  Case(lambda r: (F(r, 3, 4), spaced(r, 4)))],
    "interp": [Case(lambda r: (r.uniform(-4, 4, 7), sorted_points(r, 5), F(r, 5)),
                    diff_argnums=(0, 2)),
               Case(lambda r: (r.uniform(-4, 4, (2, 3)), sorted_points(r, 4), F(r, 4)),
                    {"left": -1.0, "right": 2.0}, diff_argnums=(0, 2)),
               Case(lambda r: (r.uniform(-9, 9, 6), r.permutation(6) * 0.9 + r.uniform(0, .2, 6),
                               F(r, 6)), {"period": 5.0}, diff_argnums=(2,))],
    "convolve": [Case(lambda r: (F(r, 6), F(r, 3))),
                 Case(lambda r: (F(r, 3), F(r, 5)), {"mode": "same"}),
                 Case(lambda r: (F(r, 6), F(r, 4)), {"mode": "valid"}),
                 Case(lambda r: (I(r, 4), I(r, 2))),
                 Case(lambda r: (F(r, 5) + 1j * F(r, 5), F(r, 3) - 2j * F(r, 3)))],
    "correlate": [Case(lambda r: (F(r, 6), F(r, 3))),
                  Case(lambda r: (F(r, 3), F(r, 5)), {"mode": "full"}),
                  Case(lambda r: (F(r, 5), F(r, 2)), {"mode": "same"}),
                  Case(lambda r: (F(r, 2), F(r, 4)), {"mode": "same"}),
                  Case(lambda r: (F(r, 5) + 1j * F(r, 5), F(r, 3) - 2j * F(r, 3)),
                       {"mode": "full"}),
                  Case(lambda r: (F(r, 2) + 0.5j * F(r, 2), F(r, 4) + 1j * F(r, 4)))],
    "polyval": [Case(lambda r: (F(r, 4), F(r, 3, 2))), Case(lambda r: (F(r, 1), F(r, 5)))],
    "select": [Case(lambda r: ([B(r, 4), B(r, 4)], [F(r, 4), F(r, 4)]), diff_argnums=(1,)),
               Case(lambda r: ([B(r, 2, 3)], [F(r, 2, 3)], F(r, 3)), diff_argnums=(1, 2))],
    "piecewise": [Case(lambda r: (F(r, 6), [B(r, 6), B(r, 6)]),
                       {"funclist": [lambda v: v * v, lambda v: -v, 0.5]}, diff_argnums=(0,)),
                  Case(lambda r: (F(r, 2, 3), [B(r, 2, 3)]),
                       {"funclist": [fnp.sin]},
                       numpy=lambda x, c, funclist: np.piecewise(x, c, [np.sin]),
                       diff_argnums=(0,))],
    "isclose": [Case(lambda r: (F(r, 5), F(r, 5) * 1e-6 + 1), {"atol": 1.0}, differentiable=False),
                Case(lambda r: (np.array([np.inf, np.nan, 1.0, -np.inf]),
                                np.array([np.inf, np.nan, 1.0, np.inf])),
                     {"equal_nan": True}, differentiable=False)],
    "allclose": [Case(lambda r: (F(r, 3), F(r, 3)), differentiable=False),
                 Case(lambda r: (np.ones(3), np.ones(3) + 1e-9), differentiable=False)],
    "array_equal": [Case(lambda r: (I(r, 4, lo=0, hi=2), I(r, 4, lo=0, hi=2)),
                         differentiable=False),
                    Case(lambda r: (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
                         {"equal_nan": True}, differentiable=False)],
    "unravel_index": [Case(lambda r: (I(r, 5, lo=0, hi=24),), {"shape": (2, 3, 4)},
                           differentiable=False)],
    "ravel_multi_index": [
        Case(lambda r: ((I(r, 4, lo=0, hi=3), I(r, 4, lo=0, hi=5)),), {"dims": (3, 5)},
             differentiable=False),
        Case(lambda r: ((I(r, 4, lo=-5, hi=9), I(r, 4, lo=-5, hi=9)),),
             {"dims": (3, 5), "mode": ("wrap", "clip"), "order": "F"}, differentiable=False)],
    "einsum": [Case(lambda r: (F(r, 2, 3), F(r, 3, 4)), {"subscripts": "ij,jk->ik"}),
               Case(lambda r: (F(r, 3, 3),), {"subscripts": "ii->"}),
               Case(lambda r: (F(r, 2, 2, 3), F(r, 2, 3, 4)), {"subscripts": "...ij,...jk"}),
               Case(lambda r: (F(r, 3), F(r, 4), F(r, 3, 4)), {"subscripts": "i,j,ij->"}),
               Case(lambda r: (I(r, 2, 3), I(r, 3)), {"subscripts": "ij,j"})],
}

IMPLEMENTED = sorted(CASES)


def _numpy_name(name):
    return {"trapezoid": "trapz"}.get(name, name) if not hasattr(np, name) else name


def _reference(name, case, arrays):
    if case.numpy is not None:
        return case.numpy(*arrays, **case.kwargs)
    kwargs = dict(case.kwargs)
    if name == "einsum":
        return np.einsum(kwargs.pop("subscripts"), *arrays, **kwargs)
    return getattr(np, _numpy_name(name))(*arrays, **kwargs)


def _call(name, case):
    fn = getattr(fnp, name) if case.call is None else case.call
    if name == "einsum":
        kwargs = dict(case.kwargs)
        spec = kwargs.pop("subscripts")
        return lambda *a: fn(spec, *a, **kwargs)
    return lambda *a: fn(*a, **case.kwargs)


PARAMS = case_params(CASES)


@pytest.mark.parametrize("name,i", PARAMS)
def test_values_match_numpy(name, i):
    case = CASES[name][i]
    for seed in range(2):
        arrays = case_args(case, seed)
        assert_tree_close(_call(name, case)(*arrays), _reference(name, case, arrays))


def _float_argnums(case, arrays):
    if case.diff_argnums is not None:
        return case.diff_argnums
    return tuple(k for k, a in enumerate(arrays)
                 if np.asarray(a).dtype in (np.float64, np.complex128))


def _where(flag):
    """The variants with ``flag`` set that have inputs to differentiate / map over."""
    out = []
    for p in PARAMS:
        case = CASES[p.values[0]][p.values[1]]
        arrays = case_args(case, 0)
        has_inputs = _float_argnums(case, arrays) if flag == "differentiable" else arrays
        if getattr(case, flag) and has_inputs:
            out.append(p)
    return out


# read by tests/test_numpy_surface.py: names without float inputs or outputs to vary
# (index helpers, comparisons) and, for ``tri``, without any array argument
NOT_DIFFERENTIABLE = set(IMPLEMENTED) - {p.values[0] for p in _where("differentiable")}
NOTHING_TO_MAP = set(IMPLEMENTED) - {p.values[0] for p in _where("vmap")}


@pytest.mark.parametrize("name,i", _where("differentiable"))
def test_grads(name, i):
    case = CASES[name][i]
    arrays = case_args(case, 0)
    argnums = _float_argnums(case, arrays)
    check_grads_in(_call(name, case), arrays, argnums, order=1, modes=("fwd", "rev"))


@pytest.mark.parametrize("name,i", _where("vmap"))
def test_vmap_matches_loop(name, i):
    case = CASES[name][i]
    samples = [case_args(case, seed) for seed in range(3)]
    fn = _call(name, case)
    got = fl.vmap(fn)(*stack_trees(samples))
    want = stack_trees([tree_map(np.asarray, fn(*s)) for s in samples])
    assert_tree_close(got, want)


@pytest.mark.parametrize("name,i", PARAMS)
def test_jit_matches_eager(name, i):
    case = CASES[name][i]
    arrays = case_args(case, 1)
    fn = _call(name, case)
    assert_tree_close(fl.jit(fn)(*arrays), tree_map(np.asarray, fn(*arrays)), 1e-6, 1e-9)


# ---- einsum -------------------------------------------------------------------------------

EINSUM_SPECS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->", [(3, 3)]),
    ("ii->i", [(4, 4)]), ("iij->j", [(2, 2, 3)]), ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("...i,...i", [(3, 4), (4,)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]),
    ("ijk,kl,lm->im", [(2, 3, 4), (4, 5), (5, 6)]),
    ("ab,bc,cd,de->ae", [(3, 8), (8, 2), (2, 9), (9, 3)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]), ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ij,ij,ij->i", [(3, 4), (3, 4), (3, 4)]), ("i,jk->", [(3,), (4, 5)]), (",i->i", [(), (3,)]),
    ("ji,kj", [(3, 2), (4, 3)]), ("a...a->...", [(3, 2, 3)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM_SPECS, ids=[s for s, _ in EINSUM_SPECS])
def test_einsum_matches_numpy_with_one_dot_per_pair(spec, shapes):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s) for s in shapes]
    assert_tree_close(fnp.einsum(spec, *xs), np.einsum(spec, *xs), 1e-10, 1e-10)
    assert_tree_close(fl.jit(lambda *a: fnp.einsum(spec, *a))(*xs), np.einsum(spec, *xs),
                       1e-10, 1e-10)
    program = fl.make_ir(lambda *a: fnp.einsum(spec, *a))(*xs)
    dots = [e for e in program.eqns if e.prim is P.dot_general_p]
    assert len(dots) == len(xs) - 1


def test_einsum_greedy_order_avoids_large_intermediates():
    # (x @ A) @ B is 1x50 then 1x50; x @ (A @ B) would build a 50x50 intermediate
    xs = [np.ones((1, 50)), np.ones((50, 50)), np.ones((50, 50))]
    program = fl.make_ir(lambda *a: fnp.einsum("ij,jk,kl->il", *a))(*xs)
    sizes = [e.outputs[0].aval.size for e in program.eqns if e.prim is P.dot_general_p]
    assert max(sizes) == 50
    left_to_right = fl.make_ir(lambda *a: fnp.einsum("jk,kl,ij->il", *a, optimize=False))(
        xs[1], xs[2], xs[0])
    sizes = [e.outputs[0].aval.size for e in left_to_right.eqns if e.prim is P.dot_general_p]
    assert max(sizes) == 2500


def test_einsum_interleaved_and_explicit_path():
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    want = np.einsum("ij,jk,k->i", a, b, c)
    assert_tree_close(fnp.einsum(a, [0, 1], b, [1, 2], c, [2], [0]), want, 1e-10, 1e-10)
    path = ["einsum_path", (1, 2), (0, 1)]
    assert_tree_close(fnp.einsum("ij,jk,k->i", a, b, c, optimize=path), want, 1e-10, 1e-10)


@pytest.mark.parametrize("spec,shapes,match", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "sizes"), ("ij->ik", [(2, 3)], "output"),
    ("ij", [(2, 3, 4)], "rank"), ("ij,jk", [(2, 3)], "operands"), ("i1->i", [(2,)], "invalid"),
])
def test_einsum_errors(spec, shapes, match):
    with pytest.raises(ValueError, match=match):
        fnp.einsum(spec, *[np.ones(s) for s in shapes])


# ---- specific behaviour -------------------------------------------------------------------

def test_repeat_with_traced_counts_under_jit():
    f = fl.jit(lambda a, k: fnp.repeat(a, k, total_repeat_length=5))
    out = f(np.arange(3.0), np.array([1, 3, 0]))
    np.testing.assert_array_equal(out, [0.0, 1.0, 1.0, 1.0, 2.0])
    with pytest.raises(TypeError, match="total_repeat_length"):
        fl.jit(lambda a, k: fnp.repeat(a, k))(np.arange(3.0), np.array([1, 3, 0]))


def test_piecewise_evaluates_every_function_and_differentiates():
    x = np.linspace(-2, 2, 9)
    f = lambda v: fnp.sum(fnp.piecewise(v, [v < 0, v >= 0], [lambda t: t * t, lambda t: 3 * t]))
    g = fl.jit(fl.grad(f))(x)
    np.testing.assert_allclose(g, np.where(x < 0, 2 * x, 3.0))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="equal division"):
        fnp.split(np.ones(5), 2)
    with pytest.raises(ValueError, match="mode"):
        fnp.pad(np.ones(3), 1, mode="average")
    with pytest.raises(ValueError, match="stat_length"):
        fnp.pad(np.ones(3), 1, mode="mean", stat_length=0)
    with pytest.raises(ValueError, match="empty axis"):
        fnp.pad(np.ones((0, 2)), 1, mode="edge")
    with pytest.raises(ValueError, match="out of bounds"):
        fnp.unravel_index(np.array([7]), (2, 3))
    with pytest.raises(ValueError, match="2 or 3"):
        fnp.cross(np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match="same length"):
        fnp.select([np.ones(2, bool)], [])
    with pytest.raises(ValueError, match="1-d"):
        fnp.convolve(np.ones((2, 2)), np.ones(2))


def test_unravel_index_clamps_traced_indices():
    out = fl.jit(lambda i: fnp.unravel_index(i, (2, 3)))(np.array([-4, 2, 99]))
    np.testing.assert_array_equal(np.stack([np.asarray(o) for o in out]), [[0, 0, 1], [0, 2, 2]])


@pytest.mark.slow
@pytest.mark.parametrize("name,i", PARAMS)
def test_values_match_numpy_float32_many_seeds(name, i):
    case = CASES[name][i]
    for seed in range(2, 12):
        arrays = tree_map(lambda a: np.asarray(a).astype(np.float32)
                          if np.asarray(a).dtype == np.float64 else a, case_args(case, seed))
        want = _reference(name, case, tree_map(lambda a: np.asarray(a).astype(np.float64)
                                               if np.asarray(a).dtype == np.float32 else a, arrays))
        assert_tree_close(_call(name, case)(*arrays), want, 2e-4, 2e-4)
