"""Higher-order primitives: their params hold sub-programs (closed ``Program``s whose
leading inputs are the values the staged Python function closed over) and, for
user-defined derivatives, the user's Python rules.

- ``custom_jvp_call``: ``call`` with a user-defined derivative program ``jvp``.
- ``custom_vjp_call``: ``call`` with user ``fwd``/``bwd`` programs for reverse mode.
- ``custom_lin``: the linear part of a ``custom_vjp_call`` (its transpose runs ``bwd``).
- ``remat``: ``body`` whose intermediates are recomputed, not saved, for reverse mode.
"""
from xla_like.ir import Program
from xla_like.primitive import Primitive
from xla_like.reference import evaluate

__all__ = ["custom_jvp_call_p", "custom_vjp_call_p", "custom_lin_p", "remat_p", "jit_p"]


def check_program_inputs(name, program, avals, what="call"):
    if not isinstance(program, Program):
        raise TypeError(f"{name}: param {what!r} must be a Program, got {type(program).__name__}")
    expected = [a.strong() for a in program.in_avals]
    got = [a.strong() for a in avals]
    if expected != got:
        raise TypeError(f"{name}: operands {', '.join(map(str, got))} do not match the "
                        f"{what} program's inputs {', '.join(map(str, expected))}")


def _custom_jvp_abstract_eval(*avals, call, jvp, num_consts):
    check_program_inputs("custom_jvp_call", call, avals)
    return list(call.out_avals)


def _custom_call_impl(*values, call, **rules):
    return evaluate(call, *values)


# operands: the call program's inputs (closed-over values, then arguments); ``jvp`` is
# the user's Python rule (so programs holding this primitive are not serializable)
custom_jvp_call_p = Primitive("custom_jvp_call", _custom_jvp_abstract_eval, _custom_call_impl,
                              multiple_results=True)


def _custom_vjp_abstract_eval(*avals, call, fwd, bwd, num_consts):
    check_program_inputs("custom_vjp_call", call, avals)
    return list(call.out_avals)


custom_vjp_call_p = Primitive("custom_vjp_call", _custom_vjp_abstract_eval, _custom_call_impl,
                              multiple_results=True)


def _custom_lin_abstract_eval(*avals, bwd, num_res, out_avals):
    return list(out_avals)


def _custom_lin_impl(*values, bwd, num_res, out_avals):
    raise NotImplementedError(
        "forward-mode differentiation (jvp) of a custom_vjp function is not supported: "
        "it only defines reverse mode; use custom_jvp to define both")


# operands: residuals, then the input tangents; ``bwd`` is the user's Python function
custom_lin_p = Primitive("custom_lin", _custom_lin_abstract_eval, _custom_lin_impl,
                         multiple_results=True)

REMAT_POLICIES = ("nothing_saveable", "everything_saveable")


def _remat_abstract_eval(*avals, body, policy):
    if policy not in REMAT_POLICIES:
        raise ValueError(f"remat: unknown policy {policy!r}; known: {REMAT_POLICIES}")
    check_program_inputs("remat", body, avals, "body")
    return list(body.out_avals)


def _remat_impl(*values, body, policy):
    return evaluate(body, *values)


remat_p = Primitive("remat", _remat_abstract_eval, _remat_impl, multiple_results=True)


def _jit_abstract_eval(*avals, program, name):
    check_program_inputs(f"jit({name})", program, avals, "program")
    return list(program.out_avals)


def _jit_impl(*values, program, name):
    """Run ``program`` compiled for the CPU (compiled once per program, then cached)."""
    from xla_like.backends.cpu import CPU_BACKEND    # the backends import this package
    return CPU_BACKEND.compile(program)(*values)


# A staged function call: ``program`` runs as one unit (the backend may compile it).
jit_p = Primitive("jit", _jit_abstract_eval, _jit_impl, multiple_results=True)
