"""Eager overhead: small operations, where the time is dispatch rather than arithmetic.

Each case runs the same computation with functorch_lite (eager, no transform active),
NumPy, and, when installed, PyTorch (CPU tensors) and JAX (eager ops, no ``jit``,
waiting for each result with ``block_until_ready``).
"""
import functools
import operator

import numpy as np

import functorch_lite.numpy as fnp
from benchmarks.harness import Case, optional_import, prepare, register

torch = optional_import("torch")
jax = optional_import("jax")
jnp = optional_import("jax.numpy") if jax is not None else None

GROUP = "eager_overhead"


def elementwise_10(x, y):
    """Ten elementwise operations: 5 multiplies, 2 adds, 2 subtracts, 1 divide.

    Written with operators and Python floats only, so every library runs the same code.
    """
    return ((x * y + 1.0) * x - y) / (x * x + 1.0) + x * 0.5 - y


def _host_inputs(size, count):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(size).astype(np.float32) for _ in range(count)]


def _jax_ready(op):
    # JAX dispatches asynchronously: wait for the value so the work is inside the timing.
    def run(*args):
        return op(*args).block_until_ready()
    return run


def _setups(size, count, ops):
    """One setup per library present: convert the shared float32 inputs (untimed) and
    bind them to that library's op.  ``ops`` maps library -> zero-arg op getter, so a
    missing function is reported as that implementation's error."""
    host = _host_inputs(size, count)
    convert = {"functorch_lite": fnp.asarray, "numpy": np.asarray}
    if torch is not None:
        convert["torch"] = lambda a: torch.from_numpy(a.copy())
    if jax is not None:
        convert["jax"] = jax.device_put

    def setup(library):
        args = [convert[library](a) for a in host]
        return functools.partial(ops[library](), *args)
    return {library: functools.partial(setup, library) for library in convert}


def _register_all():
    register(Case("add f32[100]", prepare(_setups(100, 2, {
        "functorch_lite": lambda: operator.add,
        "numpy": lambda: operator.add,
        "torch": lambda: operator.add,
        "jax": lambda: _jax_ready(operator.add),
    })), GROUP))
    register(Case("sum f32[1000]", prepare(_setups(1000, 1, {
        "functorch_lite": lambda: fnp.sum,
        "numpy": lambda: np.sum,
        "torch": lambda: torch.sum,
        "jax": lambda: _jax_ready(jnp.sum),
    })), GROUP))
    register(Case("10-op elementwise f32[100]", prepare(_setups(100, 2, {
        "functorch_lite": lambda: elementwise_10,
        "numpy": lambda: elementwise_10,
        "torch": lambda: elementwise_10,
        "jax": lambda: _jax_ready(elementwise_10),
    })), GROUP))


_register_all()
