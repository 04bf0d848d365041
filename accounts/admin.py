"""Staff views of accounts, holds and events: a thin front over the services.

Status fields and events are read-only here; holds are placed and lifted only
through the forms below, which call ``accounts.services``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import services
from .forms import HoldLiftForm, HoldPlaceForm
from .models import Account, Hold, Notice, StatusEvent
from .permissions import may_lift
from .selectors import timeline_cursor, timeline_page


class ActiveHoldFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Lifted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


class HoldReasonFilter(admin.SimpleListFilter):
    """Accounts that have an active hold with this reason."""

    title = _("active hold reason")
    parameter_name = "hold_reason"

    def lookups(self, request, model_admin):
        return Hold._meta.get_field("reason").choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                holds__reason=self.value(), holds__lifted_at__isnull=True
            ).distinct()
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class HoldInline(ReadOnlyInline):
    model = Hold
    fk_name = "account"
    fields = ["reason", "level", "placed_at", "deadline", "expires_at", "lifted_at", "lift_reason"]
    readonly_fields = fields
    ordering = ["lifted_at", "-placed_at"]


def _place_holds(request: HttpRequest, accounts, form: HoldPlaceForm) -> int:
    """Place the form's hold on each account; report each refusal. Return count."""
    placed = 0
    for account in accounts:
        try:
            services.hold_place(
                account=account,
                acting_user=request.user,
                source=Hold.Source.STAFF,
                **form.service_kwargs(),
            )
            placed += 1
        except ValidationError as error:
            messages.error(request, f"{account}: {' '.join(error.messages)}")
    return placed


@admin.register(Account)
class AccountAdmin(UserAdmin):
    list_display = ["username", "platform_account_id", "status", "email", "is_staff", "date_joined"]
    list_filter = ["status", HoldReasonFilter, "is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "platform_account_id", "email"]
    readonly_fields = ["status", "blocked_features", "status_changed_at", "timeline"]
    fieldsets = [
        (None, {"fields": ["username", "password", "platform_account_id", "language"]}),
        (_("From the platform"), {"fields": ["display_name", "phone_hint"]}),
        (
            _("Status (derived from holds)"),
            {"fields": ["status", "blocked_features", "status_changed_at"]},
        ),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (
            _("Permissions"),
            {
                "fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
                "classes": ["collapse"],
            },
        ),
        (_("Timeline"), {"fields": ["timeline"]}),
    ]
    inlines = [HoldInline]
    actions = ["place_hold"]
    change_form_template = "admin/accounts/account/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.platform_account_id:
            fields.append("platform_account_id")  # never changes once set
        return fields

    def get_object(self, request, object_id, from_field=None):
        account = super().get_object(request, object_id, from_field)
        if account is not None:  # which page of the timeline to show (see ``timeline``)
            account.timeline_before = timeline_cursor(request.GET.get("before"))
        return account

    @admin.display(description=_("Timeline (50 at a time, newest first)"))
    def timeline(self, obj: Account) -> str:
        before = getattr(obj, "timeline_before", None)
        events, older = timeline_page(obj, before=before, staff=True)
        items = format_html_join(
            "", "<li>{} — {} <small>({})</small></li>",
            ((e.at.strftime("%Y-%m-%d %H:%M"), e.get_kind_display(), e.acting_user or _("system"))
             for e in events))
        links = []
        if before is not None:
            links.append(format_html('<a href="?">{}</a>', _("Newest events")))
        if older is not None:
            links.append(format_html('<a href="?before={}" data-testid="timeline-older">{}</a>',
                                     older, _("Older events")))
        return format_html("<ol>{}</ol><p>{}</p>", items, format_html_join(
            " · ", "{}", ((link,) for link in links)))

    def get_urls(self):
        urls = super().get_urls()
        own = [
            path(
                "<int:object_id>/place-hold/",
                self.admin_site.admin_view(self.place_hold_view),
                name="accounts_account_place_hold",
            )
        ]
        return own + urls

    def place_hold_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        account = get_object_or_404(Account, pk=object_id)
        if not request.user.has_perm("accounts.add_hold"):
            raise PermissionDenied
        form = HoldPlaceForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and _place_holds(request, [account], form):
            messages.success(request, _("Hold placed."))
            return HttpResponseRedirect(reverse("admin:accounts_account_change", args=[account.pk]))
        return render(
            request,
            "admin/accounts/place_hold.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "accounts": [account],
                "title": _("Place a hold"),
                "opts": self.model._meta,
            },
        )

    @admin.action(
        description=_("Place a hold on the selected accounts"), permissions=["place_hold"]
    )
    def place_hold(self, request: HttpRequest, queryset: QuerySet[Account]):
        form = HoldPlaceForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            placed = _place_holds(request, queryset, form)
            if placed:
                messages.success(request, _("Placed %(n)d holds.") % {"n": placed})
            return None
        return render(
            request,
            "admin/accounts/place_hold.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "accounts": queryset,
                "action": "place_hold",
                "title": _("Place a hold"),
                "opts": self.model._meta,
            },
        )

    def has_place_hold_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.add_hold")


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "reason",
        "level",
        "source",
        "placed_at",
        "deadline",
        "expires_at",
        "lifted_at",
    ]
    list_filter = [ActiveHoldFilter, "reason", "level", "source"]
    list_select_related = ["account"]
    search_fields = ["account__username", "account__platform_account_id"]
    date_hierarchy = "placed_at"
    actions = ["lift_holds"]
    readonly_fields = [f.name for f in Hold._meta.fields]
    change_form_template = "admin/accounts/hold/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False  # placed from the account page, through the service

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # holds are never deleted

    def get_urls(self):
        own = [
            path(
                "<int:object_id>/lift/",
                self.admin_site.admin_view(self.lift_view),
                name="accounts_hold_lift",
            )
        ]
        return own + super().get_urls()

    def lift_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        hold = get_object_or_404(Hold.objects.select_related("account"), pk=object_id)
        if not self.has_lift_permission(request, hold):
            messages.error(request, _("Only a supervisor can lift a ban or a legal hold."))
            return HttpResponseRedirect(reverse("admin:accounts_hold_change", args=[hold.pk]))
        form = HoldLiftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.hold_lift(
                    hold=hold,
                    acting_user=request.user,
                    **{
                        "lift_reason": form.cleaned_data["lift_reason"],
                        "note": form.cleaned_data["note"],
                    },
                )
                messages.success(request, _("Hold lifted."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(
                reverse("admin:accounts_account_change", args=[hold.account_id])
            )
        return render(
            request,
            "admin/accounts/lift_hold.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "hold": hold,
                "title": _("Lift a hold"),
                "opts": self.model._meta,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Offer "Lift" only to who may lift this hold (a ban or legal hold: supervisors).
        hold = self.get_object(request, object_id)
        can_lift = hold is not None and hold.is_active and self.has_lift_permission(request, hold)
        return super().change_view(request, object_id, form_url,
                                   {"can_lift": can_lift, **(extra_context or {})})

    def has_lift_permission(self, request: HttpRequest, hold: Hold | None = None) -> bool:
        if not request.user.has_perm("accounts.change_hold"):
            return False
        return hold is None or may_lift(hold, acting_user=request.user)

    @admin.action(description=_("Lift the selected holds (staff decision)"), permissions=["change"])
    def lift_holds(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        lifted = 0
        for hold in queryset.select_related("account"):
            if not self.has_lift_permission(request, hold):
                messages.error(
                    request,
                    _("%(hold)s: only a supervisor can lift a ban or a legal hold.")
                    % {"hold": hold},
                )
                continue
            try:
                services.hold_lift(
                    hold=hold, acting_user=request.user, lift_reason=Hold.LiftReason.STAFF
                )
                lifted += 1
            except ValidationError as error:
                messages.error(request, f"{hold}: {' '.join(error.messages)}")
        if lifted:
            messages.success(request, _("Lifted %(n)d holds.") % {"n": lifted})


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    list_display = ["at", "account", "kind", "acting_user", "hold"]
    list_filter = ["kind"]
    list_select_related = ["account", "acting_user", "hold"]
    search_fields = ["account__username", "account__platform_account_id"]
    date_hierarchy = "at"
    readonly_fields = ["account", "acting_user", "kind", "at", "hold", "data"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "title", "read_at"]
    list_select_related = ["account"]
    readonly_fields = ["account", "title", "body", "url", "created_at", "read_at"]

    def has_add_permission(self, request) -> bool:
        return False
