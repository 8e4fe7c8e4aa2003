"""Running a kernel's outermost loop on all cores.

Every kernel takes ``(start, stop)`` of its outermost loop (codegen.py).  Large
kernels are split into a few contiguous chunks per core, which the calling thread
and a pool of persistent worker threads (started once, on first use) take in turn.
The native call goes through ctypes, which releases the GIL for its duration, so the
chunks run truly in parallel; no thread is created per call.

``PARALLEL_THRESHOLD``: kernels whose loop space has fewer elements than this run on
the calling thread alone.  Handing chunks to the pool costs ~20-40 us per call here
(measured: a 4096-element kernel takes ~2 us alone, ~30-45 us split), so a split
can only pay once a single-threaded run takes a few hundred microseconds: 2^17
float32 elements of a transcendental (tanh: ~145 us) or of a short chain.  Cheaper,
memory-bound kernels of that size gain little either way.

On this 2-core machine, shared with other agents (load average 2-4), the gain came
and went: the 11-op chain on 2^22 float32 once ran in 2.6 ms split (4.6 ms of CPU
time over two cores) against 4.6 ms on one thread, but mostly the process got about
one core either way and the split only broke even.  ``python -m
benchmarks.llvm_kernels`` prints both columns to re-measure on a quiet machine.  Full reductions (no kept axis: a single outer iteration) never
split.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

PARALLEL_THRESHOLD = 1 << 17
CHUNKS_PER_WORKER = 4

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


class _Queue:
    """Chunks handed out one at a time to whichever thread asks first."""

    def __init__(self, pieces):
        self.pieces = iter(pieces)
        self.lock = threading.Lock()

    def drain(self, cfunc, pointers):
        while True:
            with self.lock:
                piece = next(self.pieces, None)
            if piece is None:
                return
            cfunc(*pointers, *piece)


def run(cfunc, pointers, outer, elements, threshold=None):
    """``cfunc(*pointers, start, stop)`` over ``range(outer)``, split across the cores
    when the kernel covers at least ``threshold`` elements.

    The range is cut into CHUNKS_PER_WORKER chunks per core, which the calling thread
    and the pool's threads take in turn: when another process holds a core, its thread
    simply takes fewer chunks instead of holding up the whole call."""
    limit = PARALLEL_THRESHOLD if threshold is None else threshold
    workers = worker_count() if elements >= limit else 1
    if workers == 1 or outer < 2:
        cfunc(*pointers, 0, outer)
        return
    queue = _Queue(chunks(outer, workers * CHUNKS_PER_WORKER))
    futures = [_workers().submit(queue.drain, cfunc, pointers) for _ in range(workers - 1)]
    queue.drain(cfunc, pointers)
    for future in futures:
        # A task that has not started finds no work left: cancel it rather than wait
        # (also no deadlock when this runs on the pool's own thread).
        if not future.cancel():
            future.result()
