"""Running a kernel's outermost loop on all cores.

Every kernel takes ``(start, stop)`` of its outermost loop (codegen.py).  Large
kernels are split into one contiguous chunk per core: the calling thread runs the
first chunk and a pool of persistent worker threads (started once, on first use)
runs the others.  The native call goes through ctypes, which releases the GIL for
its duration, so the chunks run truly in parallel; no thread is created per call.

``PARALLEL_THRESHOLD``: kernels whose loop space has fewer elements than this run on
the calling thread alone.  Handing chunks to the pool costs ~30-60 us per call on
this machine; with 2 cores a split pays off once a single-threaded run takes well
over that, i.e. from about 2^17 elements for a cheap elementwise op (measured:
``python -m benchmarks.llvm_kernels``, see the numbers in the report/notes).
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

PARALLEL_THRESHOLD = 1 << 17

_pool = None
_pool_lock = threading.Lock()


def worker_count():
    """The number of cores kernels split across (``os.cpu_count()``)."""
    return max(1, os.cpu_count() or 1)


def _workers():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, worker_count() - 1),
                                       thread_name_prefix="llvm-kernel")
        return _pool


def chunks(n, parts):
    """Split range(n) into ``parts`` contiguous (start, stop) pairs, none empty.

    >>> chunks(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    parts = max(1, min(parts, n))
    base, extra = divmod(n, parts)
    bounds, start = [], 0
    for k in range(parts):
        stop = start + base + (1 if k < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def run(cfunc, pointers, outer, elements, threshold=None):
    """``cfunc(*pointers, start, stop)`` over ``range(outer)``, split across the cores
    when the kernel covers at least ``threshold`` elements."""
    limit = PARALLEL_THRESHOLD if threshold is None else threshold
    parts = worker_count() if elements >= limit else 1
    pieces = chunks(outer, parts)
    if len(pieces) == 1:
        cfunc(*pointers, 0, outer)
        return
    futures = [_workers().submit(cfunc, *pointers, lo, hi) for lo, hi in pieces[1:]]
    lo, hi = pieces[0]
    cfunc(*pointers, lo, hi)
    for future in futures:
        future.result()
