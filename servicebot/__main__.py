"""``python -m servicebot``: the same as the ``servicebot`` command."""

from .cli import main

main()
