"""``python -m nasbook`` is the same as the ``nasbook`` command."""
import sys

from .cli import main

sys.exit(main())
