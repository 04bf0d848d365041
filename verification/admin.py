"""The staff review queue in Django admin: a thin front over ``verification.services``.

Oldest-due first, filters (state, SLA breached, mine, unassigned), claim and
release, one case page with the evidence, check results, holds and timeline,
and the decision form. Every change goes through the services; their
``ValidationError`` becomes an error message.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.queues import CappedCountPaginator, DefaultListFilter, sla_cell
from accounts.staff_two_step import staff_two_step_passed, staff_two_step_url

from . import selectors, services
from .admin_binding import BindingResolveMixin
from .admin_reupload import ReuploadAdminMixin
from .forms import DecisionForm
from .models import IdentityBinding, VerificationRequest

State = VerificationRequest.State


class QueueFilter(DefaultListFilter):
    """The queue opens on the cases waiting for a reviewer."""

    title = _("queue")
    parameter_name = "queue"
    default = "open"
    yields_to = ("state__exact",)

    def lookups(self, request, model_admin):
        return [("open", _("Waiting for a reviewer")), ("checking", _("Being checked")),
                ("decided", _("Decided"))]

    def filter(self, queryset, value):
        states = {"open": [State.IN_REVIEW], "checking": [State.SUBMITTED, State.CHECKING],
                  "decided": list(VerificationRequest.DECIDED_STATES)}.get(value)
        return queryset if states is None else queryset.filter(state__in=states)


class SlaBreachedFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", _("Past due")), ("ok", _("Within SLA"))]

    def queryset(self, request, queryset):
        breached = VerificationRequest.sla_breached_q(timezone.now())
        if self.value() == "breached":
            return queryset.filter(breached)
        if self.value() == "ok":
            return queryset.filter(state=State.IN_REVIEW).exclude(breached)
        return queryset


class AssignmentFilter(admin.SimpleListFilter):
    title = _("claimed")
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "mine":
            return queryset.filter(claimed_by=request.user, claimed_until__gt=now)
        if self.value() == "unassigned":
            return queryset.exclude(claimed_until__gt=now)
        return queryset


@admin.register(VerificationRequest)
class VerificationRequestAdmin(ReuploadAdminMixin):
    change_form_template = "admin/verification/verificationrequest/change_form.html"
    list_display = ("__str__", "state", "priority", "sla", "claimed_by", "claimed_until",
                    "submitted_at", "number_masked")
    list_filter = (QueueFilter, SlaBreachedFilter, AssignmentFilter, "state", "document_type")
    list_select_related = ("account", "claimed_by")
    # Oldest due first, matching the vr_queue_*_idx indexes; no exact count of the table.
    ordering = (F("sla_due_at").asc(nulls_last=True), "submitted_at", "pk")
    paginator = CappedCountPaginator
    show_full_result_count = False
    search_fields = ("account__username", "account__platform_account_id")
    fields = ("account", "state", "subject", "legal_name", "licence_number",
              "legal_representative", "document_type", "number_masked", "submitted_at",
              "checked_at", "priority", "sla_due_at", "claimed_by", "claimed_until",
              "decided_at", "decided_by", "decision_reason", "decision_message")
    readonly_fields = fields
    # People's names: shown with the identity images, under their rule.
    identity_fields = ("legal_name", "legal_representative")

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self._image_access(request, obj)["can_view_images"]:
            return [name for name in fields if name not in self.identity_fields]
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[VerificationRequest]:
        # Drafts are the owner's, not the queue's.
        return super().get_queryset(request).exclude(state=State.DRAFT)

    @admin.display(description=_("answer due by"), ordering="sla_due_at")
    def sla(self, obj: VerificationRequest) -> str:
        return sla_cell(obj.sla_due_at, obj.sla_breached, obj.in_queue)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("next/", view(self.next_view), name="verification_verificationrequest_next"),
            path("<int:object_id>/claim/", view(self.claim_view),
                 name="verification_verificationrequest_claim"),
            path("<int:object_id>/takeover/", view(self.takeover_view),
                 name="verification_verificationrequest_takeover"),
            path("<int:object_id>/release/", view(self.release_view),
                 name="verification_verificationrequest_release"),
            path("<int:object_id>/escalate/", view(self.escalate_view),
                 name="verification_verificationrequest_escalate"),
            path("<int:object_id>/decide/", view(self.decide_view),
                 name="verification_verificationrequest_decide"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(selectors.case_page(obj))
            buttons = self._case_buttons(request, obj)
            access = self._image_access(request, obj)
            if not self._details_shown(request, obj, access):
                extra["comparison"] = []
            extra.update({
                "failed_checks": [c for c in extra["check_texts"] if not c["passed"]],
                "case": obj,
                "decision_form": self._decision_form(request, obj, shown=buttons["can_decide"]),
                **access,
                **buttons,
                "show_save": False, "show_save_and_continue": False,
                "show_save_and_add_another": False, "show_delete": False,
            })
        return super().change_view(request, object_id, form_url, extra)

    def _case_buttons(self, request: HttpRequest, case: VerificationRequest) -> dict:
        """Which controls this person may use on this case: the page shows only those."""
        now = timezone.now()
        user = request.user
        in_review = case.state == State.IN_REVIEW
        may_change = self.has_change_permission(request, case)
        by_other = case.is_claimed_by_other(user, now)
        mine = bool(case.claimed_by_id == user.pk and case.claimed_until
                    and case.claimed_until > now)
        return {
            "claimed_by_other": by_other, "claimed_by_me": mine,
            "can_decide": may_change and in_review and not by_other,
            "can_take_over": may_change and in_review and by_other
            and user.has_perm(services.review.SUPERVISE),
            "can_escalate": may_change and in_review and not by_other
            and case.escalated_at is None,
        }

    @staticmethod
    def _draft_key(pk: int) -> str:
        return f"verification-decision-draft:{pk}"

    def _decision_form(self, request: HttpRequest, case: VerificationRequest, *,
                       shown: bool) -> DecisionForm:
        """The decision form, with what the reviewer typed if their last try was refused
        (kept until the form is shown again, e.g. once a colleague's claim ends)."""
        draft = request.session.pop(self._draft_key(case.pk), None) if shown else None
        return DecisionForm(initial=draft or {"open_next": True})

    def _keep_draft(self, request: HttpRequest, case: VerificationRequest) -> None:
        request.session[self._draft_key(case.pk)] = {
            "reason": request.POST.get("reason", ""), "message": request.POST.get("message", ""),
            "open_next": bool(request.POST.get("open_next"))}

    @staticmethod
    def _image_access(request: HttpRequest, case: VerificationRequest) -> dict:
        """Whether the page shows the images, and if not because of the rule, why."""
        if not request.user.has_perm("verification.view_identity_images"):
            return {"can_view_images": False, "images_refused": None}
        refusal = selectors.image_refusal(case, request.user)
        if refusal is None and not staff_two_step_passed(request):
            return {"can_view_images": False, "two_step_url": staff_two_step_url(
                        request.get_full_path()),
                    "images_refused": _("Enter a code from your authenticator app to see "
                                        "identity images.")}
        return {"can_view_images": refusal is None,
                "images_refused": refusal and refusal.messages[0]}

    @staticmethod
    def _details_shown(request: HttpRequest, case: VerificationRequest, access: dict) -> bool:
        """The name, birth date, address and number typed and read are identity
        data: shown under the images' rule (and two-step code), and recorded."""
        if not access["can_view_images"]:
            return False
        try:
            services.verification_details_viewed(request=case, acting_user=request.user)
        except ValidationError:  # the rule changed its answer meanwhile
            return False
        return True

    def _case(self, request: HttpRequest, object_id: int) -> VerificationRequest:
        case = get_object_or_404(VerificationRequest, pk=object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _back(self, case: VerificationRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:verification_verificationrequest_change", args=[case.pk]))

    def _queue(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:verification_verificationrequest_changelist"))

    def _run(self, request, action, success: str) -> bool:
        try:
            action()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def next_view(self, request: HttpRequest) -> HttpResponse:
        """Claim the case due first and open it: one click from the queue or a case."""
        if request.method != "POST":
            return HttpResponse(status=405)
        if not self.has_change_permission(request):
            raise PermissionDenied
        skipped = self._skipped(request)
        return self._open_next(request, exclude=(skipped.pk,) if skipped else ())

    def _skipped(self, request: HttpRequest) -> VerificationRequest | None:
        """The case "next" was pressed on: given back to the queue if this person held it."""
        after = request.POST.get("after", "")
        case = VerificationRequest.objects.filter(pk=after).first() if after.isdigit() else None
        if case is not None and case.claimed_by_id == request.user.pk:
            try:
                services.verification_release(request=case, acting_user=request.user)
            except ValidationError:
                pass  # taken over meanwhile: nothing of ours to give back
        return case

    def _open_next(self, request: HttpRequest, exclude: tuple[int, ...] = ()) -> HttpResponse:
        case = services.verification_claim_next(acting_user=request.user, exclude=exclude)
        if case is None:
            self.message_user(request, _("No case is waiting for a reviewer."), messages.INFO)
            return self._queue()
        return self._back(case)

    def claim_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        self._run(request, lambda: services.verification_claim(request=case,
                                                               acting_user=request.user),
                  _("You claimed this case."))
        return self._back(case)

    def takeover_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        self._run(request, lambda: services.verification_claim_takeover(
            request=case, acting_user=request.user), _("You took over this case."))
        return self._back(case)

    def release_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        self._run(request, lambda: services.verification_release(request=case,
                                                                 acting_user=request.user),
                  _("You released this case."))
        return self._back(case)

    def escalate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        done = self._run(request, lambda: services.verification_escalate(
            request=case, acting_user=request.user, note=request.POST.get("note", "")),
            _("Case escalated to the supervisors."))
        return self._queue() if done else self._back(case)

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Claim if needed, decide, then open the next case (or go back to the queue).

        A refusal is an error message and the page comes back with what the
        reviewer typed (kept in the session across the redirect).
        """
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, " ".join(form.non_field_errors()) or _("Choose a decision."),
                              messages.ERROR)
            self._keep_draft(request, case)
            return self._back(case)
        data = form.cleaned_data
        if not self._run(request, lambda: self._decide(request, case, data), self._done(data)):
            self._keep_draft(request, case)
            return self._back(case)
        if data["open_next"]:
            return self._open_next(request, exclude=(case.pk,))
        return self._queue()

    @staticmethod
    def _done(data: dict) -> str:
        return str(_("Approved.") if data["decision"] == "approve" else _("Rejected."))

    @staticmethod
    @transaction.atomic
    def _decide(request: HttpRequest, case: VerificationRequest, data: dict) -> None:
        # Deciding claims the case first: no separate page load for the claim.
        services.verification_claim(request=case, acting_user=request.user)
        if data["decision"] == "approve":
            services.verification_approve(request=case, acting_user=request.user,
                                          message=data["message"])
        else:
            services.verification_reject(request=case, acting_user=request.user,
                                         reason=data["reason"], message=data["message"])


@admin.register(IdentityBinding)
class IdentityBindingAdmin(BindingResolveMixin):
    list_display = ("number_masked", "account", "document_type", "bound_at")
    list_select_related = ("account",)
    fields = ("account", "document_type", "number_masked", "request", "bound_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
