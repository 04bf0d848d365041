"""The Standard Webhooks verification examples in docs/api.md work: both the
one with the ``standardwebhooks`` library and the raw algorithm accept a
signature made by the library and refuse a tampered body or another secret."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from standardwebhooks.webhooks import Webhook

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
SECRET = "whsec_" + base64.b64encode(b"the-docs-example-secret-32-bytes").decode()
OTHER = "whsec_" + base64.b64encode(b"another-secret-of-thirty-2-bytes").decode()


def _examples() -> list[str]:
    section = DOCS.split("### Verifying a webhook\n")[1].split("\n### ")[0]
    return [block.split("```")[0] for block in section.split("```python")[1:]]


def _signed(secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": "hold.lifted", "timestamp": datetime.now(UTC).isoformat(),
                       "data": {"platform_account_id": "u-1001"}})
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_1", now, body)
    rotating = f"{Webhook(OTHER).sign('msg_1', now, body)} {signature}"  # two secrets
    return body.encode(), {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
                           "webhook-signature": rotating}


def test_the_library_example_verifies():
    namespace: dict = {}
    exec(_examples()[0].replace("whsec_…", SECRET), namespace)  # noqa: S102 (our docs)
    body, headers = _signed(SECRET)
    assert namespace["receive"](body, headers)["type"] == "hold.lifted"
    assert namespace["receive"](body + b" ", headers) is None


def test_the_raw_algorithm_example_verifies():
    namespace: dict = {}
    exec(_examples()[1], namespace)  # noqa: S102 (our docs)
    body, headers = _signed(SECRET)
    assert namespace["verify"](SECRET, body, headers)
    assert not namespace["verify"](SECRET, body.replace(b"lifted", b"placed"), headers)
    only_other = {**headers, "webhook-signature": headers["webhook-signature"].split()[0]}
    assert not namespace["verify"](SECRET, body, only_other)
