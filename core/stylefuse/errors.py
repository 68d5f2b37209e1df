"""The one exception type for mistakes a user can fix (bad input, unknown model, ...).

Entry points (CLI, napari, Triton, GIMP) show its message as is: one line that names the problem.
"""


class UserError(ValueError):
    """A problem with what the user asked for or gave; the message says what and how to fix it."""
