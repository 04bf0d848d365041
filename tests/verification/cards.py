"""Generated identity documents and phone photos of them, for tests and the benchmark.

Everything is drawn here: valid random identities (python-stdnum's region
table and checksum), the two sides of a mainland resident ID card in the CJK
font of Debian's fonts-noto-cjk, a passport data page with its machine-readable
zone, and a phone photo of a card (busy background, rotation, perspective,
blur, glare, JPEG quality). The portrait is scikit-image's bundled astronaut
photo (shipped inside the scikit-image wheel, never downloaded).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from stdnum.cn import ric

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS, SANS_MONO = 2, 7  # Noto Sans CJK SC, Noto Sans Mono CJK SC in the .ttc
CARD_W, CARD_H = 856, 540  # 85.6 × 54 mm at 10 px/mm

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏"
            "卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵"
            "孟龙万段钱汤尹黎易常武乔贺赖龚文")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华建国红玉峰辉鹏飞宇浩凯晨阳雪琳婷慧欣"
         "佳怡嘉颖瑞思远博文志海波斌斌亮俊丹萍云龙春秋德宏晓东梅秀桂珍凤玲琴燕子轩梓涵一诺")
ETHNICITIES = ("汉",) * 12 + ("回", "满", "壮", "蒙古", "藏", "苗", "彝", "土家", "朝鲜")
STREETS = ("人民路", "解放路", "中山路", "建设路", "和平街", "长江路", "新华街", "文化路",
           "胜利路", "光明街", "朝阳路", "幸福路")


@dataclass(frozen=True)
class Identity:
    name: str
    sex: str  # 男 / 女
    ethnicity: str
    birth: date
    address: str
    number: str
    authority: str
    valid_from: date
    valid_until: date | None  # None: 长期 (no end)


@cache
def _regions() -> list[tuple[str, str, str]]:
    """(code, province, county) of counties stdnum's table knows as current."""
    import stdnum.cn

    rows, province = [], ""
    path = Path(stdnum.cn.__file__).with_name("loc.dat")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if not line.startswith(" "):
            prefix, province = line.split(" ", 1)[0], line.split('"')[1]
            continue
        code, county = line.split()[0], line.split('"')[1]
        if county.startswith("[") or not code.endswith(tuple("123456789")) or code.endswith("00"):
            continue
        if county in ("市辖区", "县"):
            continue
        rows.append((prefix + code, province, county))
    return rows


def random_identity(rng: random.Random, *, today: date | None = None,
                    expired: bool = False) -> Identity:
    """Return a valid adult identity; ``expired`` makes the validity end in the past."""
    today = today or date.today()
    code, province, county = rng.choice(_regions())
    birth = date(rng.randrange(1955, 2005), rng.randrange(1, 13), rng.randrange(1, 29))
    sequence = rng.randrange(0, 1000)
    body = f"{code}{birth:%Y%m%d}{sequence:03d}"
    number = body + ric.calc_check_digit(body + "0")  # the function skips the last character
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    street = f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
    flat = f"{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元{rng.randrange(1, 30)}0{rng.randrange(1, 5)}室"
    address = f"{province}{county}{street}{flat}"
    authority = f"{county}公安局" if rng.random() < 0.5 else f"{province}公安局{county}分局"
    if expired:
        valid_until = today - timedelta(days=rng.randrange(30, 2000))
        valid_from = valid_until.replace(year=valid_until.year - 10)
    else:
        valid_from = today - timedelta(days=rng.randrange(30, 3500))
        years = 20 if rng.random() < 0.5 else 10
        valid_until = valid_from.replace(year=valid_from.year + years, day=min(valid_from.day, 28))
        if valid_until <= today:
            valid_until = valid_from.replace(year=valid_from.year + 20, day=min(valid_from.day, 28))
        if rng.random() < 0.1:
            valid_until = None
    return Identity(name=name, sex="男" if sequence % 2 else "女",
                    ethnicity=rng.choice(ETHNICITIES), birth=birth, address=address,
                    number=number, authority=authority, valid_from=valid_from,
                    valid_until=valid_until)


def identity_for(name: str, number: str, **changes) -> Identity:
    """Return a consistent identity with this name and (valid) number."""
    rng = random.Random(number)
    base = random_identity(rng)
    born = ric.get_birth_date(number)
    sex = "男" if int(number[16]) % 2 else "女"
    return replace(base, **{"name": name, "number": number, "birth": born, "sex": sex, **changes})


# ---------------------------------------------------------------------------
# Drawing the card
# ---------------------------------------------------------------------------
@cache
def font(size: int, mono: bool = False, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    return ImageFont.truetype(str(path), size, index=SANS_MONO if mono else SANS)


@cache
def _astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


def portrait(seed: int = 0, size=(230, 290)) -> Image.Image:
    """A head-and-shoulders portrait cut from the astronaut photo, varied by ``seed``."""
    rng = random.Random(seed)
    dx, dy = rng.randrange(-12, 13), rng.randrange(-8, 9)
    face = _astronaut().crop((128 + dx, 12 + dy, 322 + dx, 256 + dy)).resize(size)
    tone = 0.9 + 0.2 * rng.random()
    return face.point(lambda v: min(255, int(v * tone)))


def _background(draw: ImageDraw.ImageDraw, w: int, h: int, rng: random.Random) -> None:
    for i in range(0, w + h, 14):  # the guilloche-like fine pattern of the card
        draw.line([(i, 0), (i - h, h)], fill=(214, 226, 236), width=1)
    for _ in range(6):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(60, 200)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(210, 222, 234), width=2)


def draw_front(person: Identity, *, seed: int = 0, scale: float = 1.0,
               face: bool = True) -> Image.Image:
    """The portrait side of a mainland resident ID card, ``scale`` × 856×540."""
    rng = random.Random(seed)
    image = Image.new("RGB", (CARD_W, CARD_H), (232, 238, 242))
    draw = ImageDraw.Draw(image)
    _background(draw, CARD_W, CARD_H, rng)
    label, ink = (60, 110, 160), (20, 20, 26)
    small, value = font(26), font(32)
    draw.text((60, 62), "姓  名", font=small, fill=label)
    draw.text((170, 56), person.name, font=font(36), fill=ink)
    draw.text((60, 132), "性  别", font=small, fill=label)
    draw.text((170, 126), person.sex, font=value, fill=ink)
    draw.text((300, 132), "民  族", font=small, fill=label)
    draw.text((410, 126), person.ethnicity, font=value, fill=ink)
    draw.text((60, 202), "出  生", font=small, fill=label)
    b = person.birth
    x = 170
    for part, is_label in ((str(b.year), False), ("年", True), (str(b.month), False),
                           ("月", True), (str(b.day), False), ("日", True)):
        draw.text((x, 202 if is_label else 196), part, font=small if is_label else value,
                  fill=label if is_label else ink)
        x += draw.textlength(part, font=small if is_label else value) + 14
    draw.text((60, 272), "住  址", font=small, fill=label)
    for i in range(0, len(person.address), 11):
        draw.text((170, 266 + (i // 11) * 44), person.address[i:i + 11], font=value, fill=ink)
    draw.text((60, 448), "公民身份号码", font=small, fill=label)
    draw.text((300, 440), person.number, font=font(38, mono=True), fill=ink)
    if face:
        image.paste(portrait(seed), (580, 70))
    if scale != 1.0:
        image = image.resize((round(CARD_W * scale), round(CARD_H * scale)), Image.LANCZOS)
    return image


def validity_text(person: Identity) -> str:
    end = "长期" if person.valid_until is None else f"{person.valid_until:%Y.%m.%d}"
    return f"{person.valid_from:%Y.%m.%d}-{end}"


def draw_back(person: Identity, *, seed: int = 0, scale: float = 1.0) -> Image.Image:
    """The emblem side: issuing authority and validity period."""
    rng = random.Random(seed + 1)
    image = Image.new("RGB", (CARD_W, CARD_H), (236, 238, 236))
    draw = ImageDraw.Draw(image)
    _background(draw, CARD_W, CARD_H, rng)
    draw.ellipse([60, 50, 220, 210], fill=(200, 40, 36))  # the emblem, roughly
    draw.ellipse([95, 85, 185, 175], outline=(236, 196, 80), width=8)
    draw.text((300, 60), "中华人民共和国", font=font(52, bold=True), fill=(30, 30, 30))
    draw.text((330, 150), "居民身份证", font=font(60, bold=True), fill=(30, 30, 30))
    label, ink = (40, 40, 48), (20, 20, 26)
    draw.text((150, 360), "签发机关", font=font(28), fill=label)
    draw.text((300, 354), person.authority, font=font(32), fill=ink)
    draw.text((150, 430), "有效期限", font=font(28), fill=label)
    draw.text((300, 424), validity_text(person), font=font(32), fill=ink)
    if scale != 1.0:
        image = image.resize((round(CARD_W * scale), round(CARD_H * scale)), Image.LANCZOS)
    return image


# Where the number line is on the front (fraction of the card), for glare on it.
NUMBER_LINE = (0.33, 0.80, 0.97, 0.93)


# ---------------------------------------------------------------------------
# A passport data page (ID-3, 125 × 88 mm) with its machine-readable zone
# ---------------------------------------------------------------------------
def mrz_check_digit(text: str) -> str:
    weights = (7, 3, 1)
    values = [int(c) if c.isdigit() else (ord(c) - 55 if c.isalpha() else 0) for c in text]
    return str(sum(v * weights[i % 3] for i, v in enumerate(values)) % 10)


def passport_mrz(surname: str, given: str, number: str, birth: date, sex: str,
                 expiry: date, nationality: str = "CHN") -> tuple[str, str]:
    names = f"{surname}<<{given}".replace(" ", "<")
    line1 = f"P<{nationality}{names}".ljust(44, "<")[:44]
    num = number.ljust(9, "<")
    born, until = f"{birth:%y%m%d}", f"{expiry:%y%m%d}"
    personal = "<" * 14
    body = (num + mrz_check_digit(num) + nationality + born + mrz_check_digit(born) + sex
            + until + mrz_check_digit(until) + personal + mrz_check_digit(personal))
    final = mrz_check_digit(num + mrz_check_digit(num) + born + mrz_check_digit(born)
                            + until + mrz_check_digit(until) + personal + mrz_check_digit(personal))
    return line1, body + final


def draw_passport(lines: tuple[str, str], *, seed: int = 0) -> Image.Image:
    w, h = 1250, 880
    image = Image.new("RGB", (w, h), (236, 232, 240))
    draw = ImageDraw.Draw(image)
    _background(draw, w, h, random.Random(seed))
    draw.text((60, 40), "中华人民共和国 护照 PASSPORT", font=font(40), fill=(60, 40, 90))
    image.paste(portrait(seed, size=(300, 380)), (60, 150))
    mono = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 44)
    draw.text((40, 700), lines[0], font=mono, fill=(10, 10, 10))
    draw.text((40, 780), lines[1], font=mono, fill=(10, 10, 10))
    return image


# ---------------------------------------------------------------------------
# A phone photo of a card
# ---------------------------------------------------------------------------
@dataclass
class Shot:
    """How the photo is taken; every field has a default of a good photo."""

    size: tuple[int, int] = (1000, 750)
    card_width: float = 0.72  # share of the photo's width
    rotation: float = 0.0  # degrees
    perspective: float = 0.0  # corner jitter, share of the card's size
    center: tuple[float, float] = (0.5, 0.5)
    background: str = "desk"  # desk | paper | busy | dark
    blur: float = 0.0  # Gaussian sigma, in pixels of a 1000-px photo
    glare: float = 0.0  # radius of a blown-out spot, share of the card's width
    glare_at: tuple[float, float] = (0.25, 0.3)  # where on the card (fractions)
    highlight: float = 0.0  # soft brightening (not blown out), 0..1
    brightness: float = 1.0
    noise: float = 4.0
    quality: int = 88


def scene_background(rng: random.Random, size: tuple[int, int], kind: str) -> np.ndarray:
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "paper":
        base = np.full((h, w, 3), 246, np.float32) + rng.uniform(-4, 6)
    elif kind == "dark":
        base = np.full((h, w, 3), 40, np.float32)
    else:
        tint = np.array([rng.uniform(90, 170), rng.uniform(60, 130), rng.uniform(30, 100)],
                        np.float32)
        grain = np.sin(ys / h * rng.uniform(20, 60) + np.sin(xs / w * rng.uniform(2, 6)) * 3)
        base = tint + (grain[..., None] * rng.uniform(10, 25))
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    if kind in ("busy", "desk"):
        draw = ImageDraw.Draw(image)
        for _ in range(25 if kind == "busy" else 6):
            x, y = rng.randrange(w), rng.randrange(h)
            r = rng.randrange(w // 30, w // 6)
            colour = tuple(rng.randrange(256) for _ in range(3))
            shape = rng.choice((draw.ellipse, draw.rectangle))
            shape([x - r, y - r // 2, x + r, y + r // 2], fill=colour)
        if kind == "busy":
            for _ in range(8):
                x, y = rng.randrange(w), rng.randrange(h)
                draw.text((x, y), "今日要闻 NEWS 2024", font=font(max(12, w // 60)),
                          fill=(30, 30, 30))
    return np.asarray(image, np.float32)


def card_corners(shot: Shot, aspect: float, seed: int = 0) -> np.ndarray:
    """Where the card's corners land in the photo (clockwise from top-left)."""
    rng = random.Random(seed * 7919 + 1)
    w, h = shot.size
    cw = shot.card_width * w
    ch = cw / aspect
    corners = np.float32([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2],
                          [-cw / 2, ch / 2]])
    jitter = np.float32([[rng.uniform(-1, 1) * shot.perspective * cw,
                          rng.uniform(-1, 1) * shot.perspective * ch] for _ in range(4)])
    angle = np.deg2rad(shot.rotation)
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (corners + jitter) @ rot.T + np.float32([shot.center[0] * w, shot.center[1] * h])


def inside_frame(shot: Shot, aspect: float, seed: int = 0, margin: float = 0.03) -> bool:
    w, h = shot.size
    c = card_corners(shot, aspect, seed)
    return bool((c[:, 0] > margin * w).all() and (c[:, 0] < (1 - margin) * w).all()
                and (c[:, 1] > margin * h).all() and (c[:, 1] < (1 - margin) * h).all())


def photograph(card: Image.Image, shot: Shot, *, seed: int = 0) -> bytes:
    """Place ``card`` in a phone photo taken as ``shot`` says; return JPEG bytes."""
    import cv2

    rng = random.Random(seed)
    final_size = shot.size
    # Large photos are composed at half size and enlarged, as soft at the pixel
    # level as a phone's 12-MP pictures are (and ten times faster to make).
    half = max(final_size) > 2400
    if half:
        shot = replace(shot, size=(final_size[0] // 2, final_size[1] // 2))
        card = card.resize((card.width // 2, card.height // 2), Image.LANCZOS) \
            if card.width > shot.card_width * shot.size[0] * 1.2 else card
    w, h = shot.size
    photo = scene_background(rng, shot.size, shot.background)
    cw = shot.card_width * w
    src = np.float32([[0, 0], [card.width, 0], [card.width, card.height], [0, card.height]])
    dst = card_corners(shot, card.width / card.height, seed)
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    card_px = np.asarray(card.convert("RGB"), np.float32)
    warped = cv2.warpPerspective(card_px, matrix, (w, h), flags=cv2.INTER_AREA
                                 if cw < card.width else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(_rounded_mask(card.size), matrix, (w, h))[..., None]
    shadow = cv2.GaussianBlur(cv2.warpPerspective(_rounded_mask(card.size), matrix, (w, h)),
                              (0, 0), w / 150)[..., None]
    photo = photo * (1 - 0.35 * np.roll(shadow, (w // 200, w // 200), (0, 1)))
    # The card's edge: its thickness catches a little shadow, as real cards do.
    rim = np.clip(mask - cv2.erode(mask, np.ones((3, 3), np.float32))[..., None], 0, 1)
    photo = photo * (1 - mask) + warped * mask * (1 - 0.25 * rim)
    photo = photo * shot.brightness  # the light in the room; glare saturates after it
    if shot.highlight:
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        d = np.hypot(*np.meshgrid(np.arange(w, dtype=np.float32) - cx,
                                  np.arange(h, dtype=np.float32) - cy))
        photo = photo + shot.highlight * 60 * np.exp(-(d / (0.3 * w)) ** 2)[..., None]
    if shot.glare:
        gx, gy = shot.glare_at
        centre = cv2.perspectiveTransform(
            np.float32([[[gx * card.width, gy * card.height]]]), matrix)[0, 0]
        d = np.hypot(*np.meshgrid(np.arange(w, dtype=np.float32) - centre[0],
                                  np.arange(h, dtype=np.float32) - centre[1]))
        radius = shot.glare * cw
        spot = np.clip(1.6 - d / radius, 0, 1)[..., None]
        photo = photo * (1 - spot) + 255 * spot
    if shot.blur:
        photo = cv2.GaussianBlur(photo, (0, 0), shot.blur * w / 1000)
    if half:
        photo = cv2.resize(photo, final_size, interpolation=cv2.INTER_LINEAR)
    if shot.noise:
        noise = np.random.default_rng(seed).standard_normal(photo.shape[:2], np.float32)
        photo = photo + (noise * shot.noise)[..., None]
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=shot.quality)
    return out.getvalue()


def _rounded_mask(size: tuple[int, int]) -> np.ndarray:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, size[0] - 1, size[1] - 1],
                                           radius=size[0] // 25, fill=255)
    return np.asarray(mask, np.float32) / 255


def random_shot(rng: random.Random, size=(1000, 750), aspect: float = CARD_W / CARD_H,
                seed: int = 0) -> Shot:
    """A good photo with the variation of real phone photos, the whole card in the frame."""
    for _ in range(50):
        shot = _any_shot(rng, size)
        if inside_frame(shot, aspect, seed):
            return shot
    return replace(shot, rotation=0.0, card_width=0.6, center=(0.5, 0.5), perspective=0.0)


def _any_shot(rng: random.Random, size) -> Shot:
    return Shot(
        size=size, card_width=rng.uniform(0.55, 0.85), rotation=rng.uniform(-15, 15),
        perspective=rng.uniform(0, 0.06),
        center=(0.5 + rng.uniform(-0.06, 0.06), 0.5 + rng.uniform(-0.06, 0.06)),
        background=rng.choice(("desk", "paper", "busy", "busy")), blur=rng.uniform(0, 0.8),
        highlight=rng.choice((0, 0, rng.uniform(0.1, 0.3))), brightness=rng.uniform(0.85, 1.0),
        glare=rng.choice((0, 0, 0, rng.uniform(0.02, 0.035))),
        # Small glare spots where nothing is printed (under the number, above the portrait).
        glare_at=rng.choice(((rng.uniform(0.05, 0.3), 0.965), (rng.uniform(0.7, 0.95), 0.04))),
        noise=rng.uniform(2, 6), quality=rng.randrange(70, 96),
    )


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()
