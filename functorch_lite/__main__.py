"""``python -m functorch_lite``: a one-minute tour of what works today.

Eager arrays and their dtype rules, a function staged into the IR with ``make_ir``,
the error for Python control flow on a traced value, ``grad`` and ``vmap`` (and
their compositions), ``jit`` with ``debug.print`` and the optimized program, the cost
of eager operations next to NumPy, and eager vs ``jit`` time on an elementwise chain.
Each section runs on its own: if one fails, the tour says which and goes on, and the
exit status is 1.
"""
import sys
import timeit
import traceback

import numpy as np

import functorch_lite
import functorch_lite.numpy as fnp


# The tour's code is compiled from these strings under the file name "<demo>", so what
# is printed is exactly what runs, and error messages point at "<demo>:line".
_NAMESPACE = {"fnp": fnp, "np": np, "functorch_lite": functorch_lite}


def run(source):
    """Print ``source`` as typed at a prompt, then execute it."""
    lines = source.strip("\n").splitlines()
    print("\n".join([f">>> {lines[0]}"] + [f"... {line}" for line in lines[1:]]))
    exec(compile(source.strip("\n") + "\n", "<demo>", "exec"), _NAMESPACE)


def show(expression, note=""):
    """Print ``expression`` as typed at a prompt, then its value's repr."""
    print(f">>> {expression}" + (f"    # {note}" if note else ""))
    print(repr(eval(compile(expression, "<demo>", "eval"), _NAMESPACE)))


def eager_arrays():
    run("x = fnp.asarray([1.0, 2.0, 3.0])")
    show("x")
    show("x * 2.0 + 1.0")
    show("fnp.sin(x) / x")
    run("print(x - 0.5)")
    show("x.device")
    show("functorch_lite.devices()")


def creation():
    show("fnp.arange(5)")
    show("fnp.ones((2, 3))")
    show("fnp.zeros(3, dtype=fnp.int8)")


def dtype_rules():
    run("x32 = fnp.asarray([1.0, 2.0])")
    show("x32.dtype", "Python data defaults to float32")
    show("(x32 * 2.0).dtype", "Python scalars are weak: float32 stays float32")
    run("x64 = fnp.asarray(np.array([1.0, 2.0]))")
    show("x64.dtype", "NumPy inputs keep their dtype")
    show("(x64 * 2.0).dtype")
    show("(x32 + x64).dtype", "promotion lattice")
    run("ints = fnp.asarray([1, 2])")
    show("ints.dtype", "Python ints default to int32")
    show("ints * 2.5")


def immutability():
    run("x = fnp.asarray([1.0, 2.0, 3.0])")
    try:
        run("x[0] = 10.0")
    except TypeError as e:
        print(f"TypeError: {e}")
    else:
        raise AssertionError("item assignment on an Array did not raise")
    show("x.at[0].set(10.0)", "a new array")
    show("x", "unchanged")


def staged_program():
    run("""
def predict(w, b, x):
    return fnp.tanh(x * w + b)
""")
    run("w, x = fnp.asarray([1.0, -1.0, 0.5]), fnp.asarray([0.1, 0.2, 0.3])")
    run("print(functorch_lite.make_ir(predict)(w, 0.5, x))")
    run("""
def loss(w, b, x, y):
    err = predict(w, b, x) - y
    return fnp.sum(err * err)
""")
    run("y = fnp.asarray([0.0, 1.0, 0.0])")
    run("print(functorch_lite.make_ir(loss)(w, 0.5, x, y))")


def concretization_error():
    run("""
def relu(x):
    if x > 0:
        return x
    return 0.0 * x
""")
    try:
        run("functorch_lite.make_ir(relu)(fnp.asarray(1.0))")
    except functorch_lite.ConcretizationError as e:
        print(f"ConcretizationError: {e}")
    else:
        raise AssertionError("branching on a traced value did not raise")


def differentiation():
    run("""
def loss(w, x, y):
    return fnp.mean((fnp.tanh(x @ w) - y) ** 2)
""")
    run("w, x, y = fnp.asarray([0.5, -0.3]), fnp.asarray([[1.0, 2.0], [3.0, 4.0]]), "
        "fnp.asarray([0.0, 1.0])")
    show("functorch_lite.grad(loss)(w, x, y)", "reverse mode")
    show("functorch_lite.jvp(fnp.sin, (1.0,), (1.0,))", "forward mode: (sin 1, cos 1)")
    show("functorch_lite.grad(functorch_lite.grad(fnp.sin))(1.0)", "second derivative: -sin 1")
    show("functorch_lite.hessian(lambda v: fnp.sum(v ** 3))(w)")
    run("print(functorch_lite.make_ir(functorch_lite.grad(lambda v: fnp.sin(v) * v))(1.0))")


def batching():
    show("functorch_lite.vmap(fnp.dot, in_axes=(0, None))(x, w)", "a batch of dot products")
    show("functorch_lite.vmap(functorch_lite.grad(loss), in_axes=(None, 0, 0))"
         "(w, x[:, None, :], y[:, None])", "per-example gradients")
    run("print(functorch_lite.make_ir(functorch_lite.vmap(lambda m, v: m @ v, "
        "in_axes=(None, 0)))(x, x))")


def compilation():
    run("""
@functorch_lite.jit
def chain(x):
    functorch_lite.debug.print("chain called on {}", x.shape)
    return fnp.tanh(x) * 0.5 + x * x - fnp.exp(-x) * 0.25 + x * 0.1 - 1.0
""")
    show("chain(fnp.ones(3))", "traces, compiles, runs (debug.print prints at run time)")
    show("chain(fnp.zeros(3))", "reuses the executable: no trace")
    run("print(chain.lower(fnp.ones(3)).as_text())")


def jit_timing():
    x = fnp.asarray(np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32))

    def chain(v):
        return fnp.tanh(v) * 0.5 + v * v - fnp.exp(-v) * 0.25 + v * 0.1 - 1.0
    fast = functorch_lite.jit(chain)
    np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(chain(x)), rtol=1e-5, atol=1e-5)
    eager = _median_seconds(lambda: chain(x), 5)
    jitted = _median_seconds(lambda: fast(x), 5)
    print(f"11-op elementwise chain on f32[1048576]: eager {eager * 1e3:.2f} ms, "
          f"jit {jitted * 1e3:.2f} ms (jit speedup {eager / jitted:.1f}x; median of 5 x 5 calls)")
    one = fnp.ones(1)
    inc = functorch_lite.jit(lambda v: v + 1.0)
    inc(one)
    print(f"dispatch of a jitted x + 1 on f32[1]: "
          f"{_median_seconds(lambda: inc(one), 20_000) * 1e6:.1f} µs")


def _median_seconds(fn, number, repeats=5):
    times = timeit.repeat(fn, number=number, repeat=repeats)
    return sorted(times)[repeats // 2] / number


def eager_timing():
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(100).astype(np.float32) for _ in range(2))
    x, y = fnp.asarray(a), fnp.asarray(b)
    ours = _median_seconds(lambda: x + y, 20_000)
    numpy = _median_seconds(lambda: a + b, 20_000)
    print(f"eager add f32[100]: functorch_lite {ours * 1e6:.2f} µs, NumPy {numpy * 1e6:.2f} µs "
          f"({ours / numpy:.1f}x NumPy; median of 5 x 20000 calls)")
    f = functorch_lite.grad(lambda v: fnp.sum(fnp.tanh(v) * v))
    plain = _median_seconds(lambda: fnp.sum(fnp.tanh(x) * x), 2_000)
    with_grad = _median_seconds(lambda: f(x), 500)
    print(f"grad of a 3-op function on f32[100]: {with_grad * 1e6:.0f} µs "
          f"({with_grad / plain:.1f}x the function itself)")
    print("more cases: python -m benchmarks")


SECTIONS = [
    ("Eager arrays", eager_arrays),
    ("Array creation", creation),
    ("Dtype rules", dtype_rules),
    ("Immutability", immutability),
    ("A staged program (make_ir)", staged_program),
    ("Python control flow on a traced value", concretization_error),
    ("Differentiation (grad, jvp, hessian)", differentiation),
    ("Batching (vmap)", batching),
    ("Compilation (jit)", compilation),
    ("Eager speed", eager_timing),
    ("Eager vs jit speed", jit_timing),
]


def main():
    failed = []
    for title, section in SECTIONS:
        print(f"\n== {title} ==")
        try:
            section()
        except Exception:  # the tour goes on; the failure is reported and counted
            print(f"[section failed]\n{traceback.format_exc(limit=-1).rstrip()}")
            failed.append(title)
    if failed:
        print(f"\n{len(failed)} section(s) failed: {', '.join(failed)}")
        return 1
    print("\nAll sections ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
