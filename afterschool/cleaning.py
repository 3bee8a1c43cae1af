"""Turning what people type (and what Excel stores) into clean values."""

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
