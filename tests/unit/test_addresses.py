"""Tests for servicebot.filters.addresses and addresseszh (the ADDRESS kind, through
find_pii): a labelled address, an English street line, a Chinese structured address, the
questions, order lines and places that are none, and the form an erasure request compares."""

from __future__ import annotations

import pytest

from servicebot.filters.normalise import normalise
from servicebot.filters.values import canonical
from tests.unit.piifindings import found, spans


@pytest.mark.parametrize(
    "text, expected",
    [
        # labelled, through the postcode, the line's or the clause's end
        (
            "My name is Alice Smith, I live at 12 Baker Street, London NW1 6XE",
            ["12 Baker Street, London NW1 6XE"],
        ),
        ("Please ship to 221B Baker St. London NW1 6XE thanks", ["221B Baker St. London NW1 6XE"]),
        (
            "my address is Flat 3, 12 Rose Court, Leeds and my order is late",
            ["Flat 3, 12 Rose Court, Leeds"],
        ),
        ("Address:\n10 Downing Street\nthanks", ["10 Downing Street"]),
        ("my postcode is NW1 6XE", ["NW1 6XE"]),
        ("zip code: 94103", ["94103"]),
        # unlabelled English street lines
        (
            "1600 Pennsylvania Ave NW, Washington, DC 20500",
            ["1600 Pennsylvania Ave NW, Washington, DC 20500"],
        ),
        ("it should be 14 Oak Lane", ["14 Oak Lane"]),
        ("send it to 12 baker street please", ["12 baker street"]),
        ("my address is wrong, it should be 14 Oak Lane.", ["14 Oak Lane"]),
    ],
)  # fmt: skip
def test_english_addresses_are_found(text: str, expected: list[str]) -> None:
    assert found(text, "ADDRESS") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我叫张伟，地址北京市朝阳区建国路88号", ["北京市朝阳区建国路88号"]),
        ("收货地址：广州市天河区体育西路1号 谢谢", ["广州市天河区体育西路1号"]),
        ("寄到北京市朝阳区建国路88号要多久？", ["北京市朝阳区建国路88号"]),
        (
            "我住在上海市浦东新区世纪大道100号3栋2单元501室，谢谢",
            ["上海市浦东新区世纪大道100号3栋2单元501室"],
        ),
        ("阳光小区3栋2单元501室", ["阳光小区3栋2单元501室"]),
        ("中山路5号", ["中山路5号"]),
    ],
)  # fmt: skip
def test_chinese_addresses_are_found(text: str, expected: list[str]) -> None:
    assert found(text, "ADDRESS") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("台北市大安區忠孝東路四段100號5樓", "台北市大安區忠孝東路四段100號5樓"),
        ("寄到台北市大安區忠孝東路4段100巷5弄3號，謝謝", "台北市大安區忠孝東路4段100巷5弄3號"),
        ("新北市板橋區文化路一段188巷12號3樓", "新北市板橋區文化路一段188巷12號3樓"),
        ("香港九龍旺角彌敦道123號4樓A室", "香港九龍旺角彌敦道123號4樓A室"),
        ("香港中環皇后大道中99號", "香港中環皇后大道中99號"),
        ("九龍城區太子道西100號", "九龍城區太子道西100號"),
    ],
)  # fmt: skip
def test_taiwan_and_hong_kong_addresses_are_found(text: str, expected: str) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        # spaced as Hong Kong customers type a number between Chinese words
        ("地址：香港灣仔軒尼詩道 123 號 5 樓 A 室", "香港灣仔軒尼詩道 123 號 5 樓 A 室"),
        ("寄到 九龍旺角彌敦道 600 號 8樓 B室", "九龍旺角彌敦道 600 號 8樓 B室"),
        ("香港灣仔軒尼詩道 123 號", "香港灣仔軒尼詩道 123 號"),
        # an estate's block and floor, whatever its name ends in
        ("新界沙田第一城 12座 20樓 C室", "新界沙田第一城 12座 20樓 C室"),
        ("荃灣愉景新城5座23樓H室", "荃灣愉景新城5座23樓H室"),
        # Cantonese labels: 住喺 (live at), 送去 and 寄去 (send to)
        ("我住喺太古城 3座 15樓 E室", "太古城 3座 15樓 E室"),
        ("送去九龍旺角彌敦道600號唔該", "九龍旺角彌敦道600號"),
    ],
)  # fmt: skip
def test_hong_kong_addresses_as_customers_type_them_are_found(text: str, expected: str) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        # the text as the pre-filter reads it: traditional characters folded to simplified
        ("九龍灣宏開道8號其士商業中心10樓1001室", "九龍灣宏開道8號其士商業中心10樓1001室"),
        ("上海市南京西路1266号恒隆广场3楼301室", "上海市南京西路1266号恒隆广场3楼301室"),
        ("寄去觀塘道 388 號創紀之城大樓 25 樓", "觀塘道 388 號創紀之城大樓 25 樓"),
        ("建国路88号华贸中心 5层，谢谢", "建国路88号华贸中心 5层"),
        # no floor or room after it, or a name longer than a building's: the street's alone
        ("中山路5号中心", "中山路5号"),
        ("中山路5号一二三四五六七八九十一中心10楼", "中山路5号"),
    ],
)  # fmt: skip
def test_a_commercial_building_with_its_floor_or_room_is_part_of_the_address(
    text: str, expected: str
) -> None:
    # 其士商業中心10樓1001室 was left after [ADDRESS_1]: a building, floor and room to find
    # the customer by.
    assert found(normalise(text).text, "ADDRESS") == [normalise(expected).text]


def test_a_store_in_a_commercial_building_is_no_address() -> None:
    assert found("南京西路1266号恒隆广场3楼的店还开吗", "ADDRESS") == []


@pytest.mark.parametrize(
    "text", ["我想買3座位嘅梳化", "送去維修要幾耐", "寄去英國要幾多錢", "有冇3座嘅書櫃"]
)
def test_hong_kong_questions_with_a_block_or_a_sending_verb_are_no_address(text: str) -> None:
    assert found(text, "ADDRESS") == []


@pytest.mark.parametrize(
    "text",
    [
        "我知道3号到不了",
        "我知道3号楼在哪",
        "北京市的人都知道3号",
        "他说道3号会到",
        "频道5号节目",
        "旺角弥敦道的店几点开",
        "弥敦道123号店今天营业吗",
        "忠孝东路四段有门市吗",
    ],
)
def test_a_road_with_no_address_around_it_is_none(text: str) -> None:
    assert found(text, "ADDRESS") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("北京市朝阳区建国路88号院3号楼2单元101", "北京市朝阳区建国路88号院3号楼2单元101"),
        ("上海市浦东新区世纪大道595号A座1201，谢谢", "上海市浦东新区世纪大道595号A座1201"),
        ("新北市板橋區文化路一段188巷12號3樓之1", "新北市板橋區文化路一段188巷12號3樓之1"),
        ("建国路88号3层 201", "建国路88号3层 201"),
    ],
)  # fmt: skip
def test_a_chinese_address_is_masked_through_its_building_unit_and_room(
    text: str, expected: str
) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("阳光小区3栋 2个包裹都没到", "阳光小区3栋"),  # a count, no room
        ("建国路88号3楼 100元的那个", "建国路88号3楼"),
        ("建国路88号5层 13800138000", "建国路88号5层"),  # a phone, no room
    ],
)
def test_a_number_after_a_building_that_is_no_room_is_left_out(text: str, expected: str) -> None:
    assert found(text, "ADDRESS") == [expected]


def test_each_chinese_address_is_found_once_past_the_labels_read() -> None:
    # 60 labels: the first 50 are read as labels, the rest as structured addresses alone
    text = "收货地址：北京市朝阳区建国路88号，" * 60
    assert found(text, "ADDRESS") == ["北京市朝阳区建国路88号"] * 60


@pytest.mark.parametrize(
    "text",
    [
        "do you ship to Canada?",  # a country: routing needs it
        "Can you deliver to 5 addresses?",
        "I'm at Baker Street station now",  # no number
        "I ordered 2 Abbey Road mugs",  # an order line
        "Order 12 Baker Street Mug please",
        "It took 5 minutes each way",
        "I waited 20 minutes down the road",
        "my address is wrong",
        "My MAC address is 00:1A:2B:3C:4D:5E",
        "my wallet address is: 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
        "Hi, I ordered a blender last week, order 100482, and it still has not arrived.",
        "寄到德国要多久",
        "寄到北京要几天？",  # a city
        "我买了3号商品，订单123号",  # a number with 号 and no street
        "地铁5号线建国路站",
        "我住在朝阳区",
    ],
)
def test_questions_order_lines_and_places_are_no_address(text: str) -> None:
    assert found(text, "ADDRESS") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("please mail it to 12 Mill Rd, Leeds LS1 4AB", "12 Mill Rd, Leeds LS1 4AB"),
        ("Mail to: 4 Elm Ct, Springfield 62704", "4 Elm Ct, Springfield 62704"),
        ("can you post them to 7 Elm Ct, Springfield 62704?", "7 Elm Ct, Springfield 62704"),
        ("post it to 9 Hill Rd, Leeds LS1 4AB", "9 Hill Rd, Leeds LS1 4AB"),
        ("send them to 3 Kings Way, Leeds LS1 4AB", "3 Kings Way, Leeds LS1 4AB"),
        ("I'm living at 5 Park Rd, Leeds LS1 4AB", "5 Park Rd, Leeds LS1 4AB"),
        ("I’m living at Flat 2, 5 Park Rd", "Flat 2, 5 Park Rd"),
        ("i am living at 5 Park Rd", "5 Park Rd"),
        ("my zipcode is 94103", "94103"),
    ],
)
def test_mail_post_send_them_living_at_and_zipcode_label_an_address(
    text: str, expected: str
) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "please mail to support@example.com about order 100482",
        "can I post to 2 accounts at once?",
        "send them to 3 friends please",
        "I'm living at home for 2 weeks",
        "post it to Instagram 2 times",
    ],
)
def test_mail_post_and_send_them_to_name_no_address_without_one(text: str) -> None:
    assert found(text, "ADDRESS") == []


@pytest.mark.parametrize(
    "text",
    [
        "你们南京路100号的门店几点关门？",
        "南京东路300号店今天营业吗",
        "我在你们中山路5号店买的东西坏了",
        "你们在静安区南京西路1266号恒隆广场的店还开吗",
        "忠孝東路100號門市有現貨嗎",
        "万达广场3号楼的专柜在哪",
    ],
)
def test_a_store_the_customer_asks_about_is_no_address(text: str) -> None:
    """The shop's own store, which the customer names to ask about it (as "the Oxford Street
    store" in English): masked, the answer could not say which store."""
    assert found(text, "ADDRESS") == []


def test_an_address_a_store_is_near_is_still_one() -> None:
    assert found("我住在中山路5号，你们门店在哪", "ADDRESS") == ["中山路5号"]
    assert found("收货地址：中山路5号店", "ADDRESS") == ["中山路5号"]  # labelled: the customer's


def test_an_address_stops_before_other_data_in_it() -> None:
    text = "ship to 12 Baker Street, phone 020 7946 0958"
    assert spans(text) == [("ADDRESS", "12 Baker Street"), ("PHONE", "020 7946 0958")]
    text = "我住在上海市浦东新区世纪大道100号，电话13800138000"
    assert spans(text) == [("ADDRESS", "上海市浦东新区世纪大道100号"), ("PHONE", "13800138000")]


def test_an_address_is_compared_without_case_punctuation_or_a_long_suffix() -> None:
    assert canonical("ADDRESS", "12 Baker Street, London NW1 6XE") == canonical(
        "ADDRESS", "12 baker st london nw1 6xe"
    )
    assert canonical("ADDRESS", "北京市朝阳区 建国路88号") == canonical(
        "ADDRESS", "北京市朝阳区建国路88号"
    )
    assert canonical("ADDRESS", "12 Baker Street") != canonical("ADDRESS", "14 Baker Street")


@pytest.mark.parametrize(
    "text",
    [
        "my address is 2 lines long",  # about the address, with no name after its number
        "I live at 2 different places",
        "We have 12 Main St. in stock?",  # "in" and no place after the street
        "do you have 12 Main St in stock",
    ],
)
def test_a_number_with_no_street_name_or_place_after_it_is_no_address(text: str) -> None:
    assert found(text, "ADDRESS") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("my address is 12 Rose Cottage, Mill Lane", "12 Rose Cottage, Mill Lane"),
        ("my address is flat 3, rose cottage", "flat 3, rose cottage"),
        ("I live at 5 Rue de Rivoli, Paris", "5 Rue de Rivoli, Paris"),
        ("it's 12 Baker Street in London", "12 Baker Street"),
    ],
)
def test_a_named_street_after_its_number_is_still_an_address(text: str, expected: str) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("350 5th Avenue, New York, NY 10118", "350 5th Avenue, New York, NY 10118"),
        ("350 5th Avenue please", "350 5th Avenue"),
        ("10 Rillington Place, London W11 1BH", "10 Rillington Place, London W11 1BH"),
        ("we are at 3 Market Square, Leeds LS1 4AB", "3 Market Square, Leeds LS1 4AB"),
    ],
)
def test_a_numbered_street_and_a_place_or_square_with_its_postcode_are_found(
    text: str, expected: str
) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text", ["it's 10 Rillington Place", "I ordered 2 Square plates", "I came in 2nd place"]
)
def test_a_place_or_square_with_no_postcode_is_no_street_line(text: str) -> None:
    assert found(text, "ADDRESS") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("北京市朝阳区建国路88号，3号楼2单元101", "北京市朝阳区建国路88号，3号楼2单元101"),
        ("地址：北京市朝阳区建国路88号，3号楼2单元101", "北京市朝阳区建国路88号，3号楼2单元101"),
        ("朝阳区建国路88号SOHO现代城3号楼2单元101", "朝阳区建国路88号SOHO现代城3号楼2单元101"),
        ("世纪大道100号环球金融中心3号楼2单元101", "世纪大道100号环球金融中心3号楼2单元101"),
    ],
)  # fmt: skip
def test_a_building_after_a_comma_or_an_estates_name_is_part_of_the_address(
    text: str, expected: str
) -> None:
    """Masked apart, "[ADDRESS_1]3号楼2单元101" left the customer's flat in the text."""
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("北京市朝阳区建国路88号，我要3个", "北京市朝阳区建国路88号"),
        ("北京市朝阳区建国路88号，要2层包装", "北京市朝阳区建国路88号"),
        ("北京市朝阳区建国路88号，订单123号", "北京市朝阳区建国路88号"),
    ],
)
def test_what_follows_an_address_and_is_no_building_is_left_out(text: str, expected: str) -> None:
    assert found(text, "ADDRESS") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "九龍旺角彌敦道 123 號 4 樓 A 室",
        "香港銅鑼灣告士打道 280 號",
        "台北市大安區忠孝東路四段 100 號 5 樓",
        "忠孝東路四段 100 巷 5 弄 3 號",
        "北京市朝阳区建国路 88 号 3 号楼 2 单元 101",
    ],
)
def test_an_address_typed_with_spaces_around_its_numbers_is_masked_whole(text: str) -> None:
    """As typed in Hong Kong and Taiwan: 彌敦道 123 號 was no address, 4 樓 A 室 left after."""
    assert found(text, "ADDRESS") == [text]


@pytest.mark.parametrize(
    "text",
    ["上海市黄浦区人民广场路88号", "郑州市金水区南花园路88号", "幸福花园小区3栋2单元501室"],
)
def test_a_street_or_estate_whose_name_holds_a_unit_is_masked_whole(text: str) -> None:
    """Regions are read the first way they parse (linear time): 人民广场 before 路 is the
    street's name, and 幸福花园 and 小区 are two regions."""
    assert found(text, "ADDRESS") == [text]


def test_an_address_read_at_the_most_before_its_number_is_masked_whole() -> None:
    """The structured search of a long message reads only near a street's suffix and number
    (路88, 大道中 5) or an estate's building (花园3栋): 8 regions and a street's name are the
    most that may stand before them, and the address is still found whole, with its section,
    lane and number after them."""
    address = "华夏中南西北东方特别行政区 " * 8 + (
        "华夏中南西北东方长安大道中 十十十段 12345-12345 巷 12345-12345 号"
    )
    assert found(f"我住在{address}，" + "谢谢你们的帮助。" * 20, "ADDRESS") == [address]


def test_rooms_far_past_an_address_number_are_read_to_their_end() -> None:
    """Rooms and floors after a street's number are read to their end, however far past it:
    masked with the address, and a store after them makes it the store's (no address)."""
    text = "建国路88号" + "1室2单元3层" * 50
    assert found(text, "ADDRESS") == [text]
    assert found(text + "的店", "ADDRESS") == []
