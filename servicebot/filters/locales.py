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
glued to it (비밀번호는, パスワードは).
"""

from __future__ import annotations

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
ONE_TIME_CODE: Final = (
    *("认证コード", "确认コード", "认证番号", "ワンタイムコード", "セキュリティコード"),
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
