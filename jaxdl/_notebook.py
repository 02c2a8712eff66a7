"""Whether this process is a Jupyter kernel, where figures and widgets can be shown."""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """Whether this process is a Jupyter (IPython) kernel, where figures can be shown and updated.

    >>> in_notebook()
    False
    """
    if "IPython" not in sys.modules:
        return False
    from IPython.core.getipython import get_ipython

    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")
