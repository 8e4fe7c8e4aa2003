"""Backends and the device registry.  ``cpu`` is always there."""
from xla_like.backends.cpu import CPU_BACKEND, CpuDevice  # noqa: F401

_BACKENDS = {"cpu": CPU_BACKEND}


def get_backend(platform="cpu"):
    try:
        return _BACKENDS[platform]
    except KeyError:
        raise ValueError(f"unknown or unavailable platform {platform!r}; "
                         f"available: {sorted(_BACKENDS)}") from None


def devices(platform=None):
    """All devices, or those of one platform: ``devices('cpu') == [CpuDevice(id=0)]``."""
    platforms = [platform] if platform is not None else list(_BACKENDS)
    return [d for p in platforms for d in get_backend(p).devices()]


def default_device():
    return CPU_BACKEND.devices()[0]
