"""A supervisor releases or transfers an identity binding from its admin page.

A thin front over ``services.binding_release`` / ``binding_transfer``: the
page lists the accounts that tried this identity (the claimants), and the
search finds a binding by a claimant's username as well as the holder's.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account

from . import services
from .models import IdentityBinding, VerificationRequest
from .services.binding import RESOLVE_PERMISSION


class BindingResolveForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=[
        ("transfer", gettext_lazy("Transfer the identity to the claimant")),
        ("release", gettext_lazy("Release the identity (unbind it)")),
    ])
    claimant = forms.CharField(label=gettext_lazy("Claimant's username"), max_length=150,
                               required=False)
    note = forms.CharField(label=gettext_lazy("Why (kept with the change)"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


def claimants(binding: IdentityBinding) -> list[VerificationRequest]:
    """Other accounts' submissions of this identity, newest first."""
    return list(VerificationRequest.objects.filter(identity_hash=binding.identity_hash)
                .exclude(account_id=binding.account_id)
                .exclude(state=VerificationRequest.State.DRAFT)
                .select_related("account").order_by("-submitted_at")[:20])


class BindingResolveMixin(admin.ModelAdmin):
    change_form_template = "admin/verification/identitybinding/change_form.html"
    search_fields = ("account__username", "number_masked")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:object_id>/resolve/", view(self.resolve_view),
                     name="verification_identitybinding_resolve"),
                *super().get_urls()]

    def get_search_results(self, request, queryset, search_term):
        found, distinct = super().get_search_results(
            request, queryset, search_term)
        if search_term:  # a claimant's username finds the binding they ran into
            hashes = VerificationRequest.objects.filter(
                account__username=search_term.strip()).values("identity_hash")
            found = found | queryset.filter(identity_hash__in=hashes)
        return found, distinct

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        binding = IdentityBinding.objects.filter(pk=object_id).first()
        if binding is not None:
            extra.update({"binding": binding, "claimants": claimants(binding),
                          "can_resolve": request.user.has_perm(RESOLVE_PERMISSION),
                          "resolve_form": BindingResolveForm(initial={
                              "claimant": request.GET.get("claimant", "")})})
        return super().change_view(request, object_id, form_url, extra)

    def resolve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        if not request.user.has_perm(RESOLVE_PERMISSION):
            raise PermissionDenied
        binding = get_object_or_404(IdentityBinding, pk=object_id)
        page = reverse("admin:verification_identitybinding_change", args=[binding.pk])
        form = BindingResolveForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose an action and write why."),
                              messages.ERROR)
            return HttpResponseRedirect(page)
        data, staff = form.cleaned_data, request.user
        assert isinstance(staff, Account)  # admin_view let only staff in
        claimant = Account.objects.filter(username=data["claimant"].strip()).first() \
            if data["claimant"].strip() else None
        try:
            if data["action"] == "transfer":
                if claimant is None:
                    raise ValidationError(_("Name the claimant's account."), code="no_claimant")
                services.binding_transfer(binding=binding, to_account=claimant,
                                          acting_user=staff, note=data["note"])
                done = _("The identity now belongs to %(account)s.") % {"account": claimant}
            else:
                services.binding_release(binding=binding, acting_user=staff,
                                         note=data["note"], claimant=claimant)
                done = _("The identity was released.")
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(page)
        self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:verification_identitybinding_changelist"))
