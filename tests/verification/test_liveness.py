"""The stub liveness backend: challenge, expiry, and each evaluation rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from verification.liveness import ACTIONS, Frame, StubLivenessBackend, backend

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _frames(n: int, *, start=NOW + timedelta(seconds=5), same=False, size=(320, 240)):
    rng = np.random.default_rng(1)
    base = rng.uniform(0, 255, (64, 64)).astype(np.float32)
    return [
        Frame(base if same else rng.uniform(0, 255, (64, 64)).astype(np.float32), *size,
              start + timedelta(seconds=i))
        for i in range(n)
    ]


@pytest.fixture
def stub():
    return StubLivenessBackend()


def test_challenge_has_four_digits_two_distinct_actions_and_expires(stub):
    challenge = stub.start_challenge(now=NOW)
    assert len(challenge["digits"]) == 4 and challenge["digits"].isdigit()
    assert len(set(challenge["actions"])) == 2 and set(challenge["actions"]) <= set(ACTIONS)
    assert not stub.is_expired(challenge, now=NOW + timedelta(minutes=4))
    assert stub.is_expired(challenge, now=NOW + stub.CHALLENGE_TTL)


def test_challenges_are_random(stub):
    seen = {(c["digits"], tuple(c["actions"])) for c in (stub.start_challenge() for _ in range(20))}
    assert len(seen) > 1


def test_good_frames_pass_every_rule(stub):
    result = stub.evaluate(stub.start_challenge(now=NOW), _frames(3))
    assert result.passed and result.score == 1.0
    assert all(result.rules.values())


def test_too_few_frames_fail(stub):
    result = stub.evaluate(stub.start_challenge(now=NOW), _frames(2))
    assert not result.passed and result.rules == {**result.rules, "enough_frames": False}
    assert result.score == 0.75


def test_a_frame_that_did_not_decode_fails(stub):
    frames = _frames(3)
    frames[1] = Frame(None, 0, 0, frames[1].received_at)
    result = stub.evaluate(stub.start_challenge(now=NOW), frames)
    assert not result.rules["frames_decode"] and not result.passed


def test_tiny_frames_fail_the_decode_rule(stub):
    result = stub.evaluate(stub.start_challenge(now=NOW), _frames(3, size=(100, 80)))
    assert not result.rules["frames_decode"]


def test_identical_frames_fail(stub):
    result = stub.evaluate(stub.start_challenge(now=NOW), _frames(4, same=True))
    assert not result.rules["frames_differ"] and not result.passed


def test_frames_outside_the_window_fail(stub):
    late = _frames(3, start=NOW + stub.CHALLENGE_TTL + timedelta(seconds=1))
    result = stub.evaluate(stub.start_challenge(now=NOW), late)
    assert not result.rules["within_window"] and not result.passed
    early = _frames(3, start=NOW - timedelta(seconds=10))
    assert not stub.evaluate(stub.start_challenge(now=NOW), early).rules["within_window"]


def test_backend_is_chosen_in_settings(settings):
    class Other(StubLivenessBackend):
        pass

    import verification.liveness as module

    module.Other = Other
    settings.PORTAL_LIVENESS_BACKEND = "verification.liveness.Other"
    try:
        assert type(backend()) is Other
    finally:
        del module.Other


def _scene(ball_x: int, *, noise_seed: int | None = None) -> np.ndarray:
    """A flat 64×64 grey scene with a small 4×4 lighter ball at ``ball_x``.

    The ball is small and not very bright, as Chromium's fake camera's is:
    the picture's mean changes by under one grey level between frames.
    """
    grey = np.full((64, 64), 90.0, dtype=np.float32)
    grey[30:34, ball_x:ball_x + 4] = 150.0
    if noise_seed is not None:
        # Re-encoding a JPEG changes pixels slightly everywhere; averaged down
        # to 64×64 that is well under a grey level.
        grey += np.random.default_rng(noise_seed).uniform(-0.8, 0.8, grey.shape).astype(np.float32)
    return grey


def _timed(greys):
    return [Frame(g, 320, 240, NOW + timedelta(seconds=5 + i)) for i, g in enumerate(greys)]


def test_a_small_moving_object_on_a_still_background_passes(stub):
    # Like a blink, or Chromium's fake camera: most of the picture stays the same.
    frames = _timed([_scene(x) for x in (4, 16, 28, 40)])
    assert float(np.abs(frames[0].grey - frames[1].grey).mean()) < stub.MIN_FRAME_DIFFERENCE
    result = stub.evaluate(stub.start_challenge(now=NOW), frames)
    assert result.rules["frames_differ"] and result.passed


def test_the_same_still_re_encoded_each_time_fails(stub):
    frames = _timed([_scene(20, noise_seed=seed) for seed in range(4)])
    result = stub.evaluate(stub.start_challenge(now=NOW), frames)
    assert not result.rules["frames_differ"] and not result.passed
