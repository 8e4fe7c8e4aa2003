"""Pause Python's cyclic garbage collector while a burst of short-lived objects is made.

Tracing and compiling a program allocate hundreds of thousands of small objects
(equations, variables, llvmlite IR values).  Each allocation burst triggers the cyclic
collector, and a full collection walks every object in the process: with a large
library loaded that adds ~160 ms to one compile in four (measured on a 1000-equation
chain, ``python -m benchmarks jit_cases``).  Reference counting still frees almost
everything as it goes; the few cycles left are collected after the pause.

    >>> with gc_paused():
    ...     executable = CPU_BACKEND.compile(program)

Pauses nest and may overlap between threads: the collector is re-enabled when the
last pause ends, and only if it was enabled when the first began.
"""
import gc
import threading

_lock = threading.Lock()
_depth = 0
_was_enabled = False


class gc_paused:
    """Context manager: no cyclic collection inside (see the module docstring)."""
    __slots__ = ()

    def __enter__(self):
        global _depth, _was_enabled
        with _lock:
            if _depth == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _depth += 1

    def __exit__(self, *exc):
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
        return False
