"""How fast the pre-filter's detectors are, one function per measurement.

Profanity (issue #4): ours vs better-profanity 0.7.0 per message, in the same run, on a 35-word
and a 1,000-word support message (target: ours >= 500x faster, under 0.1 ms for 35-60 words);
and the worst case over 100 KB adversarial inputs (target < 50 ms: no regex backtracking).
Inputs dense with matches are timed apart: their cost grows with the number of findings.

Run: .venv/bin/python bench/filters_bench.py
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable

from better_profanity import Profanity  # type: ignore[import-untyped]

from servicebot.filters.profanity import ProfanityFilter, better_profanity_words, default_filter

MESSAGE_35 = (
    "Hi, I ordered the blue jacket last week and the tracking page still says pending. "
    "Could you check order 48213 and tell me when it ships? This is damn annoying, "
    "thanks a lot for helping."
)
SENTENCES = [
    "My parcel arrived late and the box was crushed, so please send a replacement.",
    "I tried to log in three times and the password reset email never came.",
    "Can you refund the second charge on invoice 2024-117 to my card?",
    "This is the worst shit service I have had, fix it or I cancel.",
    "Thanks for the quick answer yesterday, the app works again now.",
]
ADVERSARIAL = {  # 100 KB each
    "one letter": "a" * 100_000,
    "one digit": "7" * 100_000,
    "at signs": "@" * 100_000,
    "asterisks": "*" * 100_000,
    "spaces": " " * 100_000,
    "zero-width": "\u200b" * 100_000,
    "repeated separators": "-_.," * 25_000,
    "nested brackets": "([{<" * 12_500 + ">}])" * 12_500,
    "letter, separator": "a-" * 50_000,
    "star, separator": "*-" * 50_000,
    "digit, space": "1 " * 50_000,
    "at, space": "@ " * 50_000,
    "leet letters": "4@*1l0$5 " * 11_112,
    "phrase starts": "son of a " * 11_112,
    "CJK run": "傻" * 100_000,
    "CJK, separator": "傻 " * 50_000,
    "allow-listed CJK": "操作" * 50_000,
}
DENSE = {  # 100 KB each, a finding every few characters
    "profane words": "fuck " * 20_000,
    "spaced-out phrase": "f.u.c.k. " * 11_112,
    "CJK words": "傻逼" * 50_000,
}


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def profanity_per_message(message: str, repeat_reference: int) -> tuple[float, float]:
    """(ours, better-profanity) median seconds to censor ``message``."""
    ours, reference = default_filter(), Profanity()
    assert ours.censor(message) == reference.censor(message)
    return (
        median_seconds(lambda: ours.censor(message), repeat=2_000),
        median_seconds(lambda: reference.censor(message), repeat=repeat_reference),
    )


def operator_filter() -> ProfanityFilter:
    """better-profanity's list plus a short Chinese list with an allow-list, as a bot has."""
    return ProfanityFilter(
        {"profanity": better_profanity_words(), "insult": ["傻逼", "操", "滚蛋"]}, allow=["操作"]
    )


def profanity_adversarial(inputs: dict[str, str]) -> dict[str, tuple[float, int]]:
    """Median seconds of ``find`` (and the number of findings) for each input."""
    find = operator_filter().find
    return {
        name: (median_seconds(functools.partial(find, text), repeat=5), len(find(text)))
        for name, text in inputs.items()
    }


def print_per_message(label: str, message: str, repeat_reference: int) -> None:
    ours, reference = profanity_per_message(message, repeat_reference)
    print(
        f"profanity, {label} ({len(message.split())} words): ours {ours * 1e3:.4f} ms, "
        f"better-profanity {reference * 1e3:.1f} ms, ratio {reference / ours:,.0f}x "
        "(target >= 500x)"
    )


def print_adversarial() -> None:
    times = profanity_adversarial(ADVERSARIAL)
    name, (worst, _) = max(times.items(), key=lambda item: item[1][0])
    print(
        f"profanity, worst of {len(times)} adversarial 100 KB inputs: {worst * 1e3:.1f} ms "
        f"({name}) (target < 50 ms)"
    )
    for name, (seconds, findings) in profanity_adversarial(DENSE).items():
        print(f"  dense 100 KB input, {name}: {seconds * 1e3:.1f} ms for {findings:,} findings")


def main() -> None:
    print_per_message("35-word message", MESSAGE_35, repeat_reference=31)
    words = " ".join(SENTENCES).split()
    message_1000 = " ".join(words[i % len(words)] for i in range(1_000))
    print_per_message("1,000-word message", message_1000, repeat_reference=5)
    print_adversarial()


if __name__ == "__main__":
    main()
