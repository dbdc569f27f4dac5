"""``python -m pssh``: the ``pssh`` command (see :mod:`pssh.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
