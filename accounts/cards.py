"""The status page's cards: each hold with its statement of reasons, the case open
on it and the one next action, ordered by what needs the owner soonest.

Pure presentation of what ``selectors.status_page`` read: no queries here.
Urgency groups, most urgent first:

0. the owner must act, by a date (a deadline that escalates, a question to answer);
1. the owner must act, no date (verify to unlock, retake a photo, a step of a checklist);
2. the owner may act (appeal, contact support);
3. someone else is working on it (checks, review, staff);
4. it lifts by itself (no button).

Within a group: nearest date first, then the more severe level, then the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Hold
from .presentation import remedy_url
from .reasons import LEVEL_RANK, Remedy
from .remedies import Step, needs_several, remedy_steps
from .selectors import StatusPage
from .statement import Way, decided_by_label, facts_for_display, ways_to_contest

MUST_BY_DATE, MUST, MAY, WAITING, LIFTS_ITSELF = range(5)
VERIFY_OPEN = ("draft", "submitted", "checking", "in_review")


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    style: str = "primary"  # primary | secondary | danger
    testid: str = "remedy"


@dataclass
class CaseLine:
    """The case open on a hold, in the owner's words."""

    kind: str  # verification | appeal | remedies | support
    state: str
    title: str
    detail: str = ""
    url: str = ""
    needs_you: bool = False
    answer_by: datetime | None = None


@dataclass
class HoldCard:
    hold: Hold
    group: int = MAY
    case: CaseLine | None = None
    support: CaseLine | None = None
    steps: list[Step] = field(default_factory=list)
    action: Action | None = None
    more: list[Action] = field(default_factory=list)
    note: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    ways: list[Way] = field(default_factory=list)
    decided_by: str = ""
    date: datetime | None = None

    @property
    def reason(self):
        return self.hold.catalog

    @property
    def needs_you(self) -> bool:
        return self.group in (MUST_BY_DATE, MUST)

    @property
    def lifts_by_itself(self) -> bool:
        return self.group == LIFTS_ITSELF

    def sort_key(self) -> tuple:
        far = datetime.max.replace(tzinfo=UTC)
        return (self.group, self.date or far, -LEVEL_RANK[self.hold.level],
                self.hold.placed_at, self.hold.pk)


def _when(moment: datetime | None) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def _duration(value: timedelta) -> str:
    from appeals.templatetags.appeal_tags import duration_words

    return duration_words(value)


# ---------------------------------------------------------------------------
# Cases on a hold
# ---------------------------------------------------------------------------
def _deciding_cases(page: StatusPage, hold: Hold) -> list:
    return [case for case in page.cases if case.hold_id == hold.pk and case.kind != "support"]


def _appeal_line(case, page: StatusPage) -> CaseLine:
    url = reverse("appeals:detail", args=[case.pk])
    remedies = case.kind == "remedies"
    if case.state == "awaiting_user":
        detail = _("Answer by %(when)s, or the case closes.") % {"when": _when(case.answer_by)}
        return CaseLine(case.kind, case.state, _("Staff asked you a question"), detail, url,
                        needs_you=True, answer_by=case.answer_by)
    if case.is_open:
        title = _("Staff are reviewing your steps") if remedies else _("Your appeal is in review")
        wait = page.appeal_waits.get(case.reason)
        detail = (_("Appeals like this take about %(wait)s now.") % {"wait": _duration(wait)}
                  if wait and not remedies else
                  _("We aim to answer by %(when)s.") % {"when": _when(case.sla_due_at)})
        return CaseLine(case.kind, case.state, title, detail, url)
    if case.decision == "rejected":
        title = _("The limit stays: staff need more") if remedies else _("Your appeal was rejected")
        return CaseLine(case.kind, case.state, title, case.decision_message, url)
    return CaseLine(case.kind, case.state, _("Your appeal was closed"), "", url)


def _support_line(page: StatusPage, hold: Hold | None):
    for case in page.cases:
        if case.kind == "support" and case.hold_id == (hold.pk if hold else None) and case.is_open:
            url = reverse("appeals:detail", args=[case.pk])
            if case.state == "awaiting_user":
                return case, CaseLine("support", case.state, _("Support asked you a question"),
                                      _("Answer by %(when)s.") % {"when": _when(case.answer_by)},
                                      url, needs_you=True, answer_by=case.answer_by)
            return case, CaseLine("support", case.state, _("Your conversation with support"),
                                  _("A person answers by %(when)s.") % {
                                      "when": _when(case.sla_due_at)}, url)
    return None, None


def _verification_line(page: StatusPage, hold: Hold) -> CaseLine | None:
    """The owner's newest verification, if it bears on this hold (after it was placed,
    or still open)."""
    if not page.verifications:
        return None
    latest = page.verifications[0]
    url = reverse("verification:progress", args=[latest["pk"]])
    state = latest["state"]
    if state not in VERIFY_OPEN and (latest["decided_at"] or hold.placed_at) < hold.placed_at:
        return None
    if state == "draft":
        return CaseLine("verification", state, _("Your verification is not finished"),
                        _("Your answers are saved: continue where you stopped."),
                        reverse("verification:start"), needs_you=True)
    if state in ("submitted", "checking"):
        return CaseLine("verification", state, _("Your verification is being checked"),
                        _("Automatic checks usually take a few seconds."), url)
    if state == "in_review":
        detail = (_("A person is reviewing it. Reviews take about %(wait)s now.")
                  % {"wait": _duration(page.verification_wait)} if page.verification_wait
                  else _("A person is reviewing it, by %(when)s at the latest.")
                  % {"when": _when(latest["sla_due_at"])})
        return CaseLine("verification", state, _("Your verification is in review"), detail, url)
    if state in ("auto_rejected", "rejected"):
        fix = latest["decision_message"] or _("Check what the verification page says.")
        if latest["decision_reason"] == "reupload" and latest["redo"]:
            # The reviewer asked for one part: the card names it and quotes them.
            title = _("Staff ask you to take this again: %(part)s") % {
                "part": latest["redo"][0]}
            return CaseLine("verification", state, title, fix, url, needs_you=True)
        if latest["redo"] and len(latest["redo"]) < 4:
            fix = _("%(fix)s Only this is asked again: %(parts)s.") % {
                "fix": fix, "parts": pgettext("list separator", ", ").join(latest["redo"])}
        return CaseLine("verification", state, _("Your verification needs another try"),
                        fix, url, needs_you=True)
    return None


# ---------------------------------------------------------------------------
# One card
# ---------------------------------------------------------------------------
def _support_action(hold: Hold, support_case) -> Action:
    if support_case is not None:
        return Action(_("Open your conversation with support"),
                      reverse("appeals:detail", args=[support_case.pk]), "secondary", "support")
    return Action(_("Contact support"), reverse("appeals:support_new", args=[hold.pk]),
                  "secondary", "support")


def hold_card(page: StatusPage, hold: Hold) -> HoldCard:
    reason = hold.catalog
    card = HoldCard(hold=hold, facts=facts_for_display(hold), ways=ways_to_contest(hold),
                    decided_by=decided_by_label(hold))
    support_case, card.support = _support_line(page, hold)
    support = _support_action(hold, support_case)
    cases = _deciding_cases(page, hold)
    open_case = next((case for case in cases if case.is_open), None)
    latest_case = open_case or (cases[-1] if cases else None)

    if hold.lifts_by_itself:
        card.group, card.date = LIFTS_ITSELF, hold.expires_at
        card.note = _("Nothing to do: it lifts by itself on %(when)s.") % {
            "when": _when(hold.expires_at)}
        card.more = [support]
        return card
    if not reason.self_service and not reason.appealable:
        card.group = MAY
        card.note = _("Self-service does not apply: no verification or appeal can lift this "
                      "limit. Support can tell you what is known and what you can do.")
        card.action = Action(support.label, support.url, "primary", "support")
        _apply_support(card)
        return card

    if needs_several(hold):
        appealed = next((case.created_at for case in cases if case.kind == "appeal"
                         and case.decision != "rejected"), None)
        card.steps = remedy_steps(hold, latest=page.latest, appealed_at=appealed)
    # An open appeal or review is the case; else the verification; else a decided appeal.
    if open_case is not None:
        card.case = _appeal_line(open_case, page)
    else:
        verification = (_verification_line(page, hold) if Remedy.VERIFY in reason.remedies
                        else None)
        card.case = verification or (_appeal_line(latest_case, page) if latest_case else None)

    _next_action(card, page, open_case, latest_case)
    if card.action is None or card.action.testid != "support":
        card.more.append(support)
    if reason.not_me_places and hold.is_active:
        card.more.append(Action(_("This sign-in was not me"),
                                reverse("appeals:not_me", args=[hold.pk]), "danger", "not-me"))
    _apply_support(card)
    if hold.deadline and not hold.escalated_at and card.group in (MUST, MAY):
        card.group = MUST_BY_DATE
    card.date = _earliest(hold.deadline if not hold.escalated_at else None,
                          card.case.answer_by if card.case else None,
                          card.support.answer_by if card.support else None)
    return card


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


def _apply_support(card: HoldCard) -> None:
    """An open support question that waits for the owner makes the card theirs to act on."""
    if card.support is not None and card.support.needs_you and card.group > MUST_BY_DATE:
        card.group = MUST_BY_DATE


def _next_action(card: HoldCard, page: StatusPage, open_case, latest_case) -> None:
    """Set the one next action (or none) and the card's urgency group."""
    hold, reason, case = card.hold, card.hold.catalog, card.case
    if case is not None and case.needs_you:
        card.group = MUST_BY_DATE if case.answer_by else MUST
        label = (_("Answer staff") if case.kind in ("appeal", "remedies")
                 else _("Verify again") if case.state in ("auto_rejected", "rejected")
                 else _("Continue verification"))
        url = case.url if case.kind != "verification" or case.state == "draft" else reverse(
            "verification:start")
        card.action = Action(label, url)
        return
    if card.steps:
        undone = next((step for step in card.steps if not step.done), None)
        if undone is None:
            card.group = WAITING
            if case is None or case.kind != "remedies":
                card.case = CaseLine("remedies", "pending", _("Your part is done"),
                                     _("Staff will check your steps and lift the limit."))
            return
        if case is not None and case.kind == "verification" and not case.needs_you \
                and undone.remedy == Remedy.VERIFY:
            card.group = WAITING
            return
        card.group = MUST
        card.action = Action(_step_label(undone.remedy), _step_url(undone.remedy, hold))
        return
    if open_case is not None or (case is not None and case.kind == "verification"):
        card.group = WAITING
        return
    remedies = [r for r in reason.remedies if r != Remedy.APPEAL or reason.appealable]
    first = next(iter(remedies), None)
    if first == Remedy.APPEAL:
        from appeals.services.eligibility import eligibility_from

        cases = [c for c in page.cases if c.hold_id == hold.pk and c.kind != "support"]
        eligibility = eligibility_from(hold=hold, account=page.account, cases=cases,
                                       now=page.now)
        if not eligibility.allowed:
            card.group = MAY
            card.note = eligibility.message
            return
        card.group = MAY
        again = latest_case is not None and latest_case.decision == "rejected"
        card.action = Action(_("Appeal again") if again else _("Appeal this decision"),
                             reverse("appeals:file", args=[hold.pk]))
        return
    if first is not None and first not in (Remedy.CONTACT, Remedy.WAIT):
        card.group = MUST if first == Remedy.VERIFY else MAY
        card.action = Action(_step_label(first), _step_url(first, hold))


def _step_label(remedy: str) -> str:
    return str(Remedy(remedy).label)


def _step_url(remedy: str, hold: Hold) -> str:
    if remedy == Remedy.SECURE:
        return reverse("accounts:secure", args=[hold.pk])
    return remedy_url(remedy, hold) or reverse("accounts:help")


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------
def status_cards(page: StatusPage) -> list[HoldCard]:
    """Every active hold's card, the most urgent first."""
    return sorted((hold_card(page, hold) for hold in page.holds), key=HoldCard.sort_key)


@dataclass
class ChecklistItem:
    label: str
    done: bool
    url: str
    action: str


def security_checklist(page: StatusPage) -> tuple[Hold, list[ChecklistItem]] | None:
    """The checklist after a security hold was lifted, until the owner finishes it."""
    if not page.lifted_security_holds:
        return None
    hold = page.lifted_security_holds[0]
    finished = page.latest.get("security_checklist_done")
    if finished is not None and hold.lifted_at is not None and finished > hold.lifted_at:
        return None
    since = hold.placed_at
    changed = page.latest.get("password_changed")
    ended = _earliest_after(since, page.latest.get("sessions_ended"),
                            page.latest.get("account_secured"))
    items = []
    if page.account.has_usable_password():
        items.append(ChecklistItem(_("Change your password"),
                                   bool(changed and changed > since),
                                   reverse("password_change"), _("Change password")))
    items.append(ChecklistItem(_("Check your recent sign-ins and sign out everywhere else"),
                               ended is not None, reverse("accounts:security"),
                               _("Review sign-ins")))
    items.append(ChecklistItem(_("Turn on two-step verification"), page.two_step_on,
                               reverse("accounts:two_step_setup"), _("Turn on")))
    return hold, items


def _earliest_after(moment: datetime, *candidates: datetime | None) -> datetime | None:
    after = [c for c in candidates if c is not None and c > moment]
    return min(after) if after else None


def status_summary(page: StatusPage) -> str:
    """The banner's sentence: a freeze is protective only if every freezing hold is."""
    from .presentation import STATUS_SUMMARIES

    status = page.account.status
    if status == "frozen" and any(not hold.catalog.protective and hold.level == "frozen"
                                  for hold in page.holds):
        return _("Your account is frozen. Your data is kept. Each limit below says why and "
                 "what you can do.")
    return str(STATUS_SUMMARIES[status])


def general_support_line(page: StatusPage) -> CaseLine | None:
    """The owner's open conversation with support that is about no hold."""
    _case, line = _support_line(page, None)
    return line
