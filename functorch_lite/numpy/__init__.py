"""functorch_lite.numpy: a NumPy-style API whose functions are compositions of primitives."""
from functorch_lite.numpy._convert import asarray, broadcast_shapes, broadcast_to  # noqa: F401
from functorch_lite.numpy._ufuncs import *  # noqa: F401,F403
