"""Where the benchmarks find the public evaluation data: ../shared/evaldata beside the repo.

The data sets were written by others (see each folder's SOURCE.md) and are not copied into
this repository; a missing folder stops the script with this explanation.
"""

from __future__ import annotations

import sys
from pathlib import Path

EVALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "evaldata"


def evaldata(name: str) -> Path:
    """The folder of one data set, or exit saying where it is expected."""
    folder = EVALDATA / name
    if not folder.is_dir():
        sys.exit(
            f"{folder} not found: the public evaluation data (BANKING77, Presidio's PII cases, "
            "...) is expected in ../shared/evaldata beside the repository."
        )
    return folder
