"""Benchmark: the document checks on a generated corpus of 12-megapixel phone photos.

Run from the repository root:

    .venv/bin/python bench/bench_document_checks.py            # 320 good + 120 bad photos
    .venv/bin/python bench/bench_document_checks.py --quick    # a 40-photo subset

Every photo is generated here (tests/verification/cards.py): valid random
identities on resident ID fronts and backs, photographed at 4000×3000 with
rotation up to ±15°, perspective, blur, glare, JPEG quality 70–95, plain,
white-paper and busy backgrounds. Bad photos: no card, card cut off by the
frame, blurred, glare on the number, expired card, typed number differs,
gravel and a page of text (scikit-image's bundled pictures).

Each photo goes through the same code as the worker (``read_photo`` and the
``judge`` rules) with what the owner "typed". It prints the share of good
fronts whose number and name were read exactly, the share of good photos
wrongly auto-rejected, the share of bad photos auto-rejected, and the CPU
time (``time.process_time``, not wall time: the machine is shared) of one
submission — a 12-MP front and back and a selfie — against a naive
full-resolution decode of the same three files, alternating A B A B, median.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

SIZE = (4000, 3000)
CARD_SCALE = 2.0  # the card is drawn at 1712×1080 before it is photographed
BAD_KINDS = ("no_card", "cut_off", "blurred", "glare_number", "expired", "number_differs",
             "gravel", "page")


def _setup() -> None:
    import django

    django.setup()


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------
def good_photo(i: int, side: str):
    from tests.verification import cards

    rng = random.Random(f"good-{side}-{i}")
    person = cards.random_identity(rng)
    shot = cards.random_shot(rng, size=SIZE, seed=i)
    draw = cards.draw_front if side == "front" else cards.draw_back
    data = cards.photograph(draw(person, seed=i, scale=CARD_SCALE), shot, seed=i)
    return data, person, person.number


def bad_photo(i: int, kind: str):
    from tests.verification import cards

    rng = random.Random(f"bad-{kind}-{i}")
    person = cards.random_identity(rng, expired=kind == "expired")
    shot = cards.random_shot(rng, size=SIZE, seed=i)
    side, typed = "front", person.number
    if kind == "no_card":
        return _scene_only(rng, shot, i), person, typed, side
    if kind in ("gravel", "page"):
        return _sample_picture(kind, rng, i), person, typed, side
    if kind == "cut_off":
        shot = replace(shot, center=(rng.choice((0.02, 0.98)), 0.5 + rng.uniform(-0.1, 0.1)),
                       card_width=rng.uniform(0.6, 0.8))
    elif kind == "blurred":
        shot = replace(shot, blur=rng.uniform(6, 10))
    elif kind == "glare_number":
        shot = replace(shot, glare=rng.uniform(0.07, 0.1),
                       glare_at=(rng.uniform(0.45, 0.85), 0.85))
    elif kind == "expired":
        side = "back"
    elif kind == "number_differs":
        typed = cards.random_identity(random.Random(f"other-{i}")).number
    draw = cards.draw_front if side == "front" else cards.draw_back
    return cards.photograph(draw(person, seed=i, scale=CARD_SCALE), shot, seed=i), person, \
        typed, side


def _scene_only(rng, shot, seed: int) -> bytes:
    from PIL import Image

    from tests.verification import cards

    pixels = cards.scene_background(rng, (SIZE[0] // 2, SIZE[1] // 2), shot.background)
    image = Image.fromarray(pixels.clip(0, 255).astype("uint8")).resize(SIZE)
    return cards.jpeg(image, shot.quality)


def _sample_picture(kind: str, rng, seed: int) -> bytes:
    from PIL import Image
    from skimage import data

    from tests.verification import cards

    if kind == "gravel":
        picture = Image.fromarray(data.gravel()).convert("RGB").resize(SIZE)
        return cards.jpeg(picture, 85)
    page = Image.fromarray(data.page()).convert("RGB")  # a scanned page of printed text
    sheet = page.resize((1240, 1754))  # A4 proportions
    shot = replace(cards.random_shot(rng, size=SIZE, aspect=1754 / 1240, seed=seed),
                   card_width=0.5)
    return cards.photograph(sheet.rotate(90, expand=True), shot, seed=seed)


def selfie_photo(seed: int) -> bytes:
    from tests.verification import cards

    rng = random.Random(seed)
    background = cards.scene_background(rng, (1632, 1224), "desk")
    from PIL import Image

    image = Image.fromarray(background.clip(0, 255).astype("uint8"))
    image.paste(cards.portrait(seed, size=(700, 880)), (466, 172))
    return cards.jpeg(image.resize((3264, 2448)), 90)


# ---------------------------------------------------------------------------
# Judging one photo as the worker does
# ---------------------------------------------------------------------------
def verdict(data: bytes, side: str, person, typed_number: str) -> tuple[str, list, dict]:
    """Return ("pass" | "person" | "reject", findings, reading)."""
    from verification import documents
    from verification.document import judge, reading

    read = reading.read_photo(data)
    stored = read.as_json()
    today = date.today()
    findings = judge.judge_photo(side, stored, documents.MAINLAND_ID)
    if judge.photo_usable(findings):
        if side == "front":
            findings += judge.judge_front(stored, read.fields.get("number", ""),
                                          document_type=documents.MAINLAND_ID,
                                          typed_name=person.name, typed_number=typed_number,
                                          today=today)
        else:
            findings += judge.judge_back(stored, document_type=documents.MAINLAND_ID,
                                         today=today)
    failed = [f for f in findings if not f.passed]
    outcome = "reject" if any(f.fixable for f in failed) else "person" if failed else "pass"
    return outcome, findings, {"fields": read.fields, "cpu": read.cpu_seconds}


# ---------------------------------------------------------------------------
# CPU per submission against a naive full-resolution decode
# ---------------------------------------------------------------------------
def submission_checks(files: list[bytes]) -> None:
    """What the worker does with one submission's pictures (the database work aside)."""
    from verification.checks import rgb_of
    from verification.document import likeness, reading

    front, back, selfie = files
    read = reading.read_photo(front)
    reading.read_photo(back)
    reading.faces_in_frame(selfie)
    if read.crop:  # the reviewer's hint: portrait against the liveness face
        likeness.descriptor(reading.portrait_of(read.crop, read.kind))
        likeness.descriptor(rgb_of(selfie))


def naive_decode(files: list[bytes]) -> None:
    from PIL import Image

    for data in files:
        Image.open(io.BytesIO(data)).convert("RGB")


def cpu_rounds(files: list[bytes], rounds: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(rounds):
        for fn, out in ((submission_checks, a), (naive_decode, b)):
            start = time.process_time()
            fn(files)
            out.append(time.process_time() - start)
    return statistics.median(a), statistics.median(b)


# ---------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a 40-photo subset")
    parser.add_argument("--fronts", type=int, default=240)
    parser.add_argument("--backs", type=int, default=80)
    parser.add_argument("--bad-each", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()
    if args.quick:
        args.fronts, args.backs, args.bad_each, args.rounds = 16, 8, 2, 3
    _setup()
    from verification.document import likeness, ocr

    ocr.engine()  # load the models once, as a worker does, outside the measurements
    likeness._load()
    started = time.monotonic()

    number_ok = name_ok = 0
    good_rejected, good_person, good_total = [], 0, 0
    for side, count in (("front", args.fronts), ("back", args.backs)):
        for i in range(count):
            data, person, typed = good_photo(i, side)
            outcome, findings, info = verdict(data, side, person, typed)
            good_total += 1
            if good_total % 40 == 0:
                print(f"... {good_total} good photos done", file=sys.stderr, flush=True)
            if side == "front":
                number_ok += info["fields"].get("number") == person.number
                name_ok += info["fields"].get("name") == person.name
            if outcome == "reject":
                good_rejected.append((side, i, [f.code for f in findings if not f.passed]))
            good_person += outcome == "person"
            if outcome != "pass" and args.verbose:
                print(f"  good {side} #{i}: {outcome} "
                      f"{[(f.code, f.detail) for f in findings if not f.passed]}")

    caught, bad_total, per_kind = 0, 0, {}
    for kind in BAD_KINDS:
        for i in range(args.bad_each):
            data, person, typed, side = bad_photo(i, kind)
            outcome, findings, _ = verdict(data, side, person, typed)
            codes = [f.code for f in findings if not f.passed]
            bad_total += 1
            caught += outcome == "reject"
            per_kind.setdefault(kind, []).append((outcome, codes))
            if outcome != "reject" and args.verbose:
                print(f"  bad {kind} #{i}: {outcome} "
                      f"{[(f.code, f.detail) for f in findings if not f.passed]}")

    from tests.verification import cards

    rng = random.Random(99)
    person = cards.random_identity(rng)
    files = [cards.photograph(cards.draw_front(person, scale=CARD_SCALE),
                              cards.random_shot(rng, size=SIZE), seed=1),
             cards.photograph(cards.draw_back(person, scale=CARD_SCALE),
                              cards.random_shot(rng, size=SIZE), seed=2),
             selfie_photo(3)]
    submission_checks(files)
    cpu, naive = cpu_rounds(files, args.rounds)

    fronts = max(args.fronts, 1)
    number_exact, name_exact = number_ok / fronts, name_ok / fronts
    false_reject = len(good_rejected) / max(good_total, 1)
    bad_caught = caught / max(bad_total, 1)
    print(f"corpus: {good_total} good ({args.fronts} fronts, {args.backs} backs), "
          f"{bad_total} bad ({args.bad_each} of each: {', '.join(BAD_KINDS)}), "
          f"{SIZE[0]}x{SIZE[1]} JPEG; {time.monotonic() - started:.0f} s wall")
    print(f"good fronts: number read exactly {number_ok}/{fronts}, name {name_ok}/{fronts}")
    print(f"good photos: auto-rejected {len(good_rejected)}/{good_total}, "
          f"sent to a person {good_person}/{good_total}")
    for side, i, codes in good_rejected:
        print(f"  wrongly rejected: good {side} #{i}: {codes}")
    for kind, results in per_kind.items():
        got = sum(outcome == "reject" for outcome, _ in results)
        codes = sorted({c for _, cs in results for c in cs if c})
        print(f"  bad {kind:15s} auto-rejected {got}/{len(results)}  codes: {', '.join(codes)}")
    print(f"CPU per submission (12-MP front + back + selfie), median of {args.rounds}: "
          f"checks {cpu:.2f} s, naive full-resolution decode only {naive:.2f} s "
          f"(checks/naive = {cpu / naive:.2f})")
    print(f"document-checks: number_exact={number_exact:.2f} name_exact={name_exact:.2f} "
          f"false_reject={false_reject:.2f} bad_caught={bad_caught:.2f} cpu_s={cpu:.2f}")


if __name__ == "__main__":
    main()
