"""Effectful primitives: equations that run for what they do, not for a value.

- ``debug_callback``: calls ``callback(*operands)`` (NumPy arrays) at run time and has
  no outputs.  ``functorch_lite.debug.print`` binds it, so compiled programs print real
  values in program order on every call.  It is effectful: compiler passes never
  delete, merge, reorder or constant-fold it.

The ``callback`` param must be hashable (equal callbacks are interchangeable) and is a
Python object, so a program holding this primitive is not serializable.
"""
from xla_like.primitive import Primitive

__all__ = ["debug_callback_p"]


def _debug_callback_abstract_eval(*avals, callback):
    if not callable(callback):
        raise TypeError(f"debug_callback: param 'callback' must be callable, got "
                        f"{type(callback).__name__}")
    return []


def _debug_callback_impl(*values, callback):
    callback(*values)
    return []


debug_callback_p = Primitive("debug_callback", _debug_callback_abstract_eval,
                             _debug_callback_impl, multiple_results=True, effectful=True)
