"""Chinese postal addresses, for ``addresses.py``: a structured address with a number in it
(北京市朝阳区建国路88号, 阳光小区3栋2单元501室), and the value after an address's label
(地址, 收货地址, 住在, 寄到, 送到: "收货地址：上海市浦东新区世纪大道100号").

A Chinese address is written from the largest place down, each part ending in its unit: 省,
市, 区, 县, 镇, 街道, then a street (路, 街, 巷, 大道, 胡同) and its number (88号), or an estate
(小区, 花园, 大厦) and its building (3栋), then units and rooms. In Taiwan a street has a
section, lane and alley before its number (忠孝东路四段100巷5弄3号); in Hong Kong a road is
a 道 (旺角弥敦道123号), read only where an address's shape is around it. Unlabelled, it takes
a street and its number, or an estate and its building: a province, city or district alone is no
address (寄到北京要多久 asks where the shop delivers, which routing needs), nor is a number
with 号 and no street (3号商品, 订单123号), nor a store the customer asks about
(你们南京路100号的门店几点关门: masked, the answer could not say which store). Place names
are read over the characters that can be part of one: not 我, 住, 在, 寄, 到 and the like,
so "我住在北京市..." is masked from 北.

A space may stand before and after each number (彌敦道 123 號 4 樓 A 室), as typed in Hong
Kong and Taiwan.

Every regex is linear-time: a run of regions is read once, the first way it parses, and at
most 8 of them (``_REGION``), as a name may hold a unit's characters; each other part is at
most a few characters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Generator, Iterator
from typing import Final

from .boundaries import Spans

# Labels, and streets' suffixes, read at most: more is a paste or spam ("ship to 1 ship to 1
# ...", 地址地址...), and each costs a read of the words around it.
MOST_LABELS: Final = 50

# Characters that start no place name here: pronouns, verbs of living and sending, particles.
_NOT_NAME: Final = (
    "我你您他她它们們住在是到寄送往去的了请請帮幫把给給从從要想为為址问問吗嗎呢吧啊么麼"
    "喺係个個"  # Cantonese: 住喺 (live at), 係 (is), 我個地址 (my address)
)
_ADMIN_ONE: Final = "省市区區县縣旗镇鎮乡鄉村"  # one-character units of a region
_STREET_ONE: Final = "路街巷弄"
# A character of a place name: an ideograph that is no unit and does not start a clause.
_NAME: Final = f"(?:(?![{_NOT_NAME}{_ADMIN_ONE}{_STREET_ONE}])[\u4e00-\u9fff])"
_ADMIN: Final = (
    f"{_NAME}{{1,8}}?(?:自治区|自治區|特别行政区|特別行政區|街道|[{_ADMIN_ONE}]"
    "|小区|小區|社区|社區|花园|花園|公寓|大厦|大廈|家园|家園|苑|广场|廣場)"
)
# The regions before a street, at most 8 (province, city, district, town, estate...), read
# once: a name may hold a unit's characters (阳光花园 is 阳光 and 花园, or 阳光花 and 园 with
# 阳光花园阳光 a name), so a run of regions splits many ways, and a search that backed into
# each was exponential (1,000 characters of 阳光花园 after a street's number never ended).
# Atomic, a run is read the first way that parses; a region is none right before a street's
# suffix (人民广场路88号 is a street's name, not 人民广场 and then 路88号).
_REGION: Final = f"{_ADMIN}(?![{_STREET_ONE}道]|大道|胡同)[ ]?"
_NUMBER: Final = "[0-9]{1,5}(?:[-之][0-9]{1,5})?"
# After a street in Taiwan, its section, lane and alley, then the number: 忠孝东路四段100巷5弄3号.
_SECTION: Final = "(?:[ ]?(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})段)"
# A space may stand between a number and its unit, as Hong Kong customers type an address
# (軒尼詩道 123 號 5 樓 A 室): without it such an address was masked by no rule, labelled or not.
_HOUSE: Final = (
    f"{_SECTION}?(?:[ ]?{_NUMBER}[ ]?巷)?(?:[ ]?{_NUMBER}[ ]?弄)?[ ]?{_NUMBER}[ ]?[号號弄]"
)
_STREET: Final = f"{_NAME}{{1,10}}?(?:[{_STREET_ONE}]|大道[中东西]?|胡同){_HOUSE}"  # 皇后大道中
# A road (道) in Hong Kong: 弥敦道123号. 道 alone ends words (知道3号, 频道5号), so a road is one
# only after a region's unit (九龙城区...道), a place in Hong Kong (旺角弥敦道), or before a
# section, lane or floor (...道二段, ...道5巷, ...道8号3楼). Text is folded to simplified; 大道
# is a street's (_STREET).
_ROAD: Final = f"{_NAME}{{1,10}}?(?<![大知说报写笑答喊难频通轨跑航管渠味])道[中东西]?"
_HONG_KONG: Final = (
    "(?:香港仔?|九龙城?|九龙塘|新界|中环|上环|西环|金钟|湾仔|铜锣湾|北角|筲箕湾|柴湾|跑马地"
    "|尖沙咀|佐敦|油麻地|旺角|太子|深水埗|长沙湾|荔枝角|红磡|土瓜湾|黄大仙|观塘|牛头角|将军澳"
    "|沙田|大埔|荃湾|屯门|元朗|天水围|上水|粉岭|葵涌|青衣|东涌|西贡|何文田|钻石山|蓝田|马鞍山)"
)
_ROAD_SHAPE: Final = f"(?=[ ]?{_NUMBER}[ ]?(?:巷|弄|[号號][ ]?[0-9]{{1,3}}[ ]?[楼樓])|{_SECTION})"
_BUILDING_WORDS: Final = "号楼|號樓|栋|棟|幢|座"
_BUILDING: Final = f"(?:{_BUILDING_WORDS})"
# Units, floors and rooms after a street's number or an estate's building: 3栋2单元501室,
# 88号院3号楼, 3楼之1 (Taiwan's 之, a flat on the floor); then a room's number with no unit
# after a building, unit or floor (2单元101, A座1201), where no word follows it (3栋 2个 is no
# room).
_ROOMS: Final = (
    "(?:院|[ ]?(?:[0-9]{1,5}|[A-Za-z])[ ]?"
    f"(?:{_BUILDING_WORDS}|单元|單元|室|层|層|楼|樓|号|號|户|戶))*(?:之[0-9]{{1,3}})?"
    r"(?:(?<=[栋棟幢座元层層楼樓])[ ]?[0-9]{1,5}(?![0-9A-Za-z\u4e00-\u9fff]))?"
)
# A commercial building after a street's number, then its floor or room (宏开道8号其士商业中心
# 10楼1001室): its name, up to 10 characters, may hold a region's or street's unit (城市广场),
# and ends in a building's word. Only with a floor or room after it: 8号恒隆广场的店 is a store.
_TOWER: Final = (
    f"(?:[ ]?(?:(?![{_NOT_NAME}])[\u4e00-\u9fff]){{1,10}}?"
    "(?:中心|大厦|大廈|广场|廣場|商场|商場|大楼|大樓)"
    "(?=[ ]?(?:[0-9]{1,3}[ ]?(?:楼|樓|层|層)|[0-9]{1,5}[ ]?室)))?"
)
_ESTATE_LAST: Final = "区區园園厦廈苑场場寓"  # the last characters of an estate's unit
_STRUCTURED: Final = re.compile(
    f"(?>(?:{_REGION}){{0,8}})"
    f"(?:{_STREET}{_TOWER}|(?<=[{_ESTATE_LAST}])[ ]?[0-9]{{1,4}}{_BUILDING}){_ROOMS}"
)
# A long text is searched for structured addresses only near their numbers (``_structured``).
# Every structured address holds one with its unit (``_NUMBERED``): a street's suffix and its
# number's first character (路88号, 大道中 5 號, 路四段), or an estate's unit and its building
# (花园3栋). It starts at most ``_STRUCTURED_REACH`` characters before that number: 8 regions
# of 14 (8 name characters, 特别行政区, a space), then a street's name of 10 and 大 (123). So
# no other start is tried (trying each cost 100 KB of place names after one street number 160
# ms). Numbers at most that far apart make one run (``_NUMBERED_RUN``), searched once, from
# the reach before its first number to its last: how far apart they may be changes how much
# is searched, not what is found. A gap with none of their first characters is read first,
# in one possessive step (a set, in C).
_STREET_LAST: Final = "路街巷弄道同"  # the last characters of a street's suffix (大道, 胡同)
_NUMBERED: Final = (
    f"[{_STREET_LAST}][中东西]?[ ]?[0-9一二三四五六七八九十]"
    f"|[{_ESTATE_LAST}][ ]?[0-9]{{1,4}}{_BUILDING}"
)
_STRUCTURED_REACH: Final = 128
_NUMBERED_RUN: Final = re.compile(
    f"(?:{_NUMBERED})(?:[^{_STREET_LAST}{_ESTATE_LAST}]{{0,{_STRUCTURED_REACH}}}+"
    f"(?:{_NUMBERED})|[\\s\\S]{{0,{_STRUCTURED_REACH}}}?(?:{_NUMBERED}))*"
)
# A run's search reads at most ``_STRUCTURED_TAIL`` past its last number (its last address ends
# at most 45 past it). An address's match reads at most ``_STRUCTURED_SLACK`` past its own
# end (its rooms, a tower's name and floor, a region tried after the last: each under 32
# characters), so one ending that far before the search's end is what a search of the whole
# text finds; one nearer is read again without the end (``_in_run``).
_STRUCTURED_TAIL: Final = 128
_STRUCTURED_SLACK: Final = 64
_STRUCTURED_SHORT: Final = 256  # characters: a text searched whole (``_structured``)
# A Hong Kong estate's block and floor (第一城 12座 20樓 C室, 太古城3座15樓): a block (座) with
# a floor right after it is an address's shape whatever the estate's name ends in (城, 邨,
# 閣), which no street or estate unit above names. A number of 座 alone is not (3座城市, 2座位).
_BLOCK_FLOOR: Final = re.compile(
    f"{_NAME}{{0,8}}?[ ]?[0-9]{{1,3}}[ ]?座[ ]?[0-9]{{1,3}}[ ]?[楼樓]{_ROOMS}"
)
_ROAD_ADDRESS: Final = re.compile(
    f"(?:(?>(?:{_REGION}){{1,8}}){_ROAD}|{_HONG_KONG}{_ROAD}|{_ROAD}{_ROAD_SHAPE})"
    f"{_HOUSE}{_TOWER}{_ROOMS}"
)
# What a structured address needs: a street's unit, or a building's (a set: re skips to one).
_STREET_CUE: Final = re.compile(f"[{_STREET_ONE}栋棟幢]")
_ROAD_CUE: Final = re.compile("道[中东西]?[ ]?[0-9]")  # a road's number or section: 道3段
# Read around each road's number: a region's units and a road's name before 道, and its
# section, lane, number and rooms after it.
_ROAD_REACH: Final = 40
_ROAD_TAIL: Final = 64
# The labels, as customers write them before an address.
_LABEL: Final = re.compile(
    "(?:收货|收貨|送货|送貨|邮寄|郵寄|寄送|配送|家庭|家|通讯|通訊|详细|詳細|新的?)?(?:地址|住址)"
    "|住在|寄到|寄往|寄至|送到|送至|发到|發到|发往|發往|邮编|郵編|郵遞區號"
    "|住喺|寄去|送去"  # Cantonese: 住喺 is 住在; 寄去, 送去 are 寄到, 送到
)
_LINK: Final = re.compile(r"[ \t]*(?:[:：]|是|为|為|改成|改为|改為)?[ \t]*")
# A labelled value ends at a clause's end, a line's end, or the next label of other data.
_VALUE: Final = re.compile(r"[^，,。！!？?；;\n]{1,80}")
_OTHER_DATA: Final = re.compile("电话|電話|手机|手機|邮箱|郵箱|姓名|收件人|联系|聯系|聯繫")
# Where a labelled value's address may end: a unit, or the number or letters after one.
_LAST_UNIT: Final = re.compile(
    f"[{_ADMIN_ONE}{_STREET_ONE}号號栋棟幢座室层層楼樓院户戶元园園厦廈苑道同]"
    r"(?:[ ]?[0-9A-Za-z-]{1,6}(?![\u4e00-\u9fff]))?"
)
_STREETISH: Final = re.compile(
    f"[{_STREET_ONE}]|大道|胡同|小区|小區|花园|花園|大厦|大廈|公寓|[0-9][ ]?[号號栋棟幢室座]"
)
_POSTCODE: Final = re.compile(r"[1-9][0-9]{5}(?![0-9])")  # 邮编 100020
# What a label needs: one of these characters, or a sending verb's two (送 and 发 alone are
# in 送给 and 发货, which every other message has).
_LABEL_CUE: Final = re.compile("[址住寄邮郵]")
_SENT_TO: Final = ("送到", "送至", "送去", "发到", "發到", "发往", "發往")


# What a Chinese address, its label or a date of birth's label needs, as one search: literals
# alone, so that re skips to their first characters in C (0.8 us of a 100-character message;
# a set among them made it 4.6 us).
_CUE: Final = re.compile(
    "址|住|寄|邮|郵|路|街|巷|弄|栋|棟|幢|座|送到|送至|送去|发到|发往|發到|發往|大道|胡同|生日|出生|日生"
    "|道[中东西]?[ ]?[0-9]"  # starts with a literal too: re still skips to a first character
)


def may_hold_chinese(text: str) -> bool:
    """Whether ``text`` may hold a Chinese address or date of birth: without a character of
    ``_CUE`` it holds neither, and is read for none."""
    return _CUE.search(text) is not None


def chinese_address_spans(text: str) -> Spans:
    """Chinese addresses in ``text``: after a label, and structured ones anywhere. Each is
    looked for only if a character it needs is in ``text``: most messages have none."""
    labelled = []
    if _LABEL_CUE.search(text) or any(map(text.__contains__, _SENT_TO)):
        labelled = [_with_more(text, span) for span in _labelled(text)]
        yield from labelled
    streets = _STREET_CUE.search(text) or "大道" in text or "胡同" in text
    roads = _ROAD_CUE.search(text) is not None
    blocks = "座" in text
    if not (streets or roads or blocks):
        return
    # The positions inside a labelled address, as a set: a test of each structured one
    # against every labelled one cost 100 KB of "地址：...路88号，" 30 ms (50 labels, 5,000
    # structured), this at most 50 labels of 80 characters to build.
    taken = {position for start, end in labelled for position in range(start, end)}
    found = itertools.chain(
        _structured(text) if streets else (),
        _roads(text) if roads else (),
        _BLOCK_FLOOR.finditer(text) if blocks else (),
    )
    # A store after an address starts with one of _STORE_FIRST: without one in a long text,
    # none is read for after each address (a thousand addresses: 0.16 ms). Each is looked for
    # with ``in`` (100 KB: 2 us), not a set in a regex (250 us); a short text's few addresses
    # are each read for, for less than the look-up (0.5 us).
    stores = len(text) <= _STRUCTURED_SHORT or any(map(text.__contains__, _STORE_FIRST))
    for match in found:
        if match.start() in taken or (stores and _STORE_AFTER.match(text, match.end())):
            continue
        yield _with_more(text, match.span())


# What may follow an address's street number as more of it: a building, unit, floor or room,
# after a comma or a building's or estate's name (建国路88号，3号楼2单元101; 88号SOHO现代城3号
# 楼). Masked apart, "[ADDRESS_1]3号楼2单元101" left the customer's flat in the text.
_MORE: Final = re.compile(
    f"[，,]?[ ]?(?:{_NAME}|[A-Za-z]){{0,12}}?[ ]?(?:[0-9]{{1,5}}|[A-Za-z])[ ]?"
    f"(?:{_BUILDING_WORDS}|单元|單元|室|层|層|楼|樓){_ROOMS}"
)


def _with_more(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span``, an address, through the building, unit or room right after it (``_MORE``)."""
    more = _MORE.match(text, span[1])
    return (span[0], more.end()) if more else span


def _structured(text: str) -> Iterator[re.Match[str]]:
    """``_STRUCTURED.finditer(text)``; in a long text, searched only near runs of numbers
    (``_NUMBERED_RUN``): a start farther than ``_STRUCTURED_REACH`` before any number
    matches nothing, so skipping it changes nothing. A short text is searched whole: each
    start costs at most 2 us, less than finding its runs."""
    if len(text) <= _STRUCTURED_SHORT:  # returned as it is: a generator around it costs more
        return _STRUCTURED.finditer(text)
    return _near_numbers(text)


def _near_numbers(text: str) -> Iterator[re.Match[str]]:
    """``_STRUCTURED.finditer(text)``, searched run by run of numbers (``_in_run``)."""
    done = 0
    for run in _NUMBERED_RUN.finditer(text):
        done = yield from _in_run(text, max(done, run.start() - _STRUCTURED_REACH), run.end())


def _in_run(text: str, start: int, last: int) -> Generator[re.Match[str], None, int]:
    """The structured addresses starting from ``start`` to ``last`` (a run's last number), as a
    search of all of ``text`` finds them, searched up to ``_STRUCTURED_TAIL`` past ``last``;
    returns where the next run's search may start. A search with an end matches wherever a
    whole one does (an address's parts after its number are optional), so its first match
    starts no later: one ending ``_STRUCTURED_SLACK`` before the end is the whole search's,
    any other is read again from its start with no end."""
    end = last + _STRUCTURED_TAIL
    if end >= len(text):  # the search reads to the text's end, as a whole one does
        yield from _STRUCTURED.finditer(text, start)
        return len(text)
    while start <= last:
        found = _STRUCTURED.search(text, start, end)
        if found is None or found.start() > last:
            break
        if found.end() + _STRUCTURED_SLACK > end:  # a read came near the end: read it whole
            whole = _STRUCTURED.match(text, found.start())
            if whole is None:  # matched only because the search's end cut the text short
                start = found.start() + 1
                continue
            found = whole
        start = found.end()
        yield found
    return start


def _roads(text: str) -> Iterator[re.Match[str]]:
    """Hong Kong roads' addresses, each searched for around one of the first ``MOST_LABELS``
    road numbers (道123): a search of every position for a road, whose shape is read on both
    sides of its 道, took 76 ms of 50,000 characters of "香港九龙旺角弥敦道"."""
    done = 0
    for cue in itertools.islice(_ROAD_CUE.finditer(text), MOST_LABELS):
        if cue.start() < done:
            continue
        start = max(done, cue.start() - _ROAD_REACH)
        if match := _ROAD_ADDRESS.search(text, start, cue.end() + _ROAD_TAIL):
            yield match
            done = match.end()


# After a street's number, the store there (号店, 号的门店, 号恒隆广场的店): the shop's own, as
# "the Oxford Street store" is in English. A labelled one is the customer's all the same.
_STORE_AFTER: Final = re.compile(
    "(?:[\u4e00-\u9fff]{1,6}?(?:广场|廣場|商场|商場|中心|百货|百貨|大厦|大廈))?的?"
    "(?:店|门店|門店|门市|門市|分店|专柜|專櫃|营业厅|營業廳|旗舰店|旗艦店|专卖店|專賣店)"
)
# The first characters of _STORE_AFTER's stores, one of which each of its matches holds.
_STORE_FIRST: Final = "店门門分专專营營旗"


def _labelled(text: str) -> Spans:
    """The addresses after the first ``MOST_LABELS`` labels, each after the last one's end."""
    done = 0
    for label in itertools.islice(_LABEL.finditer(text), MOST_LABELS):
        if label.start() < done:
            continue
        link = _LINK.match(text, label.end())
        start = link.end() if link else label.end()
        value = _VALUE.match(text, start)
        if value is None:
            continue
        end = value.end()
        if other := _OTHER_DATA.search(text, start, end):
            end = other.start()
        if label[0].startswith(("邮编", "郵")):
            if code := _POSTCODE.match(text, start):
                yield code.span()
            continue
        if (span := _address_value(text, start, end)) is not None:
            yield span
            done = span[1]


def _address_value(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The address in ``text[start:end]``, after its label, through its last unit (and the
    number after it): "北京市朝阳区建国路88号要多久" is masked through 号. None if it has no
    street, estate or building ("德国要多久", "北京市"): a country or city alone is no
    address."""
    value = text[start:end]
    if not _STREETISH.search(value):
        return None
    ends = [unit.end() for unit in _LAST_UNIT.finditer(text, start, end)]
    return (start, ends[-1]) if ends else None
