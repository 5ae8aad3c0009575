"""``python -m flexdiag``: the same as the ``flexdiag`` console script."""

from flexdiag.cli import main

main()
