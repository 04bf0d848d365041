"""The signature format documented in docs/api.md."""

from __future__ import annotations

import hashlib
import hmac

from accounts.api import signing


def test_header_is_hmac_sha256_over_timestamp_and_body():
    header = signing.signature_header("whsec_x", b'{"a":1}', timestamp=1700000000)
    expected = hmac.new(b"whsec_x", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_fresh_and_rejects_tampered_or_stale():
    body = b'{"id":"1"}'
    header = signing.signature_header("s", body, timestamp=1000)
    assert signing.signature_verify("s", body, header, now=1100)
    assert not signing.signature_verify("s", body + b" ", header, now=1100)
    assert not signing.signature_verify("other", body, header, now=1100)
    assert not signing.signature_verify("s", body, header, now=1000 + 301)
    assert not signing.signature_verify("s", body, "garbage", now=1000)


def test_keys_are_random_and_parse():
    full, prefix, digest = signing.key_generate()
    assert signing.key_prefix(full) == prefix
    assert signing.key_matches(full, digest)
    assert signing.key_generate()[0] != full


def test_the_verification_example_in_the_docs_accepts_our_signatures():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    example = docs.split("### Verifying the legacy signature (Python)")[1].split("```python")[1]
    namespace: dict = {}
    exec(example.split("```")[0], namespace)  # noqa: S102 (our own documentation)
    body = b'{"id":"1"}'
    header = signing.signature_header("whsec_doc", body)
    assert namespace["verify"]("whsec_doc", body, header)
    assert not namespace["verify"]("whsec_doc", body + b"x", header)
