"""``python -m saro.cli ...``: the CLI as a module (``accelerate launch -m saro.cli train sft``)."""

import sys

from saro.cli import main

sys.exit(main())
