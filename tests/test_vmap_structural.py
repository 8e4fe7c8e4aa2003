"""vmap of the structural and indexing primitives: every primitive against a Python
loop over the batch (exact, NaN-aware), with each operand mapped over its first axis,
its last axis or not at all, eagerly and staged; nested vmap; the IR keeps unbatched
operands unbatched where the rules promise it; rule coverage."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import functorch_lite as fl
import transforms.vmap_structural  # noqa: F401  (registers the rules under test)
from functorch_lite import numpy as fnp
from primitive_cases import CASES, arrays
from transforms.core import bind
from transforms.vmap import batch_rules
from xla_like import primitives as P
from xla_like.primitives import indexing, structural
from xla_like.reference import evaluate

PRIMS = [getattr(m, name) for m in (structural, indexing) for name in m.__all__]
OPERAND_PRIMS = [p for p in PRIMS if p is not P.iota_p]
IN_AXES = (0, -1, None)
SCATTERS = (P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.scatter_min_p, P.scatter_max_p)


# ---- fresh batch elements that stay valid operands -----------------------------------------------

def _start_bounds(first_start):
    """Start index ``i`` (operand ``i >= first_start``) of dimension d: [-3, d + 3]."""
    def bounds(args, params, i):
        return (-3, args[0].shape[i - first_start] + 3) if i >= first_start else None
    return bounds


def _index_bounds(args, params, i):
    """Index rows: [-1, largest addressed dimension] (some rows out of range)."""
    if i != 1:
        return None
    return -1, max([args[0].shape[a] for a in params["axes"]], default=0)


# prim -> (args, params, operand number) -> (lo, hi) for index operands, None for data
INDEX_BOUNDS = {P.dynamic_slice_p: _start_bounds(1), P.dynamic_update_slice_p: _start_bounds(2),
                P.gather_p: _index_bounds}
INDEX_BOUNDS.update({p: _index_bounds for p in SCATTERS})
# prim -> (lo, hi, NaN and infinities too) for data operands; small products for
# scatter_mul (and no 0 * inf: NumPy warns on the NaN it makes)
DATA_BOUNDS = {P.scatter_mul_p: (-2, 2, False)}


def _fresh(draw, prim, args, params, i):
    """Another valid value for operand ``i``: same shape and dtype, new elements."""
    a = args[i]
    index_bounds = INDEX_BOUNDS.get(prim, lambda *_: None)(args, params, i)
    if index_bounds is not None:
        return draw(arrays(a.dtype, a.shape, *index_bounds))
    lo, hi, special = DATA_BOUNDS.get(prim, (-8, 8, True))
    return draw(arrays(a.dtype, a.shape, lo, hi, special=special and a.dtype.kind == "f"))


def _fresh_args(draw, prim, args, params):
    return [_fresh(draw, prim, args, params, i) for i in range(len(args))]


def _draw_axes(draw, args):
    """0, -1 or None per operand; 1 too where it is a middle axis of the stacked operand
    (so a batch dimension also arrives between the others)."""
    axes = [draw(st.sampled_from(IN_AXES + ((1,) if a.ndim >= 1 else ()))) for a in args]
    if all(a is None for a in axes):
        axes[draw(st.integers(0, len(args) - 1))] = draw(st.sampled_from((0, -1)))
    return axes


def _stack(draw, prim, args, params, axes, size):
    """Each mapped operand with ``size`` batch elements stacked along its in_axis (the
    first element is the case itself)."""
    out = []
    for i, (a, axis) in enumerate(zip(args, axes)):
        if axis is None:
            out.append(a)
            continue
        others = [_fresh(draw, prim, args, params, i) for _ in range(size - 1)]
        out.append(np.stack([a] + others, axis=axis))
    return out


@st.composite
def batched_case(draw, prim):
    """(operands with a batch axis where mapped, in_axes, batch size, params)."""
    args, params = draw(CASES[prim])
    size = draw(st.integers(1, 3))
    axes = _draw_axes(draw, args)
    return _stack(draw, prim, args, params, axes, size), tuple(axes), size, params


# ---- the oracle --------------------------------------------------------------------------

def _prim_fn(prim, **params):
    """``prim`` as a function of arrays (NumPy operands keep their dtype)."""
    return lambda *xs: bind(prim, *[fnp.asarray(x) for x in xs], **params)


def _take(args, axes, i):
    return [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]


def _loop(f, args, axes, size):
    """``f`` applied to each batch element, results stacked on a leading axis."""
    return np.stack([np.asarray(f(*_take(args, axes, i))) for i in range(size)])


def assert_same(actual, expected):
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)     # NaN equals NaN here


@pytest.mark.parametrize("prim", OPERAND_PRIMS, ids=lambda p: p.name)
@given(data=st.data())
def test_vmap_matches_loop(prim, data):
    args, axes, size, params = data.draw(batched_case(prim))
    f = _prim_fn(prim, **params)
    expected = _loop(f, args, axes, size)
    assert_same(fl.vmap(f, in_axes=axes)(*args), expected)
    # staged: the batched program typechecks (make_ir checks it) and computes the same
    program = fl.make_ir(fl.vmap(f, in_axes=axes))(*args)
    assert_same(evaluate(program, *args)[0], expected)


@given(data=st.data())
def test_iota_stays_unbatched(data):
    _, params = data.draw(CASES[P.iota_p])
    size = data.draw(st.integers(1, 3))
    out = fl.vmap(lambda x: (bind(P.iota_p, **params), x))(np.zeros(size))
    expected = np.broadcast_to(P.iota_p.impl(**params), (size,) + params["shape"])
    assert_same(out[0], expected)
    value, bdim = batch_rules[P.iota_p]([], [], **params)
    assert bdim is None and np.array_equal(np.asarray(value), expected[0])


# ---- nested vmap ---------------------------------------------------------------------------

NESTED = [P.transpose_p, P.pad_p, P.concatenate_p, P.dynamic_slice_p,
          P.dynamic_update_slice_p, P.gather_p, P.scatter_add_p, P.scatter_p]


@pytest.mark.parametrize("prim", NESTED, ids=lambda p: p.name)
@given(data=st.data())
def test_nested_vmap_matches_double_loop(prim, data):
    args, params = data.draw(CASES[prim])
    inner_size, outer_size = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    inner_axes = _draw_axes(data.draw, args)
    outer_axes = _draw_axes(data.draw, args)
    # each outer batch element is a whole inner-batched set of operands
    stacks = [_stack(data.draw, prim, case, params, inner_axes, inner_size)
              for case in [args] + [_fresh_args(data.draw, prim, args, params)
                                    for _ in range(outer_size - 1)]]
    outer = [stacks[0][i] if ax is None else np.stack([s[i] for s in stacks], axis=ax)
             for i, ax in enumerate(outer_axes)]
    f = _prim_fn(prim, **params)
    mapped = fl.vmap(fl.vmap(f, in_axes=tuple(inner_axes)), in_axes=tuple(outer_axes))
    expected = np.stack([_loop(f, _take(outer, outer_axes, j), inner_axes, inner_size)
                         for j in range(outer_size)])
    assert_same(mapped(*outer), expected)


# ---- unbatched operands stay unbatched in the IR ---------------------------------------------

def _eqns(f, in_axes, *args):
    program = fl.make_ir(fl.vmap(f, in_axes=in_axes))(*args)
    return program, list(program.eqns)


def _consumers(eqns, var, prim):
    return [e for e in eqns if e.prim is prim and var in e.inputs]


def test_gather_with_batched_indices_keeps_the_operand_unbatched():
    x = np.arange(12.0).reshape(4, 3)
    idx = np.array([[[0], [3]], [[1], [5]]], np.int32)        # batch of 2, 2 rows each
    f = _prim_fn(P.gather_p, axes=(0,), mode="fill")
    program, eqns = _eqns(f, (None, 0), x, idx)
    operand, indices = program.invars
    assert [e.prim for e in eqns] == [P.gather_p]
    assert not _consumers(eqns, operand, P.broadcast_in_dim_p)
    assert eqns[0].inputs == (operand, indices)
    assert_same(evaluate(program, x, idx)[0], _loop(f, [x, idx], (None, 0), 2))


def test_gather_with_batched_operand_keeps_the_indices_unbatched():
    x, idx = np.arange(24.0).reshape(2, 4, 3), np.array([[1], [2]], np.int32)
    program, eqns = _eqns(_prim_fn(P.gather_p, axes=(0,), mode="clip"), (0, None), x, idx)
    # the batch axis comes out among the slice axes; vmap's output moves it to the front
    assert [e.prim for e in eqns] == [P.gather_p, P.transpose_p]
    assert eqns[0].inputs == tuple(program.invars) and eqns[0].params["axes"] == (1,)


def test_dynamic_slice_with_batched_start_keeps_the_operand_unbatched():
    x, starts = np.arange(20.0).reshape(5, 4), np.array([0, 3, 9], np.int32)
    f = _prim_fn(P.dynamic_slice_p, slice_sizes=(2, 4))
    program, eqns = _eqns(f, (None, 0, None), x, starts, np.int32(0))
    operand = program.invars[0]
    assert not _consumers(eqns, operand, P.broadcast_in_dim_p)
    gathers = _consumers(eqns, operand, P.gather_p)
    # the full-width second axis is not addressed: rows hold one coordinate
    assert len(gathers) == 1 and gathers[0].params["axes"] == (0,)
    assert gathers[0].inputs[1].aval.shape == (3, 2, 1)


def test_dynamic_slice_with_unbatched_starts_is_one_dynamic_slice():
    x = np.arange(30.0).reshape(5, 2, 3)
    f = _prim_fn(P.dynamic_slice_p, slice_sizes=(1, 2))
    program, eqns = _eqns(f, (-1, None, None), x, np.int32(1), np.int32(0))
    # sliced with the batch axis left last; vmap's output moves it to the front
    assert [e.prim for e in eqns] == [P.dynamic_slice_p, P.transpose_p]
    assert eqns[0].params["slice_sizes"] == (1, 2, 3)


def test_dynamic_update_slice_with_unbatched_starts_is_one_update():
    x, update = np.zeros((3, 4)), np.ones((3, 2))
    f = _prim_fn(P.dynamic_update_slice_p)
    program, eqns = _eqns(f, (0, 0, None), x, update, np.int32(5))
    assert [e.prim for e in eqns] == [P.dynamic_update_slice_p]


def test_scatter_with_unbatched_indices_adds_no_batch_column():
    x, idx, updates = np.zeros((5, 2)), np.array([[1], [1]], np.int32), np.ones((3, 2, 2))
    f = _prim_fn(P.scatter_add_p, axes=(0,), mode="drop")
    program, eqns = _eqns(f, (None, None, 0), x, idx, updates)
    indices = program.invars[1]
    scatters = _consumers(eqns, indices, P.scatter_add_p)
    assert len(scatters) == 1 and scatters[0].params["axes"] == (1,)
    assert not [e for e in eqns if e.prim in (P.concatenate_p, P.iota_p)]


def test_pad_with_unbatched_value_keeps_it_scalar():
    x, value = np.ones((2, 3)), np.float64(7.0)
    f = _prim_fn(P.pad_p, padding_config=((1, 0, 1),))
    program, eqns = _eqns(f, (0, None), x, value)
    assert [e.prim for e in eqns] == [P.pad_p]
    assert eqns[0].inputs == tuple(program.invars)
    assert eqns[0].params["padding_config"] == ((0, 0, 0), (1, 0, 1))


def test_transpose_keeps_the_batch_dimension_in_place():
    x = np.ones((2, 5, 3))
    program, eqns = _eqns(_prim_fn(P.transpose_p, permutation=(1, 0)), 1, x)
    # one transpose for the primitive, one to move the batch axis out front at the end
    assert eqns[0].params["permutation"] == (2, 1, 0)


def test_batch_column_widens_a_narrow_index_dtype():
    size = 300                                  # more examples than uint8 can count
    x = np.arange(size * 4.0).reshape(size, 4)
    idx = np.arange(size * 2, dtype=np.uint8).reshape(size, 2, 1) % 4
    f = _prim_fn(P.gather_p, axes=(0,), mode="clip")
    assert_same(fl.vmap(f)(x, idx), _loop(f, [x, idx], (0, 0), size))
    g = _prim_fn(P.scatter_add_p, axes=(0,), mode="drop")
    updates = np.ones((size, 2))
    assert_same(fl.vmap(g)(x, idx, updates), _loop(g, [x, idx, updates], (0, 0, 0), size))


BAD_CALLS = [
    (P.transpose_p, {"permutation": (0, 0)}, "transpose: permutation"),
    (P.squeeze_p, {"dimensions": (5,)}, "squeeze: dimensions 5 is out of range for rank 1"),
    (P.slice_p, {"start_indices": (2,), "limit_indices": (1,), "strides": None},
     r"slice: need 0 <= start <= limit <= size for f32\[3\]"),
]


@pytest.mark.parametrize("prim,params,message", BAD_CALLS, ids=lambda v: getattr(v, "name", ""))
def test_bad_params_are_reported_on_the_unbatched_operand(prim, params, message):
    with pytest.raises((TypeError, ValueError), match=message):
        fl.vmap(_prim_fn(prim, **params))(np.ones((2, 3), np.float32))


# ---- coverage --------------------------------------------------------------------------

def test_every_structural_and_indexing_primitive_has_a_batch_rule():
    missing = [p.name for p in PRIMS if p not in batch_rules]
    assert not missing, f"vmap rules missing for {missing}"
    assert {p.name for p in PRIMS} >= {"broadcast_in_dim", "pad", "dynamic_update_slice",
                                       "iota", "gather", "scatter_max"}
