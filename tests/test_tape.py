"""Taped eager reverse mode (transforms/tape.py): same gradients as the op-by-op
path, bit for bit; the backward program is derived once per recording structure and
never bakes in values; user rules and prints still run on every call."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import functorch_lite as fl
import functorch_lite._autodiff as autodiff
import functorch_lite.numpy as fnp
from transforms import tape


def op_by_op(monkeypatch_fn):
    """Run ``monkeypatch_fn`` with the tape switched off (the linearize + transpose path)."""
    original = autodiff.tape_applies
    autodiff.tape_applies = lambda: False
    try:
        return monkeypatch_fn()
    finally:
        autodiff.tape_applies = original


def _mlp_loss(params, x, labels):
    (w1, b1), (w2, b2) = params
    h = fnp.tanh(x @ w1 + b1)
    h = fl.nn.relu(h @ w2 + b2)
    return -fnp.mean(fnp.sum(fl.nn.log_softmax(h) * labels, axis=1))


def _random_mlp(rng, dtype):
    params = [(rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal(4).astype(dtype)),
              (rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(3).astype(dtype))]
    x = rng.standard_normal((6, 5)).astype(dtype)
    labels = np.eye(3, dtype=dtype)[rng.integers(0, 3, 6)]
    return params, x, labels


def _assert_trees_identical(a, b):
    for u, v in zip(fl.tree.leaves(a), fl.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


@given(st.integers(0, 2**31 - 1), st.sampled_from([np.float32, np.float64]))
def test_taped_gradients_equal_op_by_op_bit_for_bit(seed, dtype):
    params, x, labels = _random_mlp(np.random.default_rng(seed), dtype)
    g = fl.grad(_mlp_loss)
    taped = g(params, x, labels)
    _assert_trees_identical(taped, op_by_op(lambda: g(params, x, labels)))
    _assert_trees_identical(taped, g(params, x, labels))       # the cached program


def test_backward_program_is_derived_once_and_reused_on_new_values():
    rng = np.random.default_rng(0)
    f = fl.grad(lambda x, c: fnp.sum(fnp.sin(x) * c))
    tape._backward_cache.clear()
    for _ in range(3):
        x, c = rng.standard_normal(4), rng.standard_normal(4)
        np.testing.assert_allclose(f(x, c), np.cos(x) * c, rtol=1e-12)
    assert len(tape._backward_cache) == 1


def test_python_scalars_and_closed_over_arrays_are_not_baked_in():
    def loss(x, scale, table):
        return fnp.sum(x * float(scale) * table)
    g = fl.grad(loss)
    x = np.ones(3)
    for scale in (2.0, -3.0, 0.5):
        table = np.arange(3.0) * scale
        np.testing.assert_allclose(g(x, scale, table), scale * table)


def test_python_branches_on_values_record_different_programs():
    def f(x):
        if fnp.sum(x) > 0:
            return fnp.sum(x * x)
        return fnp.sum(fnp.exp(x))
    g = fl.grad(f)
    pos, neg = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
    for _ in range(2):
        np.testing.assert_allclose(g(pos), 2 * pos)
        np.testing.assert_allclose(g(neg), np.exp(neg))


def test_user_custom_jvp_rule_runs_every_call_on_real_values():
    seen = []

    @fl.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        seen.append(float(x))                 # a real value: the rule runs eagerly
        return f(x), t * 2.0
    g = fl.grad(lambda x: f(x * 1.0) * 3.0)
    assert float(g(0.5)) == 6.0 and float(g(0.25)) == 6.0
    assert seen == [0.5, 0.25]


def test_pure_library_rules_are_recorded_not_upgraded():
    x = np.array([-1.0, 0.0, 2.0])
    tape._backward_cache.clear()
    for _ in range(2):
        np.testing.assert_array_equal(fl.grad(lambda v: fnp.sum(fl.nn.relu(v)))(x),
                                      [0.0, 0.0, 1.0])
    assert len(tape._backward_cache) == 1


def test_debug_print_inside_grad_prints_once_per_call(capsys):
    def f(x):
        fl.debug.print("x={x}", x=x)
        return fnp.sum(x * x)
    fl.grad(f)(np.array([1.0, 2.0]))
    fl.grad(f)(np.array([3.0, 4.0]))
    out = capsys.readouterr().out.splitlines()
    assert out == ["x=[1. 2.]", "x=[3. 4.]"]


def test_checkpoint_inside_grad_keeps_its_values():
    f = lambda x: fnp.sum(fl.checkpoint(lambda v: fnp.sin(fnp.sin(v)))(x) * x)
    x = np.array([0.3, -1.1])
    _assert_trees_identical(fl.grad(f)(x), op_by_op(lambda: fl.grad(f)(x)))


def test_vmap_of_grad_matches_a_loop():
    rng = np.random.default_rng(1)
    w, xs = rng.standard_normal(4), rng.standard_normal((5, 4))
    loss = lambda w, x: fnp.log1p(fnp.exp(-fnp.dot(w, x)))
    batched = fl.vmap(fl.grad(loss), in_axes=(None, 0))(w, xs)
    looped = np.stack([fl.grad(loss)(w, x) for x in xs])
    np.testing.assert_allclose(batched, looped, rtol=1e-12)


def test_vjp_with_integer_inputs_and_an_output_without_derivative():
    def f(x, n):
        return x * n, fnp.ones(2), n + 1
    out, f_vjp = fl.vjp(f, np.array([1.0, 2.0]), np.array([3, 4]))
    ct_x, ct_n = f_vjp((np.array([1.0, 1.0]), np.ones(2), np.array([0, 0])))
    np.testing.assert_array_equal(ct_x, [3.0, 4.0])
    assert ct_n.dtype == fl.float0


def test_recorded_value_escaping_the_transform_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return fnp.sum(x)
    fl.grad(f)(np.ones(2))
    with pytest.raises(fl.EscapedTracerError, match="grad/vjp"):
        leaked[0] + 1.0


@given(st.integers(0, 2**31 - 1), st.sampled_from([0, 1]), st.sampled_from([None, 0]))
def test_vmap_of_grad_through_pure_rules_matches_op_by_op_and_loop(seed, x_axis, w_axis):
    rng = np.random.default_rng(seed)
    n, d = 4, 3
    w = rng.standard_normal((n, d) if w_axis == 0 else d)
    xs = rng.standard_normal((n, d) if x_axis == 0 else (d, n))

    def loss(w, x):
        z = x * w
        return fl.nn.logsumexp(z) + fnp.sum(fl.nn.softplus(z) + fl.nn.relu(z) * 0.5)
    per_example = fl.vmap(fl.grad(loss), in_axes=(w_axis, x_axis))
    taped = per_example(w, xs)
    np.testing.assert_array_equal(taped, op_by_op(lambda: per_example(w, xs)))
    np.testing.assert_array_equal(taped, per_example(w, xs))      # cached programs
    xs0 = xs if x_axis == 0 else xs.T
    looped = [fl.grad(loss)(w[i] if w_axis == 0 else w, xs0[i]) for i in range(n)]
    np.testing.assert_allclose(taped, np.stack(looped), rtol=1e-12)


def test_eager_grad_of_loops_matches_unrolled():
    def with_loops(x):
        y = fl.lax.fori_loop(0, 3, lambda i, c: fnp.sin(c) * 1.5, x)
        z = fl.lax.while_loop(lambda c: fnp.sum(c) < 10.0, lambda c: c * 2.0 + 0.5, y)
        return fnp.sum(z * z)

    def unrolled(x):
        y = x
        for _ in range(3):
            y = fnp.sin(y) * 1.5
        z = y
        while float(fnp.sum(z)) < 10.0:
            z = z * 2.0 + 0.5
        return fnp.sum(z * z)
    x = np.array([0.3, 0.7])
    for _ in range(2):                              # the second call: cached programs
        np.testing.assert_allclose(fl.grad(with_loops)(x), fl.grad(unrolled)(x), rtol=1e-12)


def test_pure_rule_with_an_unhashable_nondiff_argument():
    x = np.arange(6.0).reshape(2, 3) / 5
    f = lambda v: fl.nn.logsumexp(v * v, axis=[0, 1])
    expected = 2 * x * np.exp(x * x) / np.exp(x * x).sum()
    np.testing.assert_allclose(fl.grad(f)(x), expected, rtol=1e-12)
    batched = fl.vmap(fl.grad(f))(np.stack([x, 2 * x]))
    np.testing.assert_allclose(batched[0], expected, rtol=1e-12)


def _broadcasting_loss(x, b, c, rows):
    """Recorded values meet leaves, Python scalars and each other across shapes, in
    both orders: the broadcasts the NumPy layer records without making their values
    (``x * b`` reads the broadcast ``b`` in its backward)."""
    y = x * b + c - rows                      # (3, 4) with (4,), (1, 4), (3, 1)
    z = (b / (2.0 + y)) * fnp.tanh(rows)       # (4,) first, then (3, 1)
    w = fnp.maximum(z, c) - fnp.minimum(rows, y)
    q = (2.0 - w / 3) * 0.5 + 1 - 1.5 / (4.0 + w * w)      # Python scalars, both sides
    return fnp.sum(q * w) + fnp.sum(fnp.exp(x) ** 2 * c)


@given(st.integers(0, 2**31 - 1), st.sampled_from([np.float32, np.float64]))
def test_broadcasting_fast_path_matches_op_by_op_bit_for_bit(seed, dtype):
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (4,), (1, 4), (3, 1)]]
    g = fl.grad(_broadcasting_loss, argnums=(0, 1, 2, 3))
    taped = g(*args)
    _assert_trees_identical(taped, op_by_op(lambda: g(*args)))
    _assert_trees_identical(taped, g(*args))                  # the cached program
    only_x = fl.grad(_broadcasting_loss)                     # b, c and rows are leaves
    _assert_trees_identical(only_x(*args), op_by_op(lambda: only_x(*args)))


def test_broadcasts_are_made_only_when_the_backward_reads_them():
    made = []
    original = tape.TapeInterpreter._materialize

    def spy(self, slots):
        made.extend(s for s in slots if self.values[s] is None)
        return original(self, slots)
    tape.TapeInterpreter._materialize = spy
    try:
        x, b = np.ones((2, 3)), fnp.asarray(np.arange(3.0))
        np.testing.assert_array_equal(fl.grad(lambda x: fnp.sum(x + b))(x), np.ones((2, 3)))
        assert made == []                   # add's backward reads no operand
        np.testing.assert_array_equal(fl.grad(lambda x: fnp.sum(x * b))(x), [b, b])
        assert len(made) == 1               # mul's reads the broadcast b
    finally:
        tape.TapeInterpreter._materialize = original


@fl.custom_jvp
def _scaled_pair(x, y):
    return x * y, x + y


_scaled_pair.rule_is_pure = True


@_scaled_pair.defjvp
def _scaled_pair_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _scaled_pair(x, y), (3.0 * (tx * y + x * ty), tx + ty)    # 3x autodiff's


def test_pure_rule_fast_path_records_one_call_with_its_rule():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(4), rng.standard_normal(4)

    def loss(x, y):
        p, s = _scaled_pair(fnp.sin(x), y)
        return fnp.sum(p) + fnp.sum(s * s)
    g = fl.grad(loss, argnums=(0, 1))
    want = (3.0 * y * np.cos(x) + 2 * (np.sin(x) + y) * np.cos(x),
            3.0 * np.sin(x) + 2 * (np.sin(x) + y))
    for _ in range(2):                      # derived, then the cached program
        np.testing.assert_allclose(g(x, y), want, rtol=1e-12)
    _assert_trees_identical(g(x, y), op_by_op(lambda: g(x, y)))
    only_y = fl.grad(lambda y: loss(x, y))   # x's sin is a leaf: the call records on y
    np.testing.assert_allclose(only_y(y), want[1], rtol=1e-12)


def test_schedule_matches_the_reference_and_frees_each_temporary():
    from xla_like.reference import Schedule
    from xla_like.reference import evaluate
    rng = np.random.default_rng(3)
    x, c = rng.standard_normal((4, 3)), rng.standard_normal(3)

    def f(x):
        y = fnp.sin(x) * c + 2.0
        top = fnp.sort(y, axis=1)[:, -1:]               # a multiple-result primitive
        return fnp.sum(fnp.exp(y - top) ** 2), fnp.max(y, axis=0)
    program = fl.make_ir(f)(x)
    schedule = Schedule.of(program)
    assert Schedule.of(program) is schedule             # made once per program
    for got, want in zip(schedule.run([x]), evaluate(program, x)):
        np.testing.assert_array_equal(got, want)
    outputs = set(schedule.outputs)
    produced = [s for *_, out, _ in schedule.steps for s in ((out,) if type(out) is int else out)]
    freed = [s for *_, frees in schedule.steps for s in frees]
    read = {s for ins in schedule.reads for s in ins}
    assert sorted(freed) == sorted(set(freed))          # each slot freed once
    assert {s for s in produced if s in read and s not in outputs} <= set(freed)
    assert not outputs & set(freed)
