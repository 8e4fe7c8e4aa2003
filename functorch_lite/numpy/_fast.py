"""The NumPy layer's eager fast paths: compute on the values directly.

A caller takes ``concrete(*args)`` (None: use ``bind``), computes an Array ``out``
from the values, and returns it, or ``tape.record(prim, params, args, out)`` (or
``record_broadcast``) when a tape gave the values.

With no transform active, or under an outermost eager ``grad`` (which records), a
function whose operands need no promotion can call the primitive's implementation on
the NumPy values itself instead of going through ``bind``, and, under ``grad``, record
what ``bind`` would have recorded (``transforms/tape.py``).  Between large array
operations the interpreter runs from cold caches, so every call skipped here shows in
an eager training step.
"""
from transforms.array import Array
from transforms.core import bind, cached_abstract_eval, current_interpreter
from transforms.tape import TapeInterpreter, TapeTracer


def concrete(*args):
    """``(tape, values, slots)`` when every operand is concrete: Arrays with no
    transform active, or Arrays and values recorded by the outermost ``grad`` tape;
    else None.  ``values`` are the NumPy arrays; ``tape`` is None unless an operand is
    recorded, and then ``slots`` holds each recorded operand's slot (None for the
    others), for ``tape.record(..., slots)``."""
    interp = current_interpreter()
    values = []
    if interp is None:
        for a in args:
            if type(a) is not Array:
                return None
            values.append(a._value)
        return None, values, None
    if type(interp) is not TapeInterpreter or interp.parent is not None \
            or interp.upgrade is not None:      # ``tape.recording_tape()``, inlined
        return None
    slots, own = [], False
    for a in args:
        if type(a) is TapeTracer and a._interp is interp:
            slots.append(a.id)
            own = True
            a = a.value
        else:
            slots.append(None)
        if type(a) is not Array:
            return None
        values.append(a._value)
    return (interp, values, slots) if own else (None, values, None)


def bind_concrete(prim, args, params):
    """``bind(prim, *args, **params)`` for a single-output ``prim``, taking the fast
    path when the operands are concrete (``concrete``)."""
    operands = concrete(*args)
    if operands is None:
        return bind(prim, *args, **params)
    out = Array(prim.impl(*operands[1], **params), cached_abstract_eval(prim, args, params))
    tape = operands[0]
    return out if tape is None else tape.record(prim, params, args, out, operands[2])


class OutputAvals:
    """``prim``'s output aval per input aval (one or two operands) for fixed params,
    computed once by its abstract evaluation (which also checks the operands)."""

    def __init__(self, prim, params=None):
        self.prim, self.params, self.table = prim, params or {}, {}

    def __call__(self, args):
        key = args[0].aval if len(args) == 1 else (args[0].aval, args[1].aval)
        out = self.table.get(key)
        if out is None:
            out = cached_abstract_eval(self.prim, args, self.params)
            if len(self.table) > 4096:
                self.table.clear()
            self.table[key] = out
        return out
