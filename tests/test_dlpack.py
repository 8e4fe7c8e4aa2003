"""DLPack exchange: functorch_lite.numpy.from_dlpack and Array.__dlpack__ share buffers
with NumPy, PyTorch (skipped without torch) and cupy (skipped without cupy and a GPU);
the Array API's copy= and device= keywords."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp

# numpy.from_dlpack takes copy= and device= from NumPy 2.1
needs_numpy_2_1 = pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.1.0",
                                     reason="numpy.from_dlpack's copy=/device= need NumPy 2.1")
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
    with pytest.raises(ValueError, match="device 'cuda' is not available here"):
        fnp.from_dlpack(np.ones(2), device="cuda")
    with pytest.raises(TypeError, match="has no buffer to export"):
        fl.grad(lambda v: (v.__dlpack__(), fnp.sum(v))[1])(np.ones(2))


# ---- copy= and device= (the Array API keywords) ----------------------------------------------

def _host(x):
    return np.asarray(x)


def test_copy_keyword():
    host = np.arange(6.0)
    assert np.shares_memory(_host(fnp.from_dlpack(host, copy=False)), host)
    copied = fnp.from_dlpack(host, copy=True)
    assert not np.shares_memory(_host(copied), host)
    np.testing.assert_array_equal(copied, host)
    strided = host[::2]
    np.testing.assert_array_equal(fnp.from_dlpack(strided, copy=True), strided)
    with pytest.raises(ValueError, match="copy=False, but .* has to be copied"):
        fnp.from_dlpack(strided, copy=False)


@needs_numpy_2_1
def test_consumers_can_ask_our_export_for_a_copy():
    ours = fnp.asarray(np.arange(4.0))
    assert np.shares_memory(np.from_dlpack(ours, copy=False), _host(ours))
    copied = np.from_dlpack(ours, copy=True)
    assert not np.shares_memory(copied, _host(ours))
    np.testing.assert_array_equal(copied, ours)
    assert np.from_dlpack(ours, device="cpu").ctypes.data == _host(ours).ctypes.data


def test_device_keyword():
    host = np.arange(3.0)
    for device in ("cpu", fnp.ones(1).device):
        y = fnp.from_dlpack(host, device=device)
        assert y.device == fnp.ones(1).device and np.shares_memory(_host(y), host)


class _FakeGpuArray:
    """A DLPack producer on a CUDA device that can hand a host copy on request."""

    def __init__(self, host):
        self.host, self.requests = host, []

    def __dlpack_device__(self):
        return (2, 0)                                   # kDLCUDA, device 0

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        self.requests.append(dl_device)
        if dl_device is None or tuple(dl_device) != (1, 0):
            raise BufferError("data lives in GPU memory")
        return self.host.copy().__dlpack__(max_version=max_version)


@needs_numpy_2_1
def test_device_arrays_need_device_cpu():
    gpu = _FakeGpuArray(np.arange(4.0))
    with pytest.raises(BufferError, match="only the CPU is available here; pass device='cpu'"):
        fnp.from_dlpack(gpu)
    y = fnp.from_dlpack(gpu, device="cpu")
    np.testing.assert_array_equal(y, np.arange(4.0))
    assert tuple(gpu.requests[-1]) == (1, 0)            # the producer was asked for the host
    with pytest.raises(ValueError, match="copy=False, but .* moving it to the CPU is a copy"):
        fnp.from_dlpack(gpu, device="cpu", copy=False)


# ---- PyTorch ---------------------------------------------------------------------------------

def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool", "uint8"])
def test_torch_to_functorch_lite_shares_memory(dtype):
    torch = _torch()
    t = torch.arange(12).reshape(3, 4).to(getattr(torch, dtype))
    ours = fnp.from_dlpack(t)
    assert ours.shape == tuple(t.shape) and ours.dtype == np.dtype(dtype)
    assert _host(ours).ctypes.data == t.data_ptr()              # the same buffer
    np.testing.assert_array_equal(ours, t.numpy())
    np.testing.assert_allclose(fl.jit(lambda v: v * 2)(ours), 2 * t.numpy())
    assert _host(fnp.from_dlpack(t, copy=True)).ctypes.data != t.data_ptr()


def test_functorch_lite_to_torch_shares_memory():
    torch = _torch()
    ours = fnp.asarray(np.random.default_rng(0).normal(size=(2, 5)))
    t = torch.from_dlpack(ours)
    assert t.data_ptr() == _host(ours).ctypes.data               # no copy
    assert tuple(t.shape) == ours.shape and t.dtype == torch.float64
    np.testing.assert_array_equal(t.numpy(), ours)
    back = fnp.from_dlpack(t)                                    # and back again
    assert _host(back).ctypes.data == _host(ours).ctypes.data


def test_torch_non_contiguous_tensors_are_copied_or_refused():
    torch = _torch()
    t = torch.arange(12.0).reshape(3, 4).T
    ours = fnp.from_dlpack(t)
    np.testing.assert_array_equal(ours, t.numpy())
    assert _host(ours).flags.c_contiguous
    with pytest.raises(ValueError, match="copy=False"):
        fnp.from_dlpack(t, copy=False)


# ---- cupy (needs a GPU) ------------------------------------------------------------------------

def test_cupy_arrays_come_to_the_host_on_request():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            pytest.skip("no GPU")
    except cupy.cuda.runtime.CUDARuntimeError:
        pytest.skip("no GPU")
    x = cupy.arange(6.0).reshape(2, 3)
    with pytest.raises(BufferError, match="pass device='cpu'"):
        fnp.from_dlpack(x)
    ours = fnp.from_dlpack(x, device="cpu")
    np.testing.assert_array_equal(ours, cupy.asnumpy(x))
    with pytest.raises(ValueError, match="copy=False"):
        fnp.from_dlpack(x, device="cpu", copy=False)
    back = cupy.asarray(np.from_dlpack(ours))        # host -> device goes through NumPy
    np.testing.assert_array_equal(cupy.asnumpy(back), np.asarray(ours))
