"""Reading an operator's text files: the size cap, the encoding, and where a mistake is.

Owns :class:`SourceFile` (a file's text and lines, and :class:`~servicebot.errors.Problem`
builders that quote the offending line) and :func:`read_text`, which refuses what is not a
regular UTF-8 file of reasonable size. Nothing here raises for a bad file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from .errors import Problem
from .filters.traditional import folds

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # lines as editors and Jinja count them

SETTINGS_FILE = "servicebot.yaml"  # a bot folder's settings, and its FAQ folder
FAQ_FOLDER = "faq"
MAX_FILE_BYTES = 5 * 1024 * 1024
"""Operator files larger than this are refused: a FAQ file is text a person edits."""


@dataclass
class SourceFile:
    """One operator file's text, split into lines for error messages."""

    path: Path
    text: str
    lines: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lines = _LINE_BREAK.split(self.text)

    def problem(self, message: str, line: int | None = None, column: int | None = None) -> Problem:
        """A problem at 1-based ``line``/``column``, quoting the line itself."""
        source = self.lines[line - 1] if line and 0 < line <= len(self.lines) else None
        return Problem(self.path, message, line, column, source)

    def problem_at_offset(self, message: str, offset: int) -> Problem:
        """A problem at a character offset into the text."""
        line, column = self.position(offset)
        return self.problem(message, line + 1, column + 1)

    def position(self, offset: int) -> tuple[int, int]:
        """The 0-based line and column of a character offset, as an editor counts lines."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line, offset - self._line_starts[line]

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 0-based line and column: :meth:`position` undone."""
        return self._line_starts[line] + column

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(match.end() for match in _LINE_BREAK.finditer(self.text))]


def operator_files(folder: Path, *suffixes: str) -> list[Path]:
    """Every file in ``folder`` and its subfolders whose name ends in one of ``suffixes`` (in
    any case), sorted, skipping hidden ones (editors' lock and backup files start with '.')
    and folders that are links (``Path.rglob`` does not enter them)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def read_text(path: Path, problems: list[Problem]) -> SourceFile | None:
    """Read an operator file as UTF-8, refusing special, oversized and undecodable files."""
    raw = _read_bytes(path, problems)
    return None if raw is None else decode(path, raw, problems)


def decode(path: Path, raw: bytes, problems: list[Problem]) -> SourceFile | None:
    """``raw``, the bytes of ``path``, as UTF-8 text; a byte order mark is dropped. Other
    encodings are refused at their first undecodable character, and UTF-16, GBK and Big5 (as
    Chinese Windows saves text) are named, so that the operator knows what to convert from;
    a line in GBK or Big5 is quoted as read in it, so that the operator can read it."""
    utf16 = Problem(path, "saved as UTF-16: save the file as UTF-8 instead")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(raw):
        problems.append(utf16)
        return None
    try:
        return SourceFile(path, raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        # Only once UTF-8 fails: ASCII read as UTF-16 is ideographs ("ab" is U+6261, 扡).
        if _utf16_chinese(raw):
            problems.append(utf16)
            return None
        encoding = chinese_encoding(raw)
        # The line quoted as the operator wrote it: read as UTF-8, Chinese saved as GBK is
        # replacement marks and stray characters (我的订单 as "�ҵĶ���").
        reading = encoding or "utf-8"
        readable = SourceFile(path, raw.decode(reading, errors="replace"))
        offset = len(raw[: exc.start].decode(reading, errors="replace"))
        saved_as = f"; it looks saved as {_NAMES[encoding]}" if encoding else ""
        message = f"not UTF-8 (byte 0x{raw[exc.start]:02x}{saved_as}); save the file as UTF-8"
        problems.append(readable.problem_at_offset(message, offset))
        return None


def _utf16_without_bom(raw: bytes) -> bool:
    """UTF-16 with no byte order mark, as some editors save it: a file's ASCII (keys,
    indentation, line breaks: a third of its characters, at least) has every other byte 0
    there, which UTF-8 text never has but for a stray NUL (a character such as 退, U+9000,
    puts a 0 on the other side now and then)."""
    if len(raw) < 2 or len(raw) % 2 or b"\x00" not in raw:  # most files: no 0 byte at all
        return False
    fewer, more = sorted((raw[0::2].count(0), raw[1::2].count(0)))
    return more > 1 and more >= len(raw) // 6 and fewer <= more // 8  # a third of them


def _utf16_chinese(raw: bytes) -> bool:
    """UTF-16 with no byte order mark whose text is mostly Chinese: too little ASCII for
    :func:`_utf16_without_bom` to find its 0 bytes, and not UTF-8 either. It reads, in one
    byte order, as Chinese text as :func:`chinese_encoding` tells it, with no control
    character; GBK and Big5 so read are characters of other scripts (GB2312's 我, CE D2, is
    Hangul's U+D2CE), and random bytes are unpaired surrogates, controls and rare characters."""
    if len(raw) % 2:
        return False
    for order in ("utf-16-le", "utf-16-be"):
        try:
            text = raw.decode(order)
        except UnicodeDecodeError:  # an unpaired surrogate
            continue
        share = None if _CONTROL.search(text) else _chinese_share(text)
        if share is not None and share >= _COMMON_SHARE:
            return True
    return False


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # but tabs and line breaks


def chinese_encoding(raw: bytes) -> str | None:
    """The encoding ``raw`` reads as Chinese in: ``gbk`` (as Windows saves it in mainland
    China) or ``big5`` (Taiwan and Hong Kong); None if neither. A reading counts when every
    character beyond ASCII is Chinese (or a symbol Chinese text uses), and at least
    ``_COMMON_SHARE`` of its two or more ideographs are common ones (see _common_share). Read
    in the wrong one of the two, Chinese becomes rarer characters (Big5's 訂單號碼 is GBK's
    璹虫腹絏), and so does accented Latin-1 (``Größe`` is GBK's 菖e, ``Åre`` Big5's 邃e).
    A tie goes to GBK. One Chinese character alone (嗨) is not enough to tell. Korean in
    EUC-KR reads as common GBK characters (감사합니다 as 皑荤钦聪促) and is not told apart,
    nor are a few capital accented Latin-1 letters (``Åse Äpfel``)."""
    readings = [(share, name) for name in ("gbk", "big5") if (share := _common_share(raw, name))]
    best = max(readings, default=(0.0, None))
    return best[1] if best[0] >= _COMMON_SHARE else None


# Chosen on the example bot's 353 Chinese phrasings, saved as GBK and, after OpenCC's s2t,
# as Big5 (330 can be), and 3,000 phrases of accented European words in Latin-1: 351 read
# as GBK, 325 as Big5, and no Latin-1 phrase as either (the rule before, any GB2312
# character, read 79 of them as GBK). The misses are 嗨 (one character), 哈喽 (喽 is rare),
# and short Big5 such as 謝謝, whose GBK reading (谅谅) is as common: the tie goes to GBK.
_COMMON_SHARE = 0.7
_NAMES = {"gbk": "GBK", "big5": "Big5"}


def _common_share(raw: bytes, encoding: str) -> float | None:
    """The share of ``raw``'s ideographs, read in ``encoding``, that are among the 3,755
    commonest (GB2312's first level) once folded to simplified; None if ``raw`` does not
    read as Chinese text with two or more ideographs in it."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return None
    return _chinese_share(text)


def _chinese_share(text: str) -> float | None:
    """The share of ``text``'s ideographs among the commonest (see :func:`_common_share`);
    None if it is not Chinese text with two or more ideographs in it."""
    beyond_ascii = [char for char in text if not char.isascii()]
    ideograph, chinese_or_symbol = _chinese_patterns()
    if not all(map(chinese_or_symbol.fullmatch, beyond_ascii)):
        return None
    ideographs = [char for char in beyond_ascii if ideograph.fullmatch(char)]
    if len(ideographs) < 2:
        return None
    folded = "".join(ideographs).translate(folds())
    return sum(map(_common, folded)) / len(folded)


def _common(char: str) -> bool:
    """Whether ``char`` is in GB2312's first level: rows 0xB0 to 0xD7, ordered by use."""
    try:
        return 0xB0 <= char.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


_IDEOGRAPH = "[\u3400-\u4dbf\u4e00-\u9fff]"
# CJK letters and punctuation, and the quotes, dashes and ellipsis Chinese text uses (“…”——).
_CHINESE = "[\u00b7\u2010-\u2027\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
# Those, and the symbols of GBK's own symbol rows that Chinese text uses among them: ° ± × ÷,
# ‰ ′ ″ ※, ℃ №, Roman numerals, arrows, maths (≈ ≤ ∞), ① ⑴ ⒈, shapes (■ ○ ★), Greek (β版).
# Alone they are no sign of GBK: Latin-1's "¡Á" reads as GBK's "×".
_CHINESE_OR_SYMBOL = (
    f"{_CHINESE}|[\u00b0\u00b1\u00d7\u00f7\u0391-\u03c9\u2030-\u203b\u2103\u2116"
    "\u2160-\u217f\u2190-\u2199\u2200-\u22ff\u2460-\u249b\u25a0-\u25ff\u2605\u2606]"
)


@cache
def _chinese_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """:data:`_IDEOGRAPH` and :data:`_CHINESE_OR_SYMBOL`, compiled when text that is not UTF-8
    is first met: re fills in their ranges of ideographs one by one (3 ms of every start)."""
    return re.compile(_IDEOGRAPH), re.compile(_CHINESE_OR_SYMBOL)


def decode_typed(raw: bytes) -> tuple[str, str | None]:
    """Text piped in as a customer's: UTF-8; else GBK or Big5 if it reads as Chinese so (a file
    saved on Chinese Windows), else UTF-8 with U+FFFD for its undecodable bytes. Also how it was
    read when not as UTF-8, for the operator to be told: routing garbled text would hand the
    customer off for no reason."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        if encoding := chinese_encoding(raw):
            return raw.decode(encoding), f"read as {_NAMES[encoding]}"
        return raw.decode("utf-8", "replace"), "undecodable bytes replaced"


def _read_bytes(path: Path, problems: list[Problem]) -> bytes | None:
    try:
        if not path.is_file():  # a folder, a pipe or a device would hang or make no sense
            problems.append(Problem(path, "not a regular file" if path.exists() else "not found"))
            return None
        if not path.resolve().is_relative_to(path.parent.resolve()):
            # A link out of its folder ("templates/env.j2" -> /proc/self/environ, ../.env) would
            # put any file the bot's process can read into its prompts or error messages.
            problems.append(Problem(path, "a link to a file outside its folder: copy it in"))
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(path, f"cannot read: {exc.strerror or exc}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(path, _over_the_limit(path)))
        return None
    return raw


def _over_the_limit(path: Path) -> str:
    """The size limit in the operator's units (5 MB), and how to stay under it: the FAQ
    folder reads any number of files, and a template may include others."""
    limit = f"file is over the size limit of {MAX_FILE_BYTES // 2**20} MB"
    if path.suffix.lower() == ".j2":
        return f"{limit}: move parts of it into other templates and {{% include %}} them"
    faq = path.suffix.lower() in (".yaml", ".yml") and path.name != SETTINGS_FILE
    if faq and FAQ_FOLDER in path.parts[:-1]:
        return f"{limit}: split it into several files (the {FAQ_FOLDER}/ folder reads them all)"
    return f"{limit}: split it into several files"
