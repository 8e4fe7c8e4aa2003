"""The CPU backend: buffers are NumPy arrays, so eager ops run each primitive's reference
implementation on them directly (``transforms.core.eager``)."""
import numpy as np


class CpuDevice:
    platform = "cpu"

    def __init__(self, id):
        self.id = id

    def __repr__(self):
        return f"CpuDevice(id={self.id})"

    def __eq__(self, other):
        return type(other) is CpuDevice and other.id == self.id

    def __hash__(self):
        return hash(("cpu", self.id))


class CpuBackend:
    platform = "cpu"

    def __init__(self):
        self._devices = [CpuDevice(0)]

    def devices(self):
        return list(self._devices)

    def put(self, host_array, device=None):
        """Copy a host array into a buffer the backend owns."""
        return np.array(host_array, copy=True)

    def get(self, buffer):
        return np.asarray(buffer)


CPU_BACKEND = CpuBackend()
