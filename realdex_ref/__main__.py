"""``python -m realdex_ref``: the ``realdex`` command, for an environment whose scripts folder is not on PATH."""
import sys

from realdex_ref.cli import main

sys.exit(main())
