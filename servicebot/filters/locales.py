"""Labels in languages other than English and Chinese, for ``labels.py`` and ``passwords.py``:
what a customer writing Japanese, Korean, Spanish, Portuguese, French, German, Russian,
Arabic, Hindi or Vietnamese calls a password, a one-time code, a phone, a passport, a national
ID, a card or an order number, and the words that link such a label to its value ("es",
"ist", は, 는).

English and Chinese are read with care (prose about a password is told from a password, a
card from an order number); these languages get their labels only, read by the same rules:
a label says what the value after it is, and the value must still have its kind's shape.
Words are written as the detectors read them: lower case, NFKC, traditional Chinese
characters folded to simplified ones (電話番号 is 电话番号, 認証 is 认证; see
``normalise.py``). A word of a script written with spaces must stand as a word of its own
(``telefon`` is not found in ``telefonisch``); a Japanese or Korean one may have a particle
glued to it (비밀번호는, パスワードは). :func:`links` says whether the words after a label link
it to its value: another language's "is" does nothing in an English message, and a label that
is an English word too needs a colon or its own language's "is".
"""

from __future__ import annotations

import re
from typing import Final

# A password's label; its value is read by ``passwords.py``.
PASSWORD: Final = (
    *("パスワード", "暗证番号"),  # ja
    *("비밀번호", "비번", "패스워드"),  # ko
    *("contraseña", "contrasena", "clave"),  # es
    "senha",  # pt
    *("mot de passe", "mdp"),  # fr
    *("passwort", "kennwort"),  # de
    "пароль",  # ru
    *("كلمة المرور", "كلمة السر"),  # ar
    "पासवर्ड",  # hi
    "mật khẩu",  # vi
)
# What a customer writes after a password's label instead of a password: "I forgot", "wrong",
# "blocked", "expired" ("пароль: забыл", "senha: esqueci"); see passwords._NOT_A_PASSWORD.
NOT_A_PASSWORD: Final = (
    *("olvidé", "olvide", "olvidada", "incorrecta", "bloqueada", "caducada", "perdida"),  # es
    *("esqueci", "esquecida", "errada", "incorreta", "bloqueada", "expirada"),  # pt
    *("oublié", "oubliée", "oublie", "perdu", "incorrect", "bloqué", "expiré"),  # fr
    *("vergessen", "falsch", "gesperrt", "abgelaufen", "ungültig"),  # de
    *("забыл", "забыла", "забыли", "забыт", "неверный", "неправильный", "заблокирован"),  # ru
    *("نسيت", "خطأ", "خاطئة"),  # ar
    *("भूल", "गलत"),  # hi
    *("quên", "sai"),  # vi
)
ONE_TIME_CODE: Final = (
    *("认证コード", "确认コード", "认证番号", "ワンタイムコード"),
    *("인증번호", "인증 번호", "인증코드", "인증 코드", "확인 코드", "확인코드"),
    *("código de verificación", "código de confirmación", "código de verificação"),
    *("código de confirmação", "código sms", "código otp"),
    *("code de vérification", "code de confirmation", "code sms"),
    *("bestätigungscode", "verifizierungscode"),
    *("код подтверждения", "код из смс", "код из sms", "смс-код", "смс код"),
    *("رمز التحقق", "كود التحقق", "رمز التأكيد"),
    "ओटीपी",
    *("mã xác nhận", "mã xác thực", "mã otp"),
)
# The code on the back of a card (CVV), read as "CVV" is. セキュリティコード names a one-time
# code too: a value of its shape (482913) is read as one (labels.SECOND_ROLE).
SECURITY_CODE: Final = (
    *("セキュリティコード", "보안코드", "보안 코드", "código de seguridad", "código de segurança"),
    *("code de sécurité", "cryptogramme", "sicherheitscode", "kartenprüfnummer"),
    *("код безопасности", "cvv-код", "cvc-код", "رمز الأمان", "mã bảo mật", "सुरक्षा कोड"),
)
PHONE: Final = (
    *("电话番号", "携帯番号", "携帯", "连络先"),
    *("전화번호", "전화 번호", "전화", "휴대폰 번호", "휴대폰", "핸드폰 번호", "핸드폰", "연락처"),
    *("teléfono", "telefono", "número de teléfono", "móvil", "movil", "celular"),
    *("número de celular", "número de móvil", "telefone", "número de telefone", "telemóvel"),
    *("téléphone", "numéro de téléphone", "tél", "portable", "numéro de portable"),
    *("telefon", "telefonnummer", "handy", "handynummer", "mobilnummer", "rufnummer"),
    *("телефон", "телефона", "номер телефона", "телефонный номер", "тел", "мой номер"),
    *("هاتف", "هاتفي", "رقم هاتفي", "رقم الهاتف", "جوال", "جوالي", "رقم جوالي", "رقم الجوال"),
    *("फोन", "फोन नंबर", "फ\u093cोन", "फ\u093cोन नंबर", "मोबाइल", "मोबाइल नंबर"),
    *("số điện thoại", "điện thoại", "sđt", "sdt"),
)
PASSPORT: Final = (
    *("パスポート", "パスポート番号", "旅券番号", "여권", "여권번호", "여권 번호"),
    *("pasaporte", "número de pasaporte", "passaporte", "número do passaporte"),
    *("passeport", "numéro de passeport", "reisepass", "reisepassnummer", "passnummer"),
    *("паспорт", "паспорта", "номер паспорта", "جواز السفر", "رقم جواز السفر", "جواز سفري"),
    *("पासपोर्ट", "पासपोर्ट नंबर", "hộ chiếu", "số hộ chiếu"),
)
# A national ID number: Korea's resident registration number, Japan's My Number, Spain's
# DNI, Brazil's CPF, Germany's ID card, India's Aadhaar, Vietnam's citizen ID.
NATIONAL_ID: Final = (
    *("주민등록번호", "주민번호", "マイナンバー", "个人番号"),
    *("dni", "cpf", "personalausweis", "ausweisnummer", "आधार", "आधार नंबर", "aadhaar"),
    *("cccd", "cmnd", "căn cước"),
)
CARD: Final = (
    *("カード番号", "카드번호", "카드 번호", "número de tarjeta", "número do cartão"),
    *("numéro de carte", "kartennummer", "kreditkarte", "номер карты", "رقم البطاقة"),
    *("कार्ड नंबर", "số thẻ"),
)
ORDER: Final = (
    *("注文番号", "ご注文番号", "注文", "追迹番号", "伝票番号", "お问い合わせ番号"),
    *("주문번호", "주문 번호", "주문", "운송장번호", "운송장 번호", "송장번호"),
    *("número de pedido", "numero de pedido", "pedido", "número de orden"),
    *("número de seguimiento", "factura", "número do pedido", "encomenda"),
    *("numéro de commande", "numero de commande", "commande", "numéro de suivi", "facture"),
    *("bestellnummer", "bestellung", "auftragsnummer", "sendungsnummer", "rechnungsnummer"),
    *("номер заказа", "заказ", "заказа", "трек-номер", "трек номер"),
    *("رقم الطلب", "رقم طلبي", "الطلب", "طلبي", "ऑर्डर", "ऑर्डर नंबर", "आर्डर"),
    *("mã đơn hàng", "đơn hàng", "mã vận đơn"),
)
# Between a label and its value: a particle (は, 는), "is" ("es", "ist", là, هو) or "number"
# ("número", номер, नंबर), for ``labelled._LINK``. Each word stands alone; particles may not.
LINK_WORDS: Final = (
    *("es", "é", "est", "ist", "lautet", "era", "là", "это", "هو", "هي", "है"),
    *("número", "numero", "numéro", "nummer", "номер", "नंबर", "رقم", "số"),
)
LINK_PARTICLES: Final = ("番号", "は", "が", "는", "은", "이", "가", "번호")
# Those "is" in Latin letters are English words, names or abbreviations too ("the phone era
# 12345678", "The portable est 12345678 grams"): after a label English writes too, they link
# it to a value only in a message with no English word (see ``links``).
_LATIN_IS: Final = frozenset({"es", "é", "est", "ist", "lautet", "era", "là"})
# Labels that are English words too, or abbreviations too short to tell ("a portable 1234567
# unit", "Mr Handy 1234567890", "clave 12345 came without the case", "my MDP 123456 is
# invalid", "SDT 1234567890 is the product code"), with their language's "is": each names a
# value after a colon, or after that "is" in a message that is not English ("mon portable est
# 06 12 34 56 78", "Mi clave es Hunter2x", "Handy ist 0171 1234567", "sdt là 0912345678").
AMBIGUOUS: Final[dict[str, tuple[str, ...]]] = {
    "portable": ("est",),
    "handy": ("ist", "lautet"),
    "clave": ("es", "era"),
    "mdp": ("est",),
    "celular": ("es", "é", "era"),
    "movil": ("es", "era"),
    "sdt": ("là",),
}
# Words of English that none of these languages writes alone: one in a message makes it
# English enough that another language's "is" links no English word to a value.
_ENGLISH: Final = re.compile(
    r"(?<![^\W\d_])(?:the|my|is|was|are|and|of|for|with|without|this|it|your|please)"
    r"(?![^\W\d_])"
)


class English:
    """Whether one message holds a word that only English, of these languages, writes: asked
    at each of its labels, searched at most once, when first asked (a search of 100 KB at each
    of its 8,000 labels, "handy ist 1 " repeated, took 20 s). Made for each message and dropped
    with it: a cache of the last message kept a customer's text in memory past its turn."""

    __slots__ = ("_found", "_lowered")

    def __init__(self, lowered: str) -> None:
        self._lowered: str | None = lowered
        self._found = False

    def found(self) -> bool:
        """Whether the message is English enough; its text let go once searched."""
        if self._lowered is not None:
            self._found, self._lowered = _ENGLISH.search(self._lowered) is not None, None
        return self._found


def links(english: English, label: str, link: str) -> bool:
    """Whether ``link``, the words between ``label`` and the value after it in a message
    (``english`` says if it is English), links them. A label of these languages is linked by
    any of them ("my contraseña es Hunter2x"), one of :data:`AMBIGUOUS` only by a colon, 是,
    为, or its language's "is" in a message that is not English; an English or Chinese one by
    another language's "is" only in a message that is not English."""
    if label in AMBIGUOUS:
        colon = any(sign in link for sign in ":：=是为")
        return colon or (any(w in AMBIGUOUS[label] for w in link.split()) and not english.found())
    # Most links hold no other language's "is" (" ", ": ", " is "): no set built, no search.
    return label in _LABELS or _LATIN_IS.isdisjoint(link.split()) or not english.found()


_LABELS: Final = frozenset(
    (*PASSWORD, *ONE_TIME_CODE, *SECURITY_CODE, *PHONE, *PASSPORT, *NATIONAL_ID, *CARD, *ORDER)
)
