"""How fast the filters are, one function per measurement.

Profanity (issue #4): ours vs better-profanity 0.7.0 per message, in the same run, on a 35-word
and a 1,000-word support message (target: ours >= 500x faster, under 0.1 ms for 35-60 words);
and the worst case over 100 KB adversarial inputs (target < 50 ms: no regex backtracking).
Inputs dense with matches are timed apart: their cost grows with the number of findings.
Then the whole pre-filter (normalise, profanity, PII, injection, placeholders) on a 60-word
message (target: median under 0.1 ms), the post-filter on an answer, and the worst time of
each detector and of each whole filter over the adversarial inputs.

Run: .venv/bin/python bench/filters_bench.py
"""

from __future__ import annotations

import functools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from better_profanity import Profanity  # type: ignore[import-untyped]
from evaldata import evaldata  # type: ignore[import-not-found]

from servicebot import load_bot
from servicebot.filters.injection import find_injection
from servicebot.filters.normalise import normalise
from servicebot.filters.pii import find_pii
from servicebot.filters.placeholders import Placeholders
from servicebot.filters.profanity import ProfanityFilter, better_profanity_words, default_filter
from servicebot.postfilter import Postfilter
from servicebot.prefilter import Prefilter

REPO = Path(__file__).resolve().parent.parent
MESSAGE_60 = (
    "Hi, I ordered a blender last week and it still has not arrived. My order number is 100482 "
    "and I paid with Visa. Could you tell me where the parcel is and when it will arrive? I need "
    "it before the weekend because it is a gift for my sister. Thanks a lot for your help, my "
    "phone is 212-555-0199 if you need it."
)
MESSAGE_ZH = (
    "你好，我上周买了一个搅拌机，到现在还没有收到。订单号是100482，用的是Visa付款。请问包裹现在在"
    "哪里？什么时候能到？我周末之前需要用，因为是送给我妹妹的礼物。谢谢！我的电话是13800138000。"
)
ANSWER = (
    "Sorry for the wait! Orders placed before 14:00 ET ship the same day, and standard delivery "
    "takes 3-5 business days. You can track order 100482 at https://maple.example.com/orders "
    "with your order number and email. If it has not arrived by Friday, call +1 800-555-0199 or "
    "write to support@maple.example.com and we will open a carrier claim. We'll text [PHONE_1]."
)
ATTACKS = {  # 100 KB each, aimed at the injection rules and the post-filter's link and tag patterns
    "ignore, repeated": "ignore " * 15_000,
    "ignore, then filler": "ignore the " + "x " * 50_000,
    "every trigger": "show your act as ignore all previous " * 2_700,
    "line starts": "\n  system" * 12_000,
    "hashes": "#" * 100_000,
    "dotted run": "a." * 50_000,
    "scheme, dotted run": "http://" + "a." * 50_000,
    "label inside words": "c" * 99_999 + "1",  # "cc", a card's label, at every letter
    "many phone-length runs": "12345678 a " * 9_091,
    "tag, then equals signs": "<a " + "=" * 99_996 + "<",
    "unclosed tags": "<img src=x " * 9_091,
    "script links": "javascript:" * 9_091,
    # many findings at once: each was compared with each other one (seconds at 100 KB)
    "phones and defanged links": "212-555-0123 e[.]co " * 5_000,
    "spoken addresses": "help at evil dot com " * 4_762,
    "chained addresses": "a@b.co@c.co " * 8_334,
    # the words the postal address and date of birth detectors read around (addresses.py)
    "street lines": "12 Baker Street " * 6_250,
    "ship to": "ship to 1 " * 10_000,
    "born on": "born on 1 " * 10_000,
    "Chinese labelled addresses": "收货地址：北京市朝阳区建国路88号，" * 5_556,
    "Chinese estates": "小区3栋" * 20_000,
    "Chinese and English birth labels": "生日1月1日 dob " * 9_091,
    # floods of one label (labelled.py reads each label): a digit after the last, midway (the
    # pre-filter cuts a message at 50,000 characters), or after each
    "Chinese labels, then a digit": "电话" * 50_000 + "1",
    "card labels, a digit midway": "卡号" * 24_999 + "1" + "卡号" * 25_000,
    "LINE labels, then a digit": "赖" * 100_000 + "1",
    "LINE labels, a digit midway": "赖" * 49_999 + "1" + "赖" * 50_000,
    "Chinese labels, each before a digit": "电话1" * 33_334,
    "order labels, each before a digit": "订单1" * 33_334,
    "account labels, a digit midway": "帐户 " * 16_666 + "1" + "帐户 " * 16_667,
}

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


def print_false_positives() -> None:
    """False alarms on texts labelled clean: Scunthorpe-style cases and obscenity's whitelist."""
    data = evaldata("profanity")
    rows = _jsonl(data / "profanitydetector_test_cases.jsonl")
    texts = [row["input"] for row in rows if not row["expected_contains_profanity"]]
    texts += [row["whitelisted_term"] for row in _jsonl(data / "obscenity_whitelisted_terms.jsonl")]
    ours = sum(default_filter().contains(text) for text in texts)
    reference = sum(Profanity().contains_profanity(text) for text in texts)
    print(
        f"profanity, false positives on {len(texts)} texts labelled clean: ours {ours}, "
        f"better-profanity {reference}"
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def print_whole_filters() -> None:
    """The pre-filter as a turn runs it, and the post-filter on a typical answer."""
    spec = load_bot(REPO)
    prefilter = Prefilter(spec.settings.prefilter)
    postfilter = Postfilter.for_bot(spec)
    system = spec.templates["system.j2"]
    for label, message in (("60-word English", MESSAGE_60), ("Chinese", MESSAGE_ZH)):
        placeholders = Placeholders()
        seconds = median_seconds(lambda m=message, p=placeholders: prefilter.run(m, p), 5_000)
        print(
            f"pre-filter, whole, {label} message ({len(message)} chars): median "
            f"{seconds * 1e3:.4f} ms (target < 0.1 ms)"
        )
    values = {"[PHONE_1]": "13800138000"}
    seconds = median_seconds(lambda: postfilter.run(ANSWER, system, values), 2_000)
    print(f"post-filter, whole, {len(ANSWER.split())}-word answer: median {seconds * 1e3:.4f} ms")


def print_worst_cases() -> None:
    """The slowest of every adversarial input, per detector and per whole filter."""
    spec = load_bot(REPO)
    prefilter = Prefilter(spec.settings.prefilter)
    postfilter = Postfilter.for_bot(spec)
    system = spec.templates["system.j2"]
    inputs = {**ADVERSARIAL, **ATTACKS}
    runs: dict[str, Callable[[str], object]] = {
        "normalise": normalise,
        "PII": find_pii,
        "injection": find_injection,
        "whole pre-filter": lambda text: prefilter.run(text, Placeholders()),
        "whole post-filter": lambda text: postfilter.run(text, system, {}),
    }
    for label, run in runs.items():
        times = {
            name: median_seconds(functools.partial(run, text), 3) for name, text in inputs.items()
        }
        name, worst = max(times.items(), key=lambda item: item[1])
        print(
            f"{label}, worst of {len(inputs)} adversarial 100 KB inputs: {worst * 1e3:.1f} ms "
            f"({name})"
        )


def main() -> None:
    print_per_message("35-word message", MESSAGE_35, repeat_reference=31)
    words = " ".join(SENTENCES).split()
    message_1000 = " ".join(words[i % len(words)] for i in range(1_000))
    print_per_message("1,000-word message", message_1000, repeat_reference=5)
    print_adversarial()
    print_false_positives()
    print_whole_filters()
    print_worst_cases()


if __name__ == "__main__":
    main()
