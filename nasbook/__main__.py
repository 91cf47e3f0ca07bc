"""``python -m nasbook`` is the same as the ``nasbook`` command."""
import sys

from nasbook.cli import main

sys.exit(main())
