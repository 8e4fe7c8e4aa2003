"""DLPack exchange: functorch_lite.numpy.from_dlpack and Array.__dlpack__ share buffers."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_, np.uint8, np.complex64]


@given(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
def test_round_trip_with_numpy_shares_memory(dtype, shape):
    host = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape).astype(dtype)
    ours = fnp.from_dlpack(host)
    np.testing.assert_array_equal(np.asarray(ours), host)
    assert ours.dtype == host.dtype and ours.shape == host.shape
    assert np.shares_memory(np.asarray(ours), host) or host.size == 0
    back = np.from_dlpack(ours)
    np.testing.assert_array_equal(back, host)
    assert np.shares_memory(back, host) or host.size == 0
    assert not back.flags.writeable                     # our arrays stay immutable


def test_imported_arrays_work_under_every_transform():
    x = fnp.from_dlpack(np.linspace(0.0, 1.0, 5))
    np.testing.assert_allclose(fl.grad(lambda v: fnp.sum(fnp.sin(v)))(x), np.cos(x))
    np.testing.assert_allclose(fl.jit(lambda v: v * 2.0)(x), 2 * np.asarray(x))
    np.testing.assert_allclose(fl.vmap(lambda v: v + 1.0)(x), np.asarray(x) + 1)


def test_non_contiguous_inputs_are_copied_into_a_contiguous_array():
    host = np.arange(12.0).reshape(3, 4)[:, ::2]
    ours = fnp.from_dlpack(host)
    np.testing.assert_array_equal(np.asarray(ours), host)
    assert np.asarray(ours).flags.c_contiguous


def test_device_of_an_array_is_the_host():
    kind, _ = fnp.asarray(np.ones(2)).__dlpack_device__()
    assert kind == 1                                     # kDLCPU


def test_errors_name_what_was_wrong():
    with pytest.raises(TypeError, match="does not support DLPack"):
        fnp.from_dlpack([1.0, 2.0])
    with pytest.raises(ValueError, match="only the CPU device"):
        fnp.from_dlpack(np.ones(2), device="cuda")
    with pytest.raises(TypeError, match="has no buffer to export"):
        fl.grad(lambda v: (v.__dlpack__(), fnp.sum(v))[1])(np.ones(2))
