"""Turn the OCR's text lines into the fields of a document.

Lines are grouped into rows (the engine may split one printed line into
several boxes, or join a label with its value), and the rows are read by
their labels (姓名, 性别, 民族, 出生, 住址, 公民身份号码; 签发机关, 有效期限),
with the printed layout of the mainland resident ID card as the fallback.
A passport's machine-readable zone is read with its ICAO 9303 check digits.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .ocr import Line

RIC_PATTERN = re.compile(r"\d{17}[\dX]")
BIRTH_PATTERN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
VALIDITY_PATTERN = re.compile(
    r"(\d{4})[.\-]?(\d{2})[.\-]?(\d{2})[-—–~至]+(长期|(\d{4})[.\-]?(\d{2})[.\-]?(\d{2}))")
FRONT_LABELS = ("姓名", "性别", "民族", "出生", "住址", "公民身份号码")
BACK_LABELS = ("签发机关", "有效期限", "居民身份证", "中华人民共和国")


def clean(text: str) -> str:
    """Fold full-width characters, drop spaces, upper-case a trailing x."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).replace("x", "X")


def rows(lines: list[Line]) -> list[str]:
    """Join boxes that sit on one printed line, left to right."""
    grouped: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: item.cy):
        if grouped and abs(grouped[-1][-1].cy - line.cy) < 0.45 * max(line.height, 1.0):
            grouped[-1].append(line)
        else:
            grouped.append([line])
    return [clean("".join(item.text for item in sorted(group, key=lambda i: i.cx)))
            for group in grouped]


def kind_of(texts: list[str]) -> str:
    """Guess which document side the rows come from."""
    joined = "".join(texts)
    if any(mrz_lines(texts)):
        return "passport"
    front = sum(label in joined for label in FRONT_LABELS) + bool(RIC_PATTERN.search(joined))
    back = sum(label in joined for label in BACK_LABELS) + bool(VALIDITY_PATTERN.search(joined))
    if front >= 2 and front >= back:
        return "cn_front"
    if back >= 2:
        return "cn_back"
    return "unknown"


# ---------------------------------------------------------------------------
# Mainland resident ID: front
# ---------------------------------------------------------------------------
def read_cn_front(texts: list[str]) -> dict:
    fields: dict = {}
    number_row = None
    for index, row in enumerate(texts):
        if match := RIC_PATTERN.search(row.replace("公民身份号码", "")):
            fields["number"], number_row = match.group(), index
    for index, row in enumerate(texts):
        if index <= 1 and re.match(r"^(姓名|姓|名)", row) and "name" not in fields:
            fields["name"] = _name(re.sub(r"^(姓名|姓|名)", "", row))
        if "性别" in row and (m := re.search(r"性别([男女])", row)):
            fields["sex"] = m.group(1)
        if "民族" in row and (m := re.search(r"民族([\u4e00-\u9fff]{1,6})", row)):
            fields["ethnicity"] = m.group(1)
        if m := BIRTH_PATTERN.search(row):
            fields["birth_date"] = _iso(m.group(1), m.group(2), m.group(3))
        if row.startswith("住址"):
            end = number_row if number_row and number_row > index else len(texts)
            following = [r for r in texts[index + 1:end] if not r.startswith("公民身份号码")]
            fields["address"] = row[2:] + "".join(following)
    if "name" not in fields and texts:
        fields["name"] = _name(texts[0].removeprefix("姓名"))  # first printed line
    return {key: value for key, value in fields.items() if value}


def _name(text: str) -> str:
    """Keep the characters a Chinese name is written with (and the middle dot)."""
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch == "·")


def _iso(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def number_is_valid(number: str) -> bool:
    try:
        ric.validate(number)
    except StdnumError:
        return False
    return True


def birth_in_number(number: str) -> str | None:
    try:
        return ric.get_birth_date(number).isoformat()
    except StdnumError:
        return None


def sex_in_number(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


# ---------------------------------------------------------------------------
# Mainland resident ID: back
# ---------------------------------------------------------------------------
def read_cn_back(texts: list[str]) -> dict:
    fields: dict = {}
    for row in texts:
        if "签发机关" in row:
            fields["authority"] = row.split("签发机关", 1)[1]
        if m := VALIDITY_PATTERN.search(row.replace("有效期限", "")):
            fields["valid_from"] = _iso(m.group(1), m.group(2), m.group(3))
            fields["valid_until"] = ("long_term" if m.group(4) == "长期"
                                     else _iso(m.group(5), m.group(6), m.group(7)))
    return {key: value for key, value in fields.items() if value}


# ---------------------------------------------------------------------------
# Passport: the machine-readable zone (TD3, two lines of 44)
# ---------------------------------------------------------------------------
_MRZ_CHARS = re.compile(r"^[A-Z0-9<]{40,46}$")


def mrz_lines(texts: list[str]) -> list[str]:
    """Return the two MRZ lines if the rows hold them."""
    candidates = [re.sub(r"[«‹く〈]", "<", row).upper() for row in texts]
    candidates = [row for row in candidates if _MRZ_CHARS.match(row)]
    for first, second in zip(candidates, candidates[1:], strict=False):
        if first.startswith("P"):
            return [first[:44].ljust(44, "<"), second[:44].ljust(44, "<")]
    return []


def check_digit(text: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1; A=10 … Z=35; < = 0."""
    weights = (7, 3, 1)
    total = 0
    for i, ch in enumerate(text):
        value = int(ch) if ch.isdigit() else (ord(ch) - 55 if "A" <= ch <= "Z" else 0)
        total += value * weights[i % 3]
    return str(total % 10)


def read_mrz(texts: list[str]) -> dict:
    """Read a TD3 zone: number, names, birth and expiry dates, each with its check."""
    lines = mrz_lines(texts)
    if not lines:
        return {}
    first, second = lines
    number, birth, expiry = second[0:9], second[13:19], second[21:27]
    checks = {
        "number": check_digit(number) == second[9],
        "birth_date": check_digit(birth) == second[19],
        "expiry_date": check_digit(expiry) == second[27],
        "composite": check_digit(second[0:10] + second[13:20] + second[21:43]) == second[43],
    }
    surname, _, given = first[5:].partition("<<")
    return {
        "number": number.rstrip("<"),
        "nationality": second[10:13],
        "surname": surname.replace("<", " ").strip(),
        "given_names": given.replace("<", " ").strip(),
        "birth_date": _mrz_date(birth, past=True),
        "sex": second[20],
        "expiry_date": _mrz_date(expiry, past=False),
        "mrz_checks": checks,
    }


def _mrz_date(text: str, *, past: bool) -> str | None:
    if not text.isdigit():
        return None
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    this_year = date.today().year % 100
    century = 1900 if (past and year > this_year) else 2000
    return _iso(str(century + year), str(month), str(day))


def find_number(texts: list[str], pattern: re.Pattern) -> str | None:
    """The first token in the rows that matches a document number ``pattern``."""
    for row in texts:
        for token in re.findall(r"[A-Z0-9]{6,12}", row.upper()):
            if pattern.match(token):
                return token
    return None
