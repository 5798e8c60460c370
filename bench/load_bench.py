"""How long loading a bot takes: a generated 10,000-intent FAQ, and `servicebot check` itself.

Targets (issue #2): 10,000 intents load in under 2 s; `servicebot check` on the example bot
takes under 0.5 s. Also prints PyYAML's pure-Python parser on the same files, for reference.

Run: .venv/bin/python bench/load_bench.py
"""

from __future__ import annotations

import compileall
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from servicebot import ConfigError, load_bot

REPO = Path(__file__).resolve().parent.parent
INTENTS, FILES = 10_000, 20


def write_faq(folder: Path) -> None:
    """A bot with INTENTS intents, each shaped like the example bot's (10 examples, 2 answers)."""
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copy(REPO / "servicebot.yaml", folder / "servicebot.yaml")
    (folder / "faq").mkdir()
    per_file = INTENTS // FILES
    for f in range(FILES):
        lines = ["intents:"]
        for i in range(f * per_file, (f + 1) * per_file):
            lines += [
                f"  - name: intent_{i}",
                f"    description: Generated intent {i}, terms & conditions apply.",
                "    examples:",
            ]
            lines += [f"      - how do I do thing {i} variant {j}" for j in range(6)]
            lines += [f"      - 我想办理第{i}号业务的第{j}种方式" for j in range(4)]
            url = f"https://maple.example.com/help/{i}"
            lines += [
                "    answer:",
                f"      en: To do thing {i}, open {url} and follow the steps.",
                f"      zh: 办理第{i}号业务，请打开 {url} 并按步骤操作。",
                "    few_shot:",
                f"      - user: can you help with thing {i}",
                f"        assistant: Of course. Open {url}.",
            ]
        (folder / "faq" / f"part{f:02}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _problems(bot: Path) -> int:
    try:
        load_bot(bot)
    except ConfigError as error:
        return len(error.problems)
    return 0


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bot = Path(tmp)
        write_faq(bot)
        size = sum(p.stat().st_size for p in (bot / "faq").iterdir())
        load = timed(lambda: load_bot(bot), repeat=5)
        spec = load_bot(bot)
        files = sorted((bot / "faq").iterdir())
        libyaml = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        c_parse = timed(lambda: [yaml.load(p.read_text(), libyaml) for p in files], 3)
        py_parse = timed(lambda: [yaml.load(p.read_text(), yaml.SafeLoader) for p in files], 1)
        with (bot / "faq" / "part19.yaml").open("a", encoding="utf-8") as broken:
            broken.write("  - name: late\n    answer Oops.\n")  # a mistake on the last line
        late = timed(lambda: _problems(bot), repeat=3)
    print(
        f"generated FAQ: {len(spec.intents):,} intents, {spec.example_count:,} examples, "
        f"{FILES} files, {size / 1e6:.1f} MB"
    )
    print(
        f"load_bot (parse + validate + cross-checks): median {statistics.median(load):.3f} s, "
        f"max {max(load):.3f} s  (target < 2 s)"
    )
    print(
        f"  for reference, PyYAML yaml.load alone: libyaml {statistics.median(c_parse):.3f} s, "
        f"pure-Python PyYAML {py_parse[0]:.3f} s"
    )

    print(
        f"a YAML mistake on the last line of a 500-intent file, found and placed: median "
        f"{statistics.median(late):.3f} s"
    )

    # pip compiles a package's bytecode when it installs it; an editable install, or a shell
    # with PYTHONDONTWRITEBYTECODE set, would time compiling every module on each run instead.
    compileall.compile_dir(REPO / "servicebot", quiet=1)
    script = Path(sys.executable).parent / "servicebot"
    check = timed(
        lambda: subprocess.run([str(script), "check", str(REPO)], check=True, capture_output=True),
        repeat=7,
    )
    print(
        f"`servicebot check` on the example bot (whole process): median "
        f"{statistics.median(check):.3f} s, max {max(check):.3f} s  (target < 0.5 s)"
    )


if __name__ == "__main__":
    main()
