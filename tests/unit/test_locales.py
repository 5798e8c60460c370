"""Labels in languages other than English and Chinese (``servicebot/filters/locales.py``, read
by ``labelled.py`` and ``passwords.py``): a password, one-time code, phone, passport or
national ID the customer names in Japanese, Korean, Spanish, Portuguese, French, German,
Russian, Arabic, Hindi or Vietnamese is found; an order number so named is no card; a label
without its value, or a password's rules, finds nothing."""

from __future__ import annotations

import gc
import re
import secrets
import sys

import pytest

from servicebot.filters import locales
from servicebot.filters.normalise import lower_in_place, normalise
from tests.unit.piifindings import spans

# One row per language and kind: (language, text as typed, kind, value found).
_NAMED: list[tuple[str, str, str, str]] = [
    ("es", "Mi contraseña es Hunter2!x", "SECRET", "Hunter2!x"),
    ("ru", "пароль: Hunter2!x", "SECRET", "Hunter2!x"),
    ("ja", "パスワードはhunter2です", "SECRET", "hunter2"),
    ("ko", "비밀번호는 hunter2 입니다", "SECRET", "hunter2"),
    ("pt", "Minha senha é Hunter2!x", "SECRET", "Hunter2!x"),
    ("fr", "Mon mot de passe est Hunter2!x", "SECRET", "Hunter2!x"),
    ("de", "Mein Passwort ist Hunter2!x", "SECRET", "Hunter2!x"),
    ("ar", "كلمة المرور: Hunter2!x", "SECRET", "Hunter2!x"),
    ("hi", "मेरा पासवर्ड Hunter2x है", "SECRET", "Hunter2x"),
    ("vi", "mật khẩu là Hunter2!x", "SECRET", "Hunter2!x"),
    ("ja", "認証コードは482913です", "SECRET", "482913"),
    ("es", "código de verificación: 482913", "SECRET", "482913"),
    ("ru", "код подтверждения 482913", "SECRET", "482913"),
    ("ko", "인증번호 482913", "SECRET", "482913"),
    ("ar", "رمز التحقق 482913", "SECRET", "482913"),
    ("vi", "mã xác nhận: 482913", "SECRET", "482913"),
    ("ja", "セキュリティコード 123", "CARD", "123"),
    ("ja", "セキュリティコードは123です", "CARD", "123"),
    ("ja", "セキュリティコード 482913", "SECRET", "482913"),  # a one-time code's shape
    ("es", "código de seguridad 123", "CARD", "123"),
    ("fr", "code de sécurité : 123", "CARD", "123"),
    ("ko", "보안코드 123", "CARD", "123"),
    ("ja", "電話番号：09012345678", "PHONE", "09012345678"),
    ("ja", "私の電話番号は０９０１２３４５６７８です", "PHONE", "09012345678"),
    ("ko", "전화번호 01012345678", "PHONE", "01012345678"),
    ("es", "teléfono 612345678", "PHONE", "612345678"),
    ("es", "teléfono 612 345 678", "PHONE", "612 345 678"),
    ("pt", "meu telefone é 11 91234 5678", "PHONE", "11 91234 5678"),
    ("fr", "mon numéro de téléphone est 06 12 34 56 78", "PHONE", "06 12 34 56 78"),
    ("de", "Handynummer: 0171 1234567", "PHONE", "0171 1234567"),
    ("de", "Mein Handy ist 0171 1234567", "PHONE", "0171 1234567"),
    ("fr", "mon portable est 06 12 34 56 78", "PHONE", "06 12 34 56 78"),
    ("fr", "Portable : 06 12 34 56 78", "PHONE", "06 12 34 56 78"),
    ("ru", "телефон 89123456789", "PHONE", "89123456789"),
    ("ar", "رقم هاتفي ٠٥٠١٢٣٤٥٦٧", "PHONE", "0501234567"),
    ("hi", "मेरा फोन नंबर 9876543210 है", "PHONE", "9876543210"),
    ("vi", "số điện thoại 0912345678", "PHONE", "0912345678"),
    ("ja", "パスポート番号はTK1234567です", "PASSPORT", "TK1234567"),
    ("es", "número de pasaporte: XDB123456", "PASSPORT", "XDB123456"),
    ("fr", "passeport 12AB34567", "PASSPORT", "12AB34567"),
    ("de", "Reisepassnummer C01X00T47", "PASSPORT", "C01X00T47"),
    ("ru", "номер паспорта 4510 123456", "PASSPORT", "4510 123456"),  # series and number
    ("ru", "паспорт: 4510 123456, выдан 2015", "PASSPORT", "4510 123456"),
    ("ko", "주민등록번호 900101-1234567", "CN_ID", "900101-1234567"),
    ("es", "mi DNI es 12345678Z", "CN_ID", "12345678Z"),
    ("pt", "CPF 123.456.789-09", "CN_ID", "123.456.789-09"),
]


@pytest.mark.parametrize(("language", "text", "kind", "value"), _NAMED)
def test_a_value_named_in_another_language_is_found(
    language: str, text: str, kind: str, value: str
) -> None:
    assert spans(normalise(text).text) == [(kind, value)], language


@pytest.mark.parametrize(
    "text",
    [
        "注文番号 4895803924456462927",  # passes Luhn, with a Visa prefix
        "número de pedido 4895803924456462927",
        "número do pedido 4895803924456462927",
        "numéro de commande 4895803924456462927",
        "Bestellnummer 4895803924456462927",
        "номер заказа 4895803924456462927",
        "주문번호 4895803924456462927",
        "رقم الطلب 4895803924456462927",
        "ऑर्डर नंबर 4895803924456462927",
        "mã đơn hàng 4895803924456462927",
    ],
)
def test_an_order_number_named_in_another_language_is_no_card(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Mi contraseña es muy larga",  # said of it, no value
        "contraseña: 8-16 caracteres",  # its rules
        "パスワードは8文字以上です",
        "Mein Passwort ist zu kurz",
        "mot de passe oublié",
        "senha: minha senha antiga",
        # what became of it, not what it is: "I forgot"
        "пароль: забыл",
        "senha: esqueci",
        "contraseña: olvidada",
        "mot de passe : oublié",
        "Passwort: vergessen",
        "el código de verificación no llegó",
        "인증번호가 안 와요",
        "mi pedido 612345678 no llegó",  # an order's number, a phone's shape
        "Die Bestellung ist telefonisch 0301234567 nicht erreichbar",  # no label in a word
    ],
)
def test_a_label_in_another_language_without_its_value_finds_nothing(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I need help with a portable 1234567 unit",
        "Account for Mr Handy 1234567890 please",
        "clave 12345 came without the case",
        "my MDP 123456 is invalid",
        "SDT 1234567890 is the product code",
        "Celular 1234567 case, model 2",
        "movil 1234567 holder",
        # Another language's "is" links nothing in an English message.
        "The portable est 12345678 grams",
        "the phone era 12345678",
    ],
)
def test_an_english_word_that_is_another_languages_label_needs_a_link(text: str) -> None:
    # "portable" (French), "Handy" (German), "clave" (Spanish), "MDP" (French), "SDT"
    # (Vietnamese) name a phone or a password only with a colon, or their language's "is" in a
    # message that is not English: in English they describe a product, and its number stays.
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Mi clave es Hunter2x", "SECRET", "Hunter2x"),
        ("clave: 12345", "SECRET", "12345"),
        ("mon mdp est azerty123", "SECRET", "azerty123"),
        ("MDP : azerty123", "SECRET", "azerty123"),
        ("Mi celular es 612345678", "PHONE", "612345678"),
        ("movil: 612345678", "PHONE", "612345678"),
        ("sdt là 912345678", "PHONE", "912345678"),
        ("SDT: 912345678", "PHONE", "912345678"),
        ("mi teléfono era 612345678", "PHONE", "612345678"),
        # A label no English word spells is linked by its "is" in English words too.
        ("my contraseña es Hunter2x please", "SECRET", "Hunter2x"),
    ],
)
def test_an_ambiguous_label_with_its_link_names_a_value(text: str, kind: str, value: str) -> None:
    assert spans(normalise(text).text) == [(kind, value)]


@pytest.mark.parametrize(
    "word",
    [
        *locales.PASSWORD,
        *locales.ONE_TIME_CODE,
        *locales.SECURITY_CODE,
        *locales.PHONE,
        *locales.PASSPORT,
        *locales.NATIONAL_ID,
        *locales.CARD,
        *locales.ORDER,
    ],
)
def test_every_label_is_written_as_the_detectors_read_it(word: str) -> None:
    """A label in another form (電話 for 电话, upper case) would never be found."""
    assert lower_in_place(normalise(word).text) == word


# Labels with a value: one with none where its value would start is not asked about at all.
UNITS = ["handy ist 0176 1234567 ", "sdt là 0912 345 678 ", "phone es 612 34 56 78 "]


@pytest.mark.parametrize("unit", UNITS)
def test_whether_a_message_is_english_is_read_once_for_all_its_labels(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was read again at each label: 100 KB of labels took 20 s."""
    searched: list[str] = []
    english = locales._ENGLISH

    class Counted:
        def search(self, text: str) -> re.Match[str] | None:
            searched.append(text)
            return english.search(text)

    monkeypatch.setattr(locales, "_ENGLISH", Counted())
    spans(normalise(unit * (10_000 // len(unit))).text)
    assert len(searched) == 1


def test_no_customer_message_is_kept_once_its_labels_are_read() -> None:
    """Whether the last message was English was cached with the message, in memory past its
    turn until the next one came."""
    message = "phone es 0176 1234567, my name is Zoë " + secrets.token_hex(8)
    assert spans(message)
    gc.collect()
    assert not _held(message.lower()[-16:])


def _held(secret: str) -> list[object]:
    """What the servicebot modules reach that holds ``secret`` in a string."""
    seen: set[int] = set()
    todo: list[object] = [m for name, m in sys.modules.items() if name.startswith("servicebot")]
    found = []
    while todo:
        each = todo.pop()
        if id(each) in seen or isinstance(each, type) or each is sys.modules:
            continue
        seen.add(id(each))
        if isinstance(each, str):
            found += [each] if secret in each else []
        else:
            todo += gc.get_referents(each)
    return found
