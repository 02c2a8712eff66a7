"""How jaxdl is installed: its name on the package index and the command that adds an optional extra.

The import name is ``jaxdl``; the distribution is ``jaxdl-course``, because ``jaxdl`` on the package
index is an unrelated project.
"""

from __future__ import annotations

DISTRIBUTION = "jaxdl-course"
"""The name ``pip install`` takes (pyproject.toml's ``[project] name``)."""


def pip_install(extra: str) -> str:
    """The command that installs jaxdl with the optional ``extra`` (torch, tfds, tensorboard, notebook).

    >>> pip_install("torch")
    'pip install "jaxdl-course[torch]"'
    """
    return f'pip install "{DISTRIBUTION}[{extra}]"'
