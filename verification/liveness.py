"""Liveness checks behind one small interface, chosen by settings.

``settings.PORTAL_LIVENESS_BACKEND`` names the class; ``backend()`` returns an
instance. A backend issues a challenge (``start_challenge``) and judges the
frames the browser captured for it (``evaluate``). A vendor SDK would be a
second backend with the same two methods.

``StubLivenessBackend`` is a STUB. It does not detect faces, blinks or speech.
It issues a real random challenge (four digits to read aloud and two actions)
that expires after ``CHALLENGE_TTL``, and judges the captured frames by these
deterministic rules, each reported separately:

1. ``enough_frames``: at least ``MIN_FRAMES`` frames were captured.
2. ``frames_decode``: every frame was stored as a decodable image at least
   ``MIN_FRAME_EDGE`` pixels on its short side.
3. ``frames_differ``: every frame differs from the one before it, compared
   as 64×64 grey copies: either the mean absolute difference is above
   ``MIN_FRAME_DIFFERENCE`` (the whole picture changed), or at least
   ``MIN_MOVED_SHARE`` of the pixels changed by more than
   ``MOVED_PIXEL_DELTA`` grey levels (something moved, e.g. a blink or a
   turn of the head, while the background stayed). A single still photo held
   up to the camera, or one file uploaded several times, fails; re-encoding
   the same picture changes far fewer pixels by far less.
4. ``within_window``: every frame was received between the challenge's issue
   time and its expiry.

The score is the share of rules passed; it passes only when all rules pass.
Time is injectable (``now=``), as in Django's token generator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "blink": _("Blink twice"),
    "turn_left": _("Turn your head to the left"),
    "turn_right": _("Turn your head to the right"),
    "nod": _("Nod"),
    "smile": _("Smile"),
    "open_mouth": _("Open your mouth"),
}


@dataclass(frozen=True)
class Frame:
    """One captured frame as the backend sees it."""

    grey: np.ndarray | None  # 64×64 grey copy, None when the frame did not decode
    width: int
    height: int
    received_at: datetime


@dataclass
class LivenessResult:
    passed: bool
    score: float
    rules: dict[str, bool] = field(default_factory=dict)


class LivenessBackend:
    """The interface: start a challenge, evaluate the frames captured for it.

    A challenge is a JSON-serialisable dict with at least ``issued_at`` and
    ``expires_at`` (ISO 8601); it is stored on the request.
    """

    MIN_FRAMES = 3
    MAX_FRAMES = 8

    def start_challenge(self, *, now: datetime | None = None) -> dict:
        raise NotImplementedError

    def is_expired(self, challenge: dict, *, now: datetime | None = None) -> bool:
        """Return whether frames can no longer be captured for ``challenge``."""
        now = now or self._now()
        return not challenge or now >= datetime.fromisoformat(challenge["expires_at"])

    def evaluate(
        self, challenge: dict, frames: list[Frame], *, now: datetime | None = None
    ) -> LivenessResult:
        raise NotImplementedError

    def _now(self) -> datetime:
        return timezone.now()


class StubLivenessBackend(LivenessBackend):
    """STUB: a random challenge and deterministic frame rules, no face analysis."""

    CHALLENGE_TTL = timedelta(minutes=5)
    MIN_FRAME_EDGE = 120
    MIN_FRAME_DIFFERENCE = 1.0
    MOVED_PIXEL_DELTA = 24
    MIN_MOVED_SHARE = 0.005

    def start_challenge(self, *, now: datetime | None = None) -> dict:
        now = now or self._now()
        rng = secrets.SystemRandom()
        return {
            "backend": "stub",
            "id": secrets.token_urlsafe(12),
            "digits": "".join(str(rng.randrange(10)) for _ in range(4)),
            "actions": rng.sample(sorted(ACTIONS), 2),
            "issued_at": now.isoformat(),
            "expires_at": (now + self.CHALLENGE_TTL).isoformat(),
        }

    def evaluate(
        self, challenge: dict, frames: list[Frame], *, now: datetime | None = None
    ) -> LivenessResult:
        rules = {
            "enough_frames": len(frames) >= self.MIN_FRAMES,
            "frames_decode": bool(frames) and all(self._decodes(f) for f in frames),
            "frames_differ": self._differ(frames),
            "within_window": bool(challenge) and bool(frames) and self._within(challenge, frames),
        }
        score = sum(rules.values()) / len(rules)
        return LivenessResult(passed=all(rules.values()), score=score, rules=rules)

    def _decodes(self, frame: Frame) -> bool:
        return frame.grey is not None and min(frame.width, frame.height) >= self.MIN_FRAME_EDGE

    def _differ(self, frames: list[Frame]) -> bool:
        greys = [f.grey for f in frames if f.grey is not None]
        if len(greys) < 2:
            return False
        return all(self._changed(a, b) for a, b in zip(greys, greys[1:], strict=False))

    def _changed(self, before: np.ndarray, after: np.ndarray) -> bool:
        delta = np.abs(before.astype(np.float32) - after.astype(np.float32))
        moved_share = float((delta > self.MOVED_PIXEL_DELTA).mean())
        whole_picture_changed = float(delta.mean()) > self.MIN_FRAME_DIFFERENCE
        return whole_picture_changed or moved_share >= self.MIN_MOVED_SHARE

    def _within(self, challenge: dict, frames: list[Frame]) -> bool:
        start = datetime.fromisoformat(challenge["issued_at"])
        end = datetime.fromisoformat(challenge["expires_at"])
        return all(start <= f.received_at <= end for f in frames)


def backend() -> LivenessBackend:
    """Return an instance of the backend named in settings."""
    return import_string(settings.PORTAL_LIVENESS_BACKEND)()


def action_labels(challenge: dict) -> list[str]:
    return [str(ACTIONS.get(code, code)) for code in challenge.get("actions", [])]
