"""Benchmark harness: cases, a registry, timeit-style timing and the results table.

A benchmark module registers ``Case`` records at import time::

    register(Case("add f32[100]", {"functorch_lite": lambda: x + y,
                                   "numpy": lambda: a + b}))

Every implementation of a case is timed in the same run: a calibrated inner loop
(``number`` calls, grown until one loop takes ``min_time``), repeated several times,
the median per-call time reported in microseconds.  An implementation that raises
is reported in the table as ``error: <message>`` instead of stopping the run.
"""
import importlib
import platform
import statistics
import time
from typing import NamedTuple

import numpy as np

SUBJECT, BASELINE = "functorch_lite", "numpy"
# Optional libraries shown next to NumPy when installed, in this column order.
OPTIONAL = ("torch", "jax")


class Case(NamedTuple):
    """One benchmark: ``impls`` maps an implementation name to the zero-arg callable timed."""
    name: str
    impls: dict
    group: str = ""


class Timing(NamedTuple):
    """Median seconds per call, or the error message of an implementation that failed."""
    seconds: float = None
    error: str = None


_REGISTRY = {}


def register(case):
    """Add ``case`` to the registry (names are unique).  Returns the case."""
    if case.name in _REGISTRY:
        raise ValueError(f"benchmark case {case.name!r} is registered twice")
    _REGISTRY[case.name] = case
    return case


def registered_cases():
    """All registered cases, in registration order."""
    return list(_REGISTRY.values())


def optional_import(name):
    """The module ``name``, or None when it is not installed (or fails to import)."""
    try:
        return importlib.import_module(name)
    except Exception:  # an optional library can fail in many ways; it is then absent
        return None


def prepare(setups):
    """``{impl: setup}`` -> ``{impl: callable}``: run each zero-arg ``setup`` (untimed
    work such as building inputs or compiling) and keep the callable it returns.

    A setup that raises becomes an implementation that raises the same message, so
    the table shows it as an error and the other implementations still run.

    >>> impls = prepare({"numpy": lambda: (lambda: np.add(a, b))})
    """
    impls = {}
    for name, setup in setups.items():
        try:
            impls[name] = setup()
        except Exception as e:  # reported in the table, never fatal
            impls[name] = _raiser(e)
    return impls


class SetupError(Exception):
    """An implementation's setup failed; the message already names the cause."""


def _raiser(error):
    message = f"{type(error).__name__} in setup: {error}"

    def fail():
        raise SetupError(message)
    return fail


# ---- timing --------------------------------------------------------------------------

def _loop_time(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def calibrate(fn, min_time):
    """The smallest ``number`` in 1, 2, 5, 10, 20, 50, ... whose loop takes >= ``min_time``."""
    number = 1
    while True:
        for factor in (1, 2, 5):
            n = number * factor
            if _loop_time(fn, n) >= min_time:
                return n
        number *= 10


def time_callable(fn, repeats=7, min_time=0.1):
    """Median seconds per call of ``fn`` over ``repeats`` calibrated loops.

    ``fn`` is called once first (a warm-up that also surfaces errors); an exception
    gives ``Timing(error=...)``.
    """
    try:
        fn()
        number = calibrate(fn, min_time)
        loops = [_loop_time(fn, number) / number for _ in range(repeats)]
    except Exception as e:  # the table reports it
        first_line = (str(e).splitlines() or [""])[0]
        prefix = "" if isinstance(e, SetupError) else f"{type(e).__name__}: "
        return Timing(error=prefix + first_line)
    return Timing(seconds=statistics.median(loops))


def run_case(case, repeats=7, min_time=0.1):
    """Time every implementation of ``case``: ``{impl: Timing}``."""
    return {name: time_callable(fn, repeats, min_time) for name, fn in case.impls.items()}


# ---- the table -----------------------------------------------------------------------

def format_us(seconds):
    """Microseconds with about three significant digits: ``1.23``, ``45.6``, ``789``."""
    us = seconds * 1e6
    if us < 10:
        return f"{us:.2f}"
    if us < 1000:
        return f"{us:.1f}"
    return f"{us:.0f}"


def _time_cell(timing, width=60):
    if timing is None:
        return "-"
    if timing.error is not None:
        text = f"error: {timing.error}"
        return text if len(text) <= width else text[:width - 3] + "..."
    return format_us(timing.seconds)


def _ratio_cell(timing, baseline):
    if timing is None or timing.error is not None:
        return "-"
    if baseline is None or baseline.error is not None:
        return "-"
    return f"{timing.seconds / baseline.seconds:.2f}x"


def table_columns(results):
    """Implementations shown: the subject, NumPy, then each optional library present."""
    present = {impl for timings in results.values() for impl in timings}
    others = [impl for impl in OPTIONAL if impl in present]
    extra = sorted(present - {SUBJECT, BASELINE} - set(OPTIONAL))
    return [SUBJECT, BASELINE] + others + extra


def table_rows(results):
    """Header and rows: case | subject µs | NumPy µs | subject / NumPy | then µs and
    ratio for each other implementation present."""
    impls = table_columns(results)
    others = impls[2:]
    header = ["case", f"{SUBJECT} (µs)", f"{BASELINE} (µs)", f"{SUBJECT} / {BASELINE}"]
    for impl in others:
        header += [f"{impl} (µs)", f"{impl} / {BASELINE}"]
    rows = [header]
    for name, timings in results.items():
        baseline = timings.get(BASELINE)
        row = [name, _time_cell(timings.get(SUBJECT)), _time_cell(baseline),
               _ratio_cell(timings.get(SUBJECT), baseline)]
        for impl in others:
            row += [_time_cell(timings.get(impl)), _ratio_cell(timings.get(impl), baseline)]
        rows.append(row)
    return rows


def format_table(rows):
    """A Markdown-style table with columns padded to a common width."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row):
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |"
    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), separator] + [line(r) for r in rows[1:]])


def full_errors(results):
    """Lines ``case / impl: message`` for every failed implementation (untruncated)."""
    return [f"{name} / {impl}: {t.error}"
            for name, timings in results.items()
            for impl, t in timings.items() if t.error is not None]


def environment_line():
    """Python, NumPy and optional library versions, and the machine, for the report."""
    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in OPTIONAL:
        module = optional_import(name)
        if module is not None:
            parts.append(f"{name} {getattr(module, '__version__', '?')}")
    parts.append(f"{platform.machine()} {platform.system()}")
    return ", ".join(parts)


def print_group(group):
    """Time every registered case of ``group`` and print the table (a module's ``main``)."""
    cases = [c for c in registered_cases() if c.group == group]
    with np.errstate(over="ignore"):
        results = {case.name: run_case(case) for case in cases}
    print(environment_line())
    print(format_table(table_rows(results)))
    for line in full_errors(results):
        print(f"  {line}")
