"""Needs a framework that is not installed, to test the error that names the extra."""

import a_framework_that_does_not_exist  # noqa: F401


class TFToyModel:
    pass
