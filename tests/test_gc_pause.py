"""xla_like.gc_pause: the collector is paused inside, restored after (nested, threads)."""
import gc
import threading

from xla_like.gc_pause import gc_paused


def test_pauses_nest_and_restore_the_previous_state():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_threads_end_enabled():
    entered, release = threading.Barrier(3), threading.Event()

    def work():
        with gc_paused():
            entered.wait()
            release.wait()
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_an_exception_inside_restores_the_collector():
    try:
        with gc_paused():
            raise ValueError("inside")
    except ValueError:
        pass
    assert gc.isenabled()
