"""functorch_lite.scipy: SciPy-style functions built on functorch_lite.numpy."""
from functorch_lite.scipy import linalg  # noqa: F401
from functorch_lite.scipy import special  # noqa: F401
