"""Write servicebot/filters/t2s.txt, the traditional-to-simplified table servicebot ships:
what the installed OpenCC's t2s makes of each CJK ideograph alone (see the docstring of
servicebot/filters/traditional.py). Run it after upgrading opencc when
tests/unit/test_normalise.py says the table differs, and review the diff.

Run: .venv/bin/python scripts/t2s_table.py
"""

from __future__ import annotations

import opencc  # type: ignore[import-untyped,unused-ignore]

from servicebot.filters.traditional import TABLE_FILE, opencc_t2s


def main() -> None:
    """Write the table: a header naming the OpenCC it came from, then one pair a line."""
    header = (
        "# Traditional Chinese characters and their simplified forms, one pair a line, as\n"
        f"# OpenCC {opencc.__version__}'s t2s converts each character alone (chains followed to\n"
        "# their end). Written by scripts/t2s_table.py: do not edit.\n"
    )
    pairs = "".join(f"{chr(code)}{simple}\n" for code, simple in sorted(opencc_t2s().items()))
    TABLE_FILE.write_text(header + pairs, encoding="utf-8")
    print(f"wrote {TABLE_FILE}")


if __name__ == "__main__":
    main()
