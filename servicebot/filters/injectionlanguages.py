"""Injection rules for the languages a cross-border shop's customers write besides English,
Chinese and German: Spanish, French, Italian, Portuguese, Russian, Japanese, Korean, Arabic,
Vietnamese and Hindi. :mod:`.injection` runs them as it runs its own, and reports what they
find as ``override_other``, as its rule for German and a few Slavic and Romance verbs.

They mirror the English ``override`` rule's structure, which is what keeps it quiet on
support messages: a verb (ignore, forget), an earlier or all-embracing word (previous, all,
your) and an instruction-like object (instructions, rules, prompt), in one sentence. A verb
and a message alone are a customer correcting themselves: "ignora el correo anterior, ya lo
resolví", "前の注文を無視してください", "bỏ qua tin nhắn trước đó" are not flagged. Each
language keeps its own word order: in Spanish, French and Russian the earlier word may come
after the object ("las instrucciones anteriores"); in Japanese, Korean and Hindi the verb comes
last ("前の指示を無視して"), and the earlier word must sit right before the object so that "前の
配送指示を無視して配達された" (a complaint) is not read as an attack.

Patterns are matched against the detection copy of :mod:`.injection`: lowered, and then a
second time with accents removed, so the Latin-script words are written without accents
("precedentes", "instrucoes", "huong dan") and match both "précédentes" and a customer who types
without them. Cyrillic, kana, Hangul and Devanagari are written as typed: removing accents
changes them (й, ド, 한 decompose), so they match on the first pass. Ideographs are written as
:mod:`.traditional` folds them, as the rules read them: 無視 reads 无视, 設定 设定, 規則 规则.
"""

from __future__ import annotations

_GAP = r"[^.?!。？！\n]{0,40}?"  # a few words, within one sentence
_SHORT = r"[^.?!,;。？！\n]{0,20}?"  # the object's own adjectives

# Spanish, French, Italian, Portuguese and Russian: verb, then an earlier word before the
# object ("todas las instrucciones", "все предыдущие инструкции") or after it ("las
# instrucciones anteriores", "инструкции выше").
_VERB = (
    r"\b(?:ignor(?:a|e|en|ar|ez|er|are)|olvid(?:a|e|en|ar)|descart(?:a|e|ar)|omit(?:e|a|ir)"
    r"|haz caso omiso|no hagas caso|oublie[rz]?|ne (?:tiens|tenez) pas compte"
    r"|(?:fais|faites) abstraction|dimentic(?:a|ate|are)|non considerare"
    r"|esquec(?:a|e|er)|desconsider(?:a|e|ar)"
    r"|(?:про)?игнорир\w*|забудь(?:те)?|забыть|не обращай(?:те)? внимани[яе]"
    r"|отбрось(?:те)?)\b"
)
_BEFORE = (
    r"\b(?:todas|todos|tus|sus|vuestras|previas|anteriores|iniciales|originales|toutes|tous"
    r"|tes|vos|precedentes|anterieures|tutte|tutti|tue|precedenti|suas|tuas"
    r"|вс[её]|свои|твои|ваши|предыдущ\w*|прежн\w*|системн\w*|изначальн\w*)\b"
)
_OBJECT = (
    r"\b(?:instrucciones|reglas|indicaciones|directrices|ordenes|instructions|consignes"
    r"|regles|directives|istruzioni|regole|indicazioni|direttive|instrucoes|regras"
    r"|diretrizes|orientacoes|prompts?|инструкци\w*|указани\w*|правил\w*|промпт\w*"
    r"|директив\w*)\b"
)
_AFTER = (
    r"\b(?:anteriores|previas|de arriba|iniciales|originales|del sistema|precedentes"
    r"|anterieures|ci-dessus|initiales|du systeme|precedenti|di sopra|iniziali|originali"
    r"|di sistema|acima|iniciais|originais|do sistema|выше|предыдущ\w*|системы)\b"
)
_EUROPEAN = rf"{_VERB}{_GAP}(?:{_BEFORE}{_GAP}{_OBJECT}|{_OBJECT}{_SHORT}{_AFTER})"

# Japanese: "前の指示を無視して", "以前の指示をすべて無視して", "これまでの規則は全部忘れて".
_JA_OBJECT = r"(?:指示|命令|指令|ルール|プロンプト|制约|规则)"
# An order, not a report: "無視された", "忘れてしまいました" are a customer's complaint.
_JA_VERB = r"(?:无视(?!され)|忘れ(?:て(?!しま)|ろ|なさい))"
_JAPANESE = (
    r"(?:前|以前|これまで|今まで|先ほど|上记|最初|すべて|全て|あなた|システム)の"
    rf"(?:すべての|全ての)?{_JA_OBJECT}(?:を|は)(?:すべて|全て|全部)?{_JA_VERB}"
    rf"|{_JA_OBJECT}(?:を|は)?(?:すべて|全て|全部){_JA_VERB}"
)
# Korean: "이전 지시를 무시하고", "모든 규칙을 잊어"; not "잊어버렸어요" (I forgot).
_KOREAN = (
    r"(?:이전|앞의|앞선|위의|기존|모든|너의|당신의|시스템) ?(?:의 ?)?(?:모든 ?)?"
    r"(?:지시|지침|명령|규칙|프롬프트)(?:사항)?들?(?:을|를|은|는)? ?(?:모두 |전부 |다 )?"
    r"(?:무시(?!당)|잊(?:고|으세요|어(?!버렸|버린|서)))"
)
# Arabic: "تجاهل جميع التعليمات السابقة", "انس تعليماتك".
_AR_OBJECT = r"(?:ال)?(?:تعليمات|اوامر|أوامر|إرشادات|ارشادات|قواعد)"
_ARABIC = (
    r"(?:تجاهل|تجاهلي|تجاهلوا|انس|انسى|انسي|أهمل|اهمل|أهملي|اهملي) "
    rf"(?:(?:جميع|كل) {_AR_OBJECT}|{_AR_OBJECT}(?:ك\b| (?:السابقة|الأصلية|الاصلية|النظام)))"
)
# Vietnamese, accents removed (đ has none to remove): "bỏ qua tất cả các hướng dẫn trước đó".
# Not "quen" alone: without accents it is also "quen" (familiar with).
_VI_OBJECT = r"\b(?:huong dan|chi dan|chi thi|quy tac|cau lenh|menh lenh)\b"
_VI_VERB = r"\b(?:bo qua|phot lo|lo di|quen di|hay quen)\b"
_VIETNAMESE = (
    rf"{_VI_VERB}{_GAP}(?:\b(?:tat ca|moi|toan bo)\b{_GAP}"
    rf"{_VI_OBJECT}|{_VI_OBJECT}{_SHORT}\b(?:truoc|cua ban|ban [đd]au|he thong)\b)"
)
# Hindi, the verb last: "पिछले सभी निर्देशों को अनदेखा करें". No \b: Devanagari vowel signs are
# not word characters to ``re``. ज़ is ज and a nukta once NFKC has run, or ज typed alone.
_HINDI = (
    r"(?:पिछले|पहले के|सभी|सारे|अपने|तुम्हारे|आपके|सिस्टम के)[^।.?!\n]{0,20}?"
    r"(?:निर्देश|नियम|आदेश|प्रॉम्प्ट|हिदायत)[^।.?!\n]{0,15}?"
    "(?:अनदेखा|नज\u093c?रअंदाज\u093c?|भूल ?जा|इग्नोर)"
)

# Each language its own rule, woken by its own words: one alternation of them all took 85 us
# more of every English message saying "ignore" (a rule runs in 1 to 30 us).
OVERRIDES: dict[str, tuple[str, str]] = {
    "override_europe": (
        _EUROPEAN,
        # The objects, not the verbs: "ignor" is in every English "please ignore my message".
        "instrucciones|reglas|indicaciones|directrices|ordenes|instructions|consignes|regles"
        "|directives|istruzioni|regole|indicazioni|direttive|instrucoes|regras|diretrizes"
        "|orientacoes|prompt|инструкци|указани|правил|промпт|директив",
    ),
    "override_ja": (_JAPANESE, "无视|忘れ"),
    "override_ko": (_KOREAN, "무시|잊"),
    "override_ar": (_ARABIC, "تجاهل|انس|أهمل|اهمل"),
    "override_vi": (_VIETNAMESE, "bo qua|phot lo|lo di|quen di|hay quen"),
    "override_hi": (_HINDI, "अनदेखा|नज|भूल|इग्नोर"),
}
"""Instructions overridden, per rule: its pattern, and words one of which each match contains
(see ``_TRIGGERS`` in :mod:`.injection`). Their findings are of kind ``override_other``."""

REACHES: dict[str, tuple[str, str, int]] = {
    # A verb of up to 25 letters, a gap, an earlier word, a gap: 200 leaves the words 120.
    "override_europe": (_VERB, _OBJECT, 200),
    "override_vi": (_VI_VERB, _VI_OBJECT, 8 + 40 + 7 + 40),  # "hay quen", "toan bo": exact
}
"""Where the rules with two gaps can start, per rule: its verb, its object (each match holds
one), and how many characters at most lie from the verb's start to the object's. Tried at
every verb, such a rule took 110 ms on "забудь все " * 10,000 + "инструкции"; tried only at
the verbs that have an object within reach, the same matches take a fraction of that (see
``_near`` in :mod:`.injection`)."""

ROLE_NAMES = "システム|アシスタント|시스템"
"""Role names that, alone at a line's start before a colon, fake a speaker, as 系统： does."""
