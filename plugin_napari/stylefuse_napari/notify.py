"""Messages for the user: napari notifications, with one wording for the errors we expect."""

from napari.utils.notifications import show_error, show_info, show_warning

__all__ = ["error", "explain", "info", "warning"]


def explain(exc: BaseException) -> str:
    """One line for a failure: a UserError's own message, else the exception type and text."""
    from stylefuse.errors import UserError

    if isinstance(exc, UserError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def error(message: str) -> None:
    show_error(f"stylefuse: {message}")


def warning(message: str) -> None:
    show_warning(f"stylefuse: {message}")


def info(message: str) -> None:
    show_info(f"stylefuse: {message}")
