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
from accounts.remedies import latest_remedy_events, needs_several, remedy_steps
from accounts.staff_views import file_unavailable

from . import selectors, services
from .forms import StaffActionForm
from .models import Appeal, Attachment
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
        now = timezone.now()
        open_q = Q(state__in=Appeal.OPEN_STATES)
        if self.value() == "breached":
            return queryset.filter(open_q, sla_due_at__lte=now)
        if self.value() == "ok":
            return queryset.filter(open_q, sla_due_at__gt=now)
        return queryset


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "who"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(Q(assignee=request.user) | Q(claimed_by=request.user))
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open or decided")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Decided or closed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(state__in=Appeal.OPEN_STATES)
        if self.value() == "no":
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
}


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "account", "reason", "state", "priority", "sla_due_at",
                    "sla_flag", "assignee", "claimed_by", "escalated_at"]
    list_filter = [OpenFilter, "kind", "state", "reason", SLABreachedFilter, AssignmentFilter,
                   "priority"]
    list_select_related = ["account", "assignee", "claimed_by"]
    search_fields = ["account__username", "account__platform_account_id"]
    ordering = ["sla_due_at", "-priority", "pk"]
    readonly_fields = [f.name for f in Appeal._meta.fields]
    change_form_template = "admin/appeals/appeal/change_form.html"
    change_list_template = "admin/appeals/appeal/change_list.html"

    @admin.display(description=_("past due"), boolean=True)
    def sla_flag(self, obj: Appeal) -> bool:
        return obj.sla_breached()

    def has_add_permission(self, request) -> bool:
        return False  # appeals are filed by their owners

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was said is kept

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"stats": selectors.queue_stats(),
                                                 **(extra_context or {})})

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
        now = timezone.now()
        extra = {
            "appeal": appeal,
            "thread": selectors.staff_messages(appeal),
            "timeline": StatusEvent.objects.filter(account_id=appeal.account_id)
            .select_related("acting_user", "hold")[:30],
            "claim_live": services.appeal_claim_live(appeal, now),
            "claimed_by_me": appeal.claimed_by_id == request.user.pk,
            "can_act": request.user.has_perm("appeals.change_appeal"),
            "needs_supervisor": bool(appeal.hold and appeal.hold.lift_needs_supervisor),
            "remedy_steps": _remedy_steps(appeal),
            "can_reassign": request.user.has_perm("appeals.supervise_appeal"),
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
        appeal = get_object_or_404(Appeal, pk=object_id)
        back = HttpResponseRedirect(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
        form = StaffActionForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return back
        action, body = form.cleaned_data["action"], form.cleaned_data["body"]
        files = form.cleaned_data["evidence"]
        try:
            self._run(request, appeal, action, body, files, form.cleaned_data["assignee"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _ACTION_DONE[action])
        return back

    @staticmethod
    def _run(request, appeal: Appeal, action: str, body: str, files,
             assignee_id: int | None = None) -> None:
        user = request.user
        if action == "claim":
            services.appeal_claim(appeal=appeal, acting_user=user)
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
