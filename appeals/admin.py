"""The appeals queue in Django admin: a thin front over ``appeals.services``.

The change page shows the contested hold, the account's timeline and the
whole thread (internal notes marked) beside the action forms; every button
posts to one view that calls a service and reports its ValidationError.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import Account, StatusEvent
from accounts.permissions import may_lift
from accounts.queues import CappedCountPaginator, DefaultListFilter, sla_cell
from accounts.remedies import latest_remedy_events, needs_several, remedy_steps
from accounts.staff_views import file_unavailable

from . import selectors, services
from .forms import StaffActionForm
from .models import Appeal, Attachment, Macro
from .views import evidence_response

logger = logging.getLogger(__name__)


def _remedy_steps(appeal: Appeal) -> list:
    """The owner's several-remedy checklist for the hold the case decides (or none)."""
    if appeal.hold is None or not needs_several(appeal.hold):
        return []
    appealed = appeal.created_at if appeal.kind == Appeal.Kind.APPEAL else None
    return remedy_steps(appeal.hold, latest=latest_remedy_events(appeal.account_id),
                        appealed_at=appealed)


class SLABreachedFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", _("Past due")), ("ok", _("Within SLA"))]

    def queryset(self, request, queryset):
        breached = Appeal.sla_breached_q(timezone.now())
        if self.value() == "breached":
            return queryset.filter(breached)
        if self.value() == "ok":
            return queryset.filter(state__in=Appeal.OPEN_STATES).exclude(breached)
        return queryset


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "who"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine" and _open_only(request):
            return queryset.filter(pk__in=_my_open_cases(request.user))
        if self.value() == "mine":
            return queryset.filter(Q(assignee=request.user) | Q(claimed_by=request.user))
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


def _open_only(request: HttpRequest) -> bool:
    """Whether the queue shows only the open cases (``OpenFilter``'s default)."""
    return request.GET.get(OpenFilter.parameter_name, OpenFilter.default) == OpenFilter.default \
        and not any(name in request.GET for name in OpenFilter.yields_to)


def _my_open_cases(user) -> list[int]:
    """The open cases assigned to or claimed by ``user``, one small index lookup each.

    An assignee stays on decided cases, so the planner takes "assigned to me"
    for a large share of the table and, asked for the OR at once, walks the
    whole open queue looking for a reviewer's few cases (200 ms at a million).
    """
    open_cases = Appeal.objects.filter(state__in=Appeal.OPEN_STATES).order_by()
    return list(open_cases.filter(assignee=user).values_list("pk", flat=True)
                .union(open_cases.filter(claimed_by=user).values_list("pk", flat=True)))


class OpenFilter(DefaultListFilter):
    """The queue opens on the open cases; a filter on the state shows every state."""

    title = _("open or decided")
    parameter_name = "open"
    default = "yes"
    yields_to = ("state__exact",)

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Decided or closed"))]

    def filter(self, queryset, value):
        if value == "yes":
            return queryset.filter(state__in=Appeal.OPEN_STATES)
        if value == "no":
            return queryset.exclude(state__in=Appeal.OPEN_STATES)
        return queryset


_ACTION_DONE = {
    "claim": _("You claimed this appeal."),
    "release": _("Claim released."),
    "reply": _("Reply sent to the user."),
    "note": _("Internal note added."),
    "ask": _("The user was asked for more information."),
    "accept": _("Appeal accepted; the hold was lifted."),
    "reject": _("Appeal rejected; the hold stays."),
    "escalate": _("Appeal escalated to the supervisors."),
    "assign": _("Appeal reassigned."),
    "resolve": _("Conversation closed; the user was told."),
    "takeover": _("You took over the claim; it is recorded."),
}
# Actions that end the work on a case: with "then open the next case" ticked,
# the page that follows is the next case, already claimed.
_ENDS_CASE = {"reply", "ask", "accept", "reject", "resolve", "escalate"}


def _buttons(user: Account, appeal: Appeal) -> dict:
    """Which controls this person may use: the page shows only those (services enforce)."""
    now = timezone.now()
    live = services.appeal_claim_live(appeal, now)
    mine = live and appeal.claimed_by_id == user.pk
    supervisor = user.has_perm("appeals.supervise_appeal")
    can_act = user.has_perm("appeals.change_appeal")
    blocked = live and not mine  # a colleague's claim: only a takeover (supervisors) helps
    may_accept = appeal.hold is None or may_lift(appeal.hold, acting_user=user)
    return {
        "can_act": can_act, "claim_live": live, "claimed_by_me": mine,
        "claimed_by_other": blocked,
        "can_work": can_act and appeal.is_open and not blocked,
        "can_accept": can_act and appeal.decides and may_accept,
        "can_claim": can_act and appeal.is_open and not live,
        "can_release": can_act and live and (mine or supervisor),
        "can_take_over": can_act and appeal.is_open and blocked and supervisor,
        "can_escalate": can_act and appeal.is_open and not blocked
        and appeal.escalated_at is None,
        "can_reassign": supervisor and appeal.is_open,
    }


def _draft_key(pk: int) -> str:
    return f"appeal-reply-draft:{pk}"


def _draft(request: HttpRequest, appeal: Appeal, *, shown: bool) -> dict:
    """What was typed before a refusal, once, when the reply box is there to hold it."""
    if not shown:
        return {}  # kept for when the box comes back (the colleague's claim ends)
    return request.session.pop(_draft_key(appeal.pk), None) or {"open_next": True}


def _keep_draft(request: HttpRequest, appeal: Appeal) -> None:
    """Keep what the staff member typed for the page that follows a refusal."""
    request.session[_draft_key(appeal.pk)] = {
        "body": request.POST.get("body", ""), "open_next": bool(request.POST.get("open_next"))}


def _insert_macro(request: HttpRequest, appeal: Appeal, pk: int | None) -> None:
    chosen = next((m for m in selectors.case_macros(appeal) if m["pk"] == pk), None)
    if chosen is None:
        messages.error(request, _("Choose a canned reply."))
        _keep_draft(request, appeal)
        return
    request.session[_draft_key(appeal.pk)] = {"body": chosen["body"], "open_next": True}


def _skip(request: HttpRequest, appeal: Appeal) -> HttpResponse:
    """Give this case back to the queue if this person holds it, and open the next one."""
    if appeal.claimed_by_id == request.user.pk:
        services.appeal_release(appeal=appeal, acting_user=request.user)
    return _open_next(request, appeal)


def _open_next(request: HttpRequest, done: Appeal) -> HttpResponse:
    """Claim the next open case due first and open it; None when there is none."""
    for pk in selectors.next_open_cases(request.user, exclude=done.pk):
        try:
            services.appeal_claim(appeal=Appeal.objects.get(pk=pk), acting_user=request.user)
        except ValidationError:
            continue  # a colleague was quicker: try the one after
        return HttpResponseRedirect(reverse("admin:appeals_appeal_change", args=[pk]))
    messages.info(request, _("No other case is waiting for you."))
    return HttpResponseRedirect(reverse("admin:appeals_appeal_changelist"))


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "account", "reason", "state", "priority", "sla",
                    "assignee", "claimed_by", "escalated_at"]
    list_filter = [OpenFilter, "kind", "state", "reason", SLABreachedFilter, AssignmentFilter,
                   "priority"]
    list_select_related = ["account", "assignee", "claimed_by"]
    search_fields = ["account__username", "account__platform_account_id"]
    # Oldest due first, matching the appeal_queue_*_idx indexes; no exact count of the table.
    ordering = ["sla_due_at", "-priority", "pk"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    readonly_fields = [f.name for f in Appeal._meta.fields]
    change_form_template = "admin/appeals/appeal/change_form.html"
    change_list_template = "admin/appeals/appeal/change_list.html"

    @admin.display(description=_("answer due by"), ordering="sla_due_at")
    def sla(self, obj: Appeal) -> str:
        return sla_cell(obj.sla_due_at, obj.sla_breached(), obj.is_open)

    def has_add_permission(self, request) -> bool:
        return False  # appeals are filed by their owners

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was said is kept

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:object_id>/act/", view(self.act_view), name="appeals_appeal_act"),
            path("<int:object_id>/evidence/<int:pk>/", view(self.evidence_view),
                 name="appeals_appeal_evidence"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = get_object_or_404(Appeal.objects.select_related("hold", "account", "claimed_by"),
                                   pk=object_id)
        buttons = _buttons(request.user, appeal)
        extra = {
            "appeal": appeal,
            "thread": selectors.staff_messages(appeal),
            "timeline": StatusEvent.objects.filter(account_id=appeal.account_id)
            .select_related("acting_user", "hold")[:30],
            "needs_supervisor": bool(appeal.hold and appeal.hold.lift_needs_supervisor),
            "remedy_steps": _remedy_steps(appeal),
            "macros": selectors.case_macros(appeal),
            **buttons,
            "draft": _draft(request, appeal, shown=buttons["can_work"]),
            "staff_choices": Account.objects.filter(
                is_staff=True, is_active=True,
                groups__name__in=[settings.PORTAL_APPEAL_OFFICER_GROUP,
                                  settings.PORTAL_APPEAL_SUPERVISOR_GROUP]).distinct()
            .order_by("username"),
            "show_save": False, "show_save_and_continue": False,
            "show_save_and_add_another": False, "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def act_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return require_POST(self._act)(request, object_id)

    def _act(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Run the pressed button's service; a refusal is an error and keeps the typed text."""
        appeal = get_object_or_404(Appeal.objects.select_related("account"), pk=object_id)
        back = HttpResponseRedirect(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
        form = StaffActionForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            _keep_draft(request, appeal)
            return back
        data = form.cleaned_data
        if data["action"] == "macro":  # without JavaScript: the text comes back, editable
            _insert_macro(request, appeal, data["macro"])
            return back
        if data["action"] == "next":
            return _skip(request, appeal)
        try:
            self._run(request, appeal, data["action"], data["body"], data["evidence"],
                      data["assignee"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            _keep_draft(request, appeal)
            return back
        messages.success(request, _ACTION_DONE[data["action"]])
        if data["open_next"] and data["action"] in _ENDS_CASE:
            return _open_next(request, appeal)
        return back

    @staticmethod
    def _run(request, appeal: Appeal, action: str, body: str, files,
             assignee_id: int | None = None) -> None:
        user = request.user
        if action == "claim":
            services.appeal_claim(appeal=appeal, acting_user=user)
        elif action == "takeover":
            services.appeal_claim_takeover(appeal=appeal, acting_user=user)
        elif action == "release":
            services.appeal_release(appeal=appeal, acting_user=user)
        elif action in ("reply", "note"):
            services.appeal_staff_message(appeal=appeal, acting_user=user, body=body,
                                          internal=action == "note", files=files)
        elif action == "ask":
            services.appeal_ask_user(appeal=appeal, acting_user=user, body=body, files=files)
        elif action in ("accept", "reject"):
            services.appeal_decide(appeal=appeal, acting_user=user, message=body,
                                   decision=Appeal.Decision(action + "ed"))
        elif action == "escalate":
            services.appeal_escalate(appeal=appeal, acting_user=user, note=body)
        elif action == "resolve":
            services.case_resolve(appeal=appeal, acting_user=user, body=body)
        elif action == "assign":
            assignee = Account.objects.filter(pk=assignee_id).first()
            if assignee is None:
                raise ValidationError(_("Choose who should take the appeal."), code="no_assignee")
            services.appeal_assign(appeal=appeal, acting_user=user, assignee=assignee)

    def evidence_view(self, request: HttpRequest, object_id: int, pk: int) -> HttpResponse:
        """Serve evidence to staff the access rule allows, recording that they looked."""
        if not request.user.has_perm("appeals.view_evidence"):
            raise PermissionDenied
        attachment = get_object_or_404(
            Attachment.objects.select_related("appeal__claimed_by"), pk=pk, appeal_id=object_id)
        refusal = selectors.evidence_refusal(attachment.appeal, request.user)
        if refusal is not None:
            return file_unavailable(request, refusal.messages[0], status=403)
        if not attachment.file.name:
            return file_unavailable(request, _("This file was deleted."), status=410)
        try:
            response = evidence_response(attachment)
        except FileNotFoundError:
            logger.error("Evidence file %s is missing from private storage", attachment.pk)
            return file_unavailable(request, _("This file is missing from storage."),
                                    status=404)
        try:
            services.appeal_evidence_viewed(attachment=attachment, acting_user=request.user)
        except ValidationError as error:  # the rule changed its answer meanwhile
            attachment.file.close()  # the file only: response.close() would end the request
            return file_unavailable(request, error.messages[0], status=403)
        return response


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """Canned replies: supervisors write them and mark them reviewed; officers read them."""

    list_display = ["title", "kind", "active", "reviewed", "approved_by", "updated_at"]
    list_filter = ["kind", "active"]
    list_select_related = ["approved_by"]
    fields = ["kind", "title", "body_zh_hans", "body_en", "active", "approved_by", "approved_at"]
    readonly_fields = ["approved_by", "approved_at"]
    actions = ["mark_reviewed"]

    @admin.display(description=_("reviewed"), boolean=True)
    def reviewed(self, obj: Macro) -> bool:
        return obj.is_reviewed

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switch it off instead: a reply already sent keeps its source

    def save_model(self, request, obj, form, change) -> None:
        try:
            services.macro_save(macro=obj, acting_user=request.user)
        except ValidationError as error:
            raise PermissionDenied(" ".join(error.messages)) from error

    @admin.action(description=_("Mark the selected replies as reviewed"),
                  permissions=["change"])
    def mark_reviewed(self, request, queryset) -> None:
        done = 0
        for macro in queryset:
            try:
                services.macro_approve(macro=macro, acting_user=request.user)
                done += 1
            except ValidationError as error:
                messages.error(request, f"{macro}: {' '.join(error.messages)}")
        if done:
            messages.success(request, _("%(n)d replies marked as reviewed.") % {"n": done})
