"""The buffer plan: when each value can be dropped, and which dead buffers a step can
write its outputs into instead of allocating.

Given the steps of a partitioned program (fusion.py), every value is dropped right
after the last step that reads it (program outputs never are).  A dead value's
buffer is *reused* as an output of a later step when

* the value was produced by a step with ``fresh(step)`` (it owns a new buffer that
  nothing else aliases, e.g. a loop kernel or a BLAS call),
* every step reading it also has ``fresh(step)`` (so no view of it survives),
* it is not a program output, and it died strictly before the receiving step
  (kernels' parameters are ``noalias``: no in-place updates),
* the receiving step has ``accepts_buffers(step)`` and the output has the dead value's
  shape and dtype.

``peak_temp_bytes`` is the largest total size of live intermediate values (produced by
a step, not program outputs) at any step: what ``memory_analysis`` reports.
"""
from typing import NamedTuple

from xla_like.ir import Var


class BufferPlan(NamedTuple):
    """Per step: ``frees[i]`` Vars to drop after step ``i``; ``donations[i]`` a tuple of
    ``(output var, dead var whose buffer it takes)``."""
    frees: tuple
    donations: tuple
    peak_temp_bytes: int


def _nbytes(var):
    return var.aval.size * var.aval.dtype.itemsize


def _last_uses(steps, outputs):
    last = {}
    for i, step in enumerate(steps):
        for var in step.inputs:
            last[var] = i
    for var in outputs:
        last.pop(var, None)
    return last


def _reusable(steps, fresh, outputs):
    """Vars whose buffers may be handed to a later step once dead."""
    producer_fresh, readers_fresh = {}, {}
    for step in steps:
        is_fresh = fresh(step)
        for var in step.outputs:
            producer_fresh[var] = is_fresh
        for var in step.inputs:
            readers_fresh[var] = readers_fresh.get(var, True) and is_fresh
    return {v for v, ok in producer_fresh.items()
            if ok and readers_fresh.get(v, False) and v not in outputs}


def _peak_temp_bytes(steps, frees, outputs):
    temps = {v for step in steps for v in step.outputs if v not in outputs}
    live = peak = 0
    for step, dropped in zip(steps, frees):
        live += sum(_nbytes(v) for v in step.outputs if v in temps)
        peak = max(peak, live)
        live -= sum(_nbytes(v) for v in dropped if v in temps)
    return peak


def _keep_donors_alive(frees, donations, last):
    """A donated buffer is dropped after the step it is handed to, not at its death."""
    frees = [list(f) for f in frees]
    for i, given in enumerate(donations):
        for _, donor in given:
            frees[last[donor]].remove(donor)
            frees[i].append(donor)
    return tuple(tuple(f) for f in frees)


def buffer_plan(program, steps, fresh, accepts_buffers):
    """Plan drops and buffer reuse for ``steps`` (see the module docstring).

    >>> plan = buffer_plan(program, steps, fresh=lambda s: s.fused, accepts_buffers=...)
    >>> plan.frees[0]          # values whose last reader is step 0
    """
    outputs = {a for a in program.outvars if isinstance(a, Var)}
    last = _last_uses(steps, outputs)
    reusable = _reusable(steps, fresh, outputs)
    dying = [[] for _ in steps]
    for var, i in last.items():
        dying[i].append(var)
    pool, frees, donations = {}, [], []
    for i, step in enumerate(steps):
        given = []
        if accepts_buffers(step):
            for var in step.outputs:
                donors = pool.get((var.aval.shape, var.aval.dtype))
                if donors:
                    given.append((var, donors.pop()))
        donations.append(tuple(given))
        for var in dying[i]:
            if var in reusable:
                pool.setdefault((var.aval.shape, var.aval.dtype), []).append(var)
        frees.append(tuple(dying[i]))
    peak = _peak_temp_bytes(steps, frees, outputs)
    donations = tuple(donations)
    return BufferPlan(_keep_donors_alive(frees, donations, last), donations, peak)
