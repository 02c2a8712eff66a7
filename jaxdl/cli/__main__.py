"""``python -m jaxdl.cli ARGS`` runs ``jaxdl ARGS``."""

import sys

from jaxdl.cli import main

if __name__ == "__main__":
    sys.exit(main())
