"""Transform rules of the effectful primitives (``xla_like/primitives/effects.py``).

``debug_callback`` has no outputs, so its rules only decide which values the callback
sees:

- jvp / grad: the primal values (tangents are not shown; reverse mode linearizes, so
  the callback runs once, in the forward pass, with primal values);
- vmap: the whole batch at once, each batched operand with its batch axis moved to the
  front (``[batch, ...]``); unbatched operands are passed unchanged.

It has no transpose rule: it never acts on tangents, so it never appears in a linear
program.
"""
from transforms.core import bind
from transforms.jvp import jvp_rules
from transforms.vmap import batch_rules, move_bdim
from xla_like.primitives.effects import debug_callback_p


def _debug_callback_jvp(primals, tangents, callback):
    bind(debug_callback_p, *primals, callback=callback)
    return [], []


jvp_rules[debug_callback_p] = _debug_callback_jvp


def _debug_callback_batch(args, bdims, callback):
    values = [x if b is None else move_bdim(x, b, 0) for x, b in zip(args, bdims)]
    bind(debug_callback_p, *values, callback=callback)
    return [], []


batch_rules[debug_callback_p] = _debug_callback_batch
