"""``quietly(fn, *args)``: call a NumPy function with overflow and invalid-value
warnings off, as ``np.errstate(over="ignore", invalid="ignore")`` does.

Matrix products and reductions raise those flags on values that are simply
inf/NaN (and BLAS can raise them spuriously); the compiled code never warns, so the
implementations stay quiet too.  ``np.errstate`` is three Python frames per call;
between large products, where the interpreter runs from cold caches, that measured
~10 us per product (128x784x512 float32: 361 us with it, 353 us with this, 349 us
bare).  This sets NumPy's error-state context variable directly and falls back to
``np.errstate`` if that private hook is ever missing.
"""
import contextvars
import functools

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
except ImportError:                                     # pragma: no cover
    _extobj_contextvar = None

# For the hottest call sites (the matrix product, reductions), with no frame at all:
#     token = ERROR_STATE.set(quiet_state()); try: ... finally: ERROR_STATE.reset(token)
if _extobj_contextvar is not None:
    ERROR_STATE = _extobj_contextvar
    quiet_state = functools.partial(_make_extobj, over="ignore", invalid="ignore")
else:                                                   # pragma: no cover
    # without the hook those sites warn as NumPy does (``quietly`` still is quiet)
    ERROR_STATE = contextvars.ContextVar("functorch_lite_unused_error_state")
    quiet_state = type(None)


def quietly(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with overflow and invalid-value warnings off.

    >>> quietly(np.matmul, np.full((1, 1), 1e30, np.float32), np.full((1, 1), 1e30, np.float32))
    array([[inf]], dtype=float32)
    """
    if _extobj_contextvar is None:                      # pragma: no cover
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)
    token = _extobj_contextvar.set(_make_extobj(over="ignore", invalid="ignore"))
    try:
        return fn(*args, **kwargs)
    finally:
        _extobj_contextvar.reset(token)
