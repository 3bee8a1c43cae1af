"""Turning what people type (and what Excel stores) into clean values."""

import datetime as dt
import re
import unicodedata

_PHONE_NOISE = re.compile(r"[\s\-－—–()（）.·]")


def to_halfwidth(value: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", value)


def clean_text(value) -> str:
    """A cell or field as a trimmed string; numbers stored as floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = to_halfwidth(str(value)).replace("\u3000", " ").strip()
    return re.sub(r"\s+", " ", text)


def clean_phone(value) -> str:
    """A mainland mobile number as 11 digits, or "" if it is not one.

    Accepts spaces, dashes, brackets, full-width digits, a +86/0086/86 prefix and numeric
    cells (13800138000.0).
    """
    text = clean_text(value)
    if not text:
        return ""
    text = _PHONE_NOISE.sub("", text)
    if text.startswith("+"):
        text = text[1:]
    if text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text if re.fullmatch(r"1\d{10}", text) else ""


def mask_phone(phone: str) -> str:
    """138****8000: lists show phone numbers masked."""
    if len(phone) == 11:
        return f"{phone[:3]}****{phone[-4:]}"
    return phone


# ------------------------------------------------------------------ roster cells
# Each ``parse_*`` below takes a non-blank cell and returns ``None`` when it cannot read it,
# so the caller can tell "left blank" (check ``clean_text`` first) from "wrong".

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "[零〇一二两三四五六七八九十]{1,3}"
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_MIDDLE_DOTS = re.compile(r"[•・･‧∙⋅]")


def compact(value) -> str:
    """``clean_text`` without any spaces: for codes, labels and yes/no words."""
    return re.sub(r"\s+", "", clean_text(value))


def clean_name(value) -> str:
    """A person's name: 王　芳 (padded to line up in a printed list) is 王芳; 阿依·买买提 keeps
    its dot, whichever dot the keyboard produced."""
    text = _CJK_GAP.sub("", clean_text(value))
    return _MIDDLE_DOTS.sub("·", text)


def clean_code(value) -> str:
    """An identifier such as a 学籍号: no spaces, no ``.0`` a numeric cell or CSV left behind,
    no leading apostrophe Excel uses to force text."""
    text = compact(value).lstrip("'")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return text


def chinese_number(text: str) -> int | None:
    """``3``, ``三``, ``十二``, ``二十三`` as an int (up to 99); ``None`` otherwise."""
    if text.isascii() and text.isdigit():
        return int(text)
    if not re.fullmatch(_CN_NUMBER, text or ""):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return value if value >= 10 else None


_STAGE_OFFSET = {"": 0, "小学": 0, "初中": 6, "初": 6, "高中": 9, "高": 9}
_STAGE_LIMIT = {"": 12, "小学": 6, "初中": 3, "初": 3, "高中": 3, "高": 3}
_GRADE = re.compile(rf"(?P<stage>小学|初中|高中|初|高)?(?P<n>\d{{1,2}}|{_CN_NUMBER})(?:年级|级)?")


def parse_grade(value) -> int | None:
    """A grade as 1–12: ``7``, ``7年级``, ``七年级``, ``初一`` (7), ``高二`` (11), ``一年级``."""
    match = _GRADE.fullmatch(compact(value))
    if not match:
        return None
    stage = match["stage"] or ""
    number = chinese_number(match["n"])
    if number is None or not 1 <= number <= _STAGE_LIMIT[stage]:
        return None
    return number + _STAGE_OFFSET[stage]


# What may stand before the homeroom number as its grade: 七年级 / 7年级 / 初一 / 高二, or a bare
# 七 or 7 when a bracket follows (七(3)班). A bare 二 without a bracket is not a grade: 二十班.
_GRADE_PREFIX = (rf"(?:小学|初中|高中)?(?:\d{{1,2}}|{_CN_NUMBER})年级|[初高][一二三123]"
                 r"|[一二三四五六七八九](?=\()|\d{1,2}(?=\()")
_LABEL_DOTTED = re.compile(r"(?P<g>\d{1,2})\s*[-.·_/—–~]\s*(?P<n>\d{1,2})班?")
_LABEL_FULL = re.compile(rf"(?P<g>{_GRADE_PREFIX})\(?(?P<n>\d{{1,2}}|{_CN_NUMBER})\)?班?")
_LABEL_NUMBER = re.compile(rf"\(?(?P<n>\d{{1,2}}|{_CN_NUMBER})\)?班?")


def parse_homeroom_label(value) -> tuple[int | None, int] | None:
    """A homeroom label as ``(grade, number)``; grade is ``None`` when the label has none.

    ``7-3``, ``7.3``, ``初一(3)班``, ``初一（3）班``, ``七年级3班``, ``七年级（3）班`` are all
    ``(7, 3)``, and so is the date Excel makes of ``7-3`` (7月3日); ``3班`` and ``3`` are
    ``(None, 3)`` and need a 年级 column beside them.
    """
    if isinstance(value, dt.date):
        # Excel turns 7-3 typed into a cell into a date, shown as 7月3日: month and day it is.
        return value.month, value.day
    text = compact(value).replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    for pattern in (_LABEL_DOTTED, _LABEL_FULL):
        match = pattern.fullmatch(text)
        if match:
            grade, number = parse_grade(match["g"]), chinese_number(match["n"])
            if grade is None or not number:
                return None
            return grade, number
    match = _LABEL_NUMBER.fullmatch(text)
    if match:
        number = chinese_number(match["n"])
        return (None, number) if number else None
    return None


_GENDERS = {"男": "M", "男生": "M", "M": "M", "MALE": "M",
            "女": "F", "女生": "F", "F": "F", "FEMALE": "F"}


def parse_gender(value) -> str | None:
    """男/女/M/F as ``"M"``/``"F"``."""
    return _GENDERS.get(compact(value).upper())


_YES = {"是", "Y", "YES", "1", "TRUE", "√", "✓", "有"}
_NO = {"否", "N", "NO", "0", "FALSE", "×", "✗", "无", "不是"}


def parse_yes_no(value, *, yes=(), no=()) -> bool | None:
    """是/否, Y/N, 1/0, TRUE/FALSE, √/×, plus the column's own words (寄宿/走读, 校外/校内)."""
    if isinstance(value, bool):
        return value
    word = compact(value).upper()
    if word in _YES or word in yes:
        return True
    if word in _NO or word in no:
        return False
    return None


_DAY = "(?:周|星期|礼拜)?"
_DAY_CHARS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7,
              "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7}
_DAY_RANGE = re.compile(rf"{_DAY}(?P<a>[一二三四五六日天1-7]){_DAY}?(?:至|到|-|~|—)"
                        rf"{_DAY}(?P<b>[一二三四五六日天1-7])")
_DAY_LIST = re.compile(rf"{_DAY}(?P<days>[一二三四五六日天1-7]+)")


def parse_weekdays(value) -> list[int] | None:
    """Weekdays as sorted ISO numbers: ``周一、周三``, ``1,3``, ``周一至周四``, ``一三五``."""
    text = clean_text(value)
    days: set[int] = set()
    for token in re.split(r"[、,，;；/.\s]+", text):
        if not token:
            continue
        match = _DAY_RANGE.fullmatch(token)
        if match:
            a, b = _DAY_CHARS[match["a"]], _DAY_CHARS[match["b"]]
            if a > b:
                return None
            days.update(range(a, b + 1))
            continue
        match = _DAY_LIST.fullmatch(token)
        if not match:
            return None
        days.update(_DAY_CHARS[ch] for ch in match["days"])
    return sorted(days) or None
