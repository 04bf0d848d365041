"""The staff review queue in Django admin: a thin front over ``verification.services``.

Oldest-due first, filters (state, SLA breached, mine, unassigned), claim and
release, one case page with the evidence, check results, holds and timeline,
and the decision form. Every change goes through the services; their
``ValidationError`` becomes an error message.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .forms import DecisionForm
from .models import IdentityBinding, VerificationRequest

State = VerificationRequest.State


class SlaBreachedFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", _("Breached")), ("ok", _("Within SLA"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "breached":
            return queryset.filter(state=State.IN_REVIEW, sla_due_at__lt=now)
        if self.value() == "ok":
            return queryset.filter(state=State.IN_REVIEW, sla_due_at__gte=now)
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
class VerificationRequestAdmin(admin.ModelAdmin):
    change_form_template = "admin/verification/verificationrequest/change_form.html"
    list_display = ("__str__", "state", "priority", "sla_due_at", "sla_flag", "claimed_by",
                    "claimed_until", "submitted_at", "number_masked")
    list_filter = ("state", SlaBreachedFilter, AssignmentFilter, "document_type")
    list_select_related = ("account", "claimed_by")
    search_fields = ("account__username", "account__platform_account_id")
    fields = ("account", "state", "subject", "legal_name", "licence_number",
              "legal_representative", "document_type", "number_masked", "submitted_at",
              "checked_at", "priority", "sla_due_at", "claimed_by", "claimed_until",
              "decided_at", "decided_by", "decision_reason", "decision_message")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[VerificationRequest]:
        # The queue: what is due first on top; undue (drafts, decided) after.
        return super().get_queryset(request).exclude(state=State.DRAFT).order_by(
            F("sla_due_at").asc(nulls_last=True), "submitted_at", "pk")

    def get_ordering(self, request):
        return []

    @admin.display(description=_("SLA breached"), boolean=True)
    def sla_flag(self, obj: VerificationRequest) -> bool:
        return obj.sla_breached

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:object_id>/claim/", view(self.claim_view),
                 name="verification_verificationrequest_claim"),
            path("<int:object_id>/release/", view(self.release_view),
                 name="verification_verificationrequest_release"),
            path("<int:object_id>/decide/", view(self.decide_view),
                 name="verification_verificationrequest_decide"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(selectors.case_page(obj))
            extra.update({
                "case": obj,
                "decision_form": DecisionForm(),
                **self._image_access(request, obj),
                "can_decide": self.has_change_permission(request, obj)
                and obj.state == State.IN_REVIEW,
                "claimed_by_other": obj.is_claimed_by_other(request.user),
                "claimed_by_me": obj.claimed_by_id == request.user.pk
                and not obj.is_claimed_by_other(request.user) and obj.claimed_until
                and obj.claimed_until > timezone.now(),
                "show_save": False, "show_save_and_continue": False,
                "show_save_and_add_another": False, "show_delete": False,
            })
        return super().change_view(request, object_id, form_url, extra)

    @staticmethod
    def _image_access(request: HttpRequest, case: VerificationRequest) -> dict:
        """Whether the page shows the images, and if not because of the rule, why."""
        if not request.user.has_perm("verification.view_identity_images"):
            return {"can_view_images": False, "images_refused": None}
        refusal = selectors.image_refusal(case, request.user)
        return {"can_view_images": refusal is None,
                "images_refused": refusal and refusal.messages[0]}

    def _case(self, request: HttpRequest, object_id: int) -> VerificationRequest:
        case = get_object_or_404(VerificationRequest, pk=object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _back(self, case: VerificationRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:verification_verificationrequest_change", args=[case.pk]))

    def _run(self, request, action, success: str) -> bool:
        try:
            action()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def claim_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        self._run(request, lambda: services.verification_claim(request=case,
                                                               acting_user=request.user),
                  _("You claimed this case."))
        return self._back(case)

    def release_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        self._run(request, lambda: services.verification_release(request=case,
                                                                 acting_user=request.user),
                  _("You released this case."))
        return self._back(case)

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = self._case(request, object_id)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose a decision."), messages.ERROR)
            return self._back(case)
        decision, message = form.cleaned_data["decision"], form.cleaned_data["message"]
        if decision == "approve":
            done = self._run(request, lambda: services.verification_approve(
                request=case, acting_user=request.user, message=message), _("Approved."))
        else:
            reason = decision.split(":", 1)[1]
            done = self._run(request, lambda: services.verification_reject(
                request=case, acting_user=request.user, reason=reason, message=message),
                _("Rejected."))
        if done:
            return HttpResponseRedirect(
                reverse("admin:verification_verificationrequest_changelist"))
        return self._back(case)


@admin.register(IdentityBinding)
class IdentityBindingAdmin(admin.ModelAdmin):
    list_display = ("number_masked", "account", "document_type", "bound_at")
    list_select_related = ("account",)
    search_fields = ("account__username",)
    fields = ("account", "document_type", "number_masked", "request", "bound_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
