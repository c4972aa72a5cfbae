"""Entry point for ``python -m``: the same command line as the console script."""

from .cli import main

main()
