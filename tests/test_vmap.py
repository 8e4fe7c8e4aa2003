"""vmap: elementwise rules, the API (in_axes/out_axes/pytrees/errors), composition with
autodiff, Jacobians, collectives over named axes and random numbers."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import lax, random
from functorch_lite import numpy as fnp
from transforms import core
from transforms.core import bind
from xla_like import primitives as P

shapes = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)


def loop(f, in_axes, *xs):
    """The reference: stack ``f`` over a Python loop."""
    size = next(np.shape(x)[a] for x, a in zip(xs, in_axes) if a is not None)
    outs = [np.asarray(f(*[x if a is None else np.take(x, i, axis=a)
                           for x, a in zip(xs, in_axes)])) for i in range(size)]
    return np.stack(outs)


def _batched(draw, shape, axis, size, lo=-2, hi=2):
    if axis is None:
        return draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi)))
    full = list(shape)
    full.insert(axis % (len(shape) + 1), size)
    return draw(hnp.arrays(np.float64, tuple(full), elements=st.floats(lo, hi)))


ELEMENTWISE = [fnp.sin, fnp.exp, fnp.tanh, lambda x: x * 2.0 + 1.0, fnp.negative]
BINARY = [fnp.add, fnp.multiply, fnp.maximum, fnp.less, lambda x, y: fnp.where(x > y, x, y),
          fnp.arctan2]


@pytest.mark.parametrize("f", ELEMENTWISE)
@given(data=st.data())
def test_unary_against_loop(f, data):
    shape, size = data.draw(shapes), data.draw(st.integers(1, 3))
    axis = data.draw(st.sampled_from([0, -1]))
    x = _batched(data.draw, shape, axis, size)
    np.testing.assert_allclose(np.asarray(fl.vmap(f, in_axes=axis)(x)), loop(f, [axis], x))


@pytest.mark.parametrize("f", BINARY)
@given(data=st.data())
def test_binary_against_loop(f, data):
    shape, size = data.draw(shapes), data.draw(st.integers(1, 3))
    axes = data.draw(st.sampled_from([(0, 0), (0, None), (None, -1), (-1, 0)]))
    xs = [_batched(data.draw, shape, a, size) for a in axes]
    np.testing.assert_allclose(np.asarray(fl.vmap(f, in_axes=axes)(*xs)), loop(f, axes, *xs))


@given(data=st.data())
def test_clamp_and_select_with_mixed_batching(data):
    size = data.draw(st.integers(1, 3))
    x = _batched(data.draw, (3,), 0, size)
    lo = data.draw(hnp.arrays(np.float64, (size,), elements=st.floats(-1, 0)))
    f = lambda x, lo: bind(P.clamp_p, fnp.asarray(lo), fnp.asarray(x), fnp.asarray(1.0, dtype="float64"))
    np.testing.assert_allclose(np.asarray(fl.vmap(f)(x, lo)), loop(f, [0, 0], x, lo))
    pred = np.array([True, False, True])
    g = lambda p, a, b: bind(P.select_n_p, fnp.asarray(p), fnp.asarray(a), fnp.asarray(b))
    y = _batched(data.draw, (3,), None, size)
    np.testing.assert_allclose(np.asarray(fl.vmap(g, in_axes=(None, 0, None))(pred, x, y)),
                               loop(g, [None, 0, None], pred, x, y))


def test_out_axes_kwargs_and_pytrees():
    x = np.arange(6.0).reshape(2, 3)
    out = fl.vmap(lambda d: {"s": d["a"] * 2.0, "t": d["b"]}, in_axes=({"a": 1, "b": None},),
                  out_axes={"s": -1, "t": None})({"a": x, "b": np.ones(2)})
    np.testing.assert_allclose(np.asarray(out["s"]), x * 2.0)
    np.testing.assert_allclose(np.asarray(out["t"]), np.ones(2))
    kw = fl.vmap(lambda x, *, y: x + y)(np.ones((3, 2)), y=np.ones((3, 2)))
    assert kw.shape == (3, 2)
    assert fl.vmap(lambda x: 1.0, axis_size=4, in_axes=None)(np.ones(2)).shape == (4,)


def test_errors_name_arguments_and_sizes():
    with pytest.raises(ValueError, match=r"size 3: a \(axis 0\).*size 4: b \(axis 0\)"):
        fl.vmap(lambda a, b: a + b)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="out of range"):
        fl.vmap(lambda a: a, in_axes=2)(np.ones(3))
    with pytest.raises(ValueError, match="axis_size"):
        fl.vmap(lambda a: a, in_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="entries"):
        fl.vmap(lambda a, b: a, in_axes=(0,))(np.ones(3), np.ones(3))
    with pytest.raises(fl.ConcretizationError, match="vmap.*batch elements"):
        fl.vmap(lambda a: a if a > 0 else -a)(np.ones(3))
    assert core.current_interpreter() is None


def test_nested_vmap_with_different_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    f = fl.vmap(fl.vmap(lambda v: fnp.sin(v) * 2.0, in_axes=1), in_axes=2)
    np.testing.assert_allclose(np.asarray(f(x)), np.sin(x).transpose(2, 1, 0) * 2.0)


def loss(w, x):
    return fnp.sum(fnp.tanh(x @ w))


def test_per_example_gradients_against_loop():
    rng = np.random.default_rng(0)
    w, xs = rng.standard_normal(3), rng.standard_normal((5, 3))
    batched = fl.vmap(fl.grad(loss), in_axes=(None, 0))(w, xs)
    reference = np.stack([np.asarray(fl.grad(loss)(w, x)) for x in xs])
    np.testing.assert_allclose(np.asarray(batched), reference, rtol=1e-12)


def test_grad_of_vmap():
    rng = np.random.default_rng(1)
    w, xs = rng.standard_normal(3), rng.standard_normal((5, 3))
    g = fl.grad(lambda p: fl.vmap(loss, in_axes=(None, 0))(p, xs).sum())(w)
    reference = sum(np.asarray(fl.grad(loss)(w, x)) for x in xs)
    np.testing.assert_allclose(np.asarray(g), reference, rtol=1e-12)


def test_matrix_vector_vmap_is_one_dot_general():
    prog = fl.make_ir(fl.vmap(lambda m, v: m @ v, in_axes=(None, 0)))(
        np.ones((4, 3), np.float32), np.ones((8, 3), np.float32))
    assert [e.prim for e in prog.eqns].count(P.dot_general_p) == 1


def test_jacobians_and_hessian():
    rng = np.random.default_rng(2)
    x, a = rng.standard_normal(3), rng.standard_normal((3, 3))
    f = lambda v: fnp.sin(a @ v)
    expected = np.cos(a @ x)[:, None] * a
    np.testing.assert_allclose(np.asarray(fl.jacfwd(f)(x)), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fl.jacrev(f)(x)), expected, rtol=1e-12)
    h = fl.hessian(lambda v: v @ a @ v)(x)
    np.testing.assert_allclose(np.asarray(h), a + a.T, rtol=1e-12)
    tree = fl.jacrev(lambda p: p["u"] * p["v"])({"u": x, "v": 2 * x})
    np.testing.assert_allclose(np.asarray(tree["u"]), np.diag(2 * x))
    hp = fl.hessian(lambda p: fnp.sum(p["u"] ** 2 * p["v"]))({"u": x, "v": x})
    np.testing.assert_allclose(np.asarray(hp["u"]["v"]), np.diag(2 * x))
    with pytest.raises(TypeError, match="floating"):
        fl.jacfwd(lambda n: n * 2)(np.arange(3))


def test_jacobian_is_one_batched_pass():
    prog = fl.make_ir(fl.jacrev(lambda v: fnp.tanh(v) * 2.0))(np.ones(4, np.float32))
    assert sum(e.prim is P.tanh_p for e in prog.eqns) == 1


def test_collectives_against_explicit_reductions():
    x = np.random.default_rng(3).standard_normal((4, 3))
    run = lambda f: np.asarray(fl.vmap(f, axis_name="i")(x))
    np.testing.assert_allclose(run(lambda v: lax.psum(v, "i")), np.broadcast_to(x.sum(0), x.shape))
    np.testing.assert_allclose(run(lambda v: v - lax.pmean(v, "i")), x - x.mean(0))
    np.testing.assert_allclose(run(lambda v: lax.pmax(v, "i")), np.broadcast_to(x.max(0), x.shape))
    np.testing.assert_allclose(run(lambda v: lax.pmin(v, "i")), np.broadcast_to(x.min(0), x.shape))
    np.testing.assert_allclose(run(lambda v: lax.all_gather(v, "i")), np.broadcast_to(x, (4,) + x.shape))
    assert run(lambda v: lax.axis_index("i")).tolist() == [0, 1, 2, 3]
    nested = fl.vmap(fl.vmap(lambda v: lax.psum(v, ("i", "j")), axis_name="j"), axis_name="i")
    np.testing.assert_allclose(np.asarray(nested(x)), np.full(x.shape, x.sum()))
    inner_only = fl.vmap(fl.vmap(lambda v: lax.psum(v, "j"), axis_name="j"), axis_name="i")
    np.testing.assert_allclose(np.asarray(inner_only(x)), np.broadcast_to(x.sum(1, keepdims=True), x.shape))
    with pytest.raises(NameError, match="unbound axis name 'k'"):
        fl.vmap(lambda v: lax.psum(v, "k"), axis_name="i")(x)


def test_collectives_under_grad():
    x = np.random.default_rng(4).standard_normal((4, 3))
    f = lambda w: fl.vmap(lambda v: lax.psum(v * w, "i") ** 2, axis_name="i")(x).sum()
    fd = lambda w, h=1e-6: (float(f(np.float64(w + h))) - float(f(np.float64(w - h)))) / (2 * h)
    assert np.isclose(float(fl.grad(f)(np.float64(0.7))), fd(0.7), rtol=1e-6)
    g = lambda w: fl.vmap(lambda v: lax.pmax(v * w, "i"), axis_name="i")(x).sum()
    assert np.isclose(float(fl.grad(g)(np.float64(1.3))), 4 * x.max(0).sum(), rtol=1e-10)
    a = lambda w: fl.vmap(lambda v: lax.all_gather(v * w, "i")[0], axis_name="i")(x).sum()
    assert np.isclose(float(fl.grad(a)(np.float64(2.0))), 4 * x[0].sum(), rtol=1e-10)


def test_random_under_vmap():
    keys = random.split(random.key(0), 3)
    batched = np.asarray(fl.vmap(lambda k: random.uniform(k, (4,)))(keys))
    assert len({tuple(row) for row in batched.tolist()}) == 3
    for k, row in zip(keys, batched):
        np.testing.assert_array_equal(np.asarray(random.uniform(k, (4,))), row)
    shared = np.asarray(fl.vmap(lambda x, k: random.uniform(k, (4,)) + x * 0,
                                in_axes=(0, None))(np.zeros(3, np.float32), keys[0]))
    assert all((row == shared[0]).all() for row in shared)
