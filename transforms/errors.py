"""Errors a user sees when a traced value is misused."""


class ConcretizationError(TypeError):
    """A traced value was used where Python needs a concrete one (bool, int, index)."""


class EscapedTracerError(RuntimeError):
    """A traced value was used after the transform that created it had finished."""


def with_location(error, source):
    """Re-create ``error`` (same type) with the user's source line appended."""
    if source is None:
        return error
    new = type(error)(f"{error}\n  (at {source})")
    new.__cause__ = error.__cause__
    return new
