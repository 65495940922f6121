"""The thin entry the design card names: the pytest plugin itself lives in the package,
as :mod:`mockfiles.pytest_plugin` (the installed ``pytest11`` entry point), under a name
no project's own module can shadow. This file is not installed."""

from mockfiles.pytest_plugin import *  # noqa: F403
