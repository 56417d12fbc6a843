"""Entry point: ``python -m pytorch_baseline [--worker-version VERSION]``."""

import sys

from pytorch_baseline.serve import main

sys.exit(main(sys.argv[1:]))
