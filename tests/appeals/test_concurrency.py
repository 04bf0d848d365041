"""Two staff deciding one appeal at the same moment: one wins, the other is told.

Each thread has its own PostgreSQL connection; the appeal row lock in the
service serialises them.
"""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import StatusEvent
from appeals import services
from appeals.models import Appeal, Message
from tests.conftest import run_together

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("claimed", [False, True])
def test_two_staff_deciding_at_once_one_wins_the_other_is_told(restricted_user, officer,
                                                               supervisor, file_appeal, claimed):
    appeal = file_appeal(restricted_user.holds.get())
    if claimed:  # both open the page after the claim lapsed or before anyone claimed
        services.appeal_claim(appeal=appeal, acting_user=officer)
        services.appeal_release(appeal=appeal, acting_user=officer)
    results = run_together([
        lambda: services.appeal_decide(appeal=appeal, acting_user=officer, decision="accepted",
                                       message="Accepted by officer."),
        lambda: services.appeal_decide(appeal=appeal, acting_user=supervisor,
                                       decision="rejected", message="Rejected by supervisor."),
    ])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError)
    assert errors[0].code in ("already_decided", "claimed_by_other")
    appeal.refresh_from_db()
    assert appeal.state in ("accepted", "rejected")
    decided = StatusEvent.objects.filter(data__appeal=appeal.pk,
                                         kind__in=["appeal_accepted", "appeal_rejected"])
    assert decided.count() == 1
    assert Message.objects.filter(appeal=appeal, author_role="staff").count() == 1
    restricted_user.refresh_from_db()
    assert restricted_user.status == ("active" if appeal.state == "accepted" else "restricted")


def test_two_filings_for_one_hold_at_once_give_one_appeal(restricted_user, file_appeal):
    hold = restricted_user.holds.get()
    results = run_together([lambda: file_appeal(hold)] * 3)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 2
    assert all(getattr(e, "code", None) == "already_open" for e in errors)
    assert Appeal.objects.filter(hold=hold).count() == 1
