"""Staff groups and what each may do. Applied by ``manage.py setup_roles``."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

# Permission codenames per group; ones whose app is not installed are skipped.
ROLES: dict[str, list[str]] = {
    "reviewer": [
        "accounts.view_account",
        "accounts.view_hold",
        "accounts.view_statusevent",
        "verification.view_verificationrequest",
        "verification.change_verificationrequest",
        "verification.view_identity_images",
    ],
    "appeals officer": [
        "accounts.view_account",
        "accounts.view_hold",
        "accounts.view_statusevent",
        "accounts.change_hold",
        "appeals.view_appeal",
        "appeals.change_appeal",
        "appeals.view_evidence",
        "appeals.view_macro",
    ],
    "supervisor": [
        "accounts.view_account",
        "accounts.view_hold",
        "accounts.view_statusevent",
        "accounts.add_hold",
        "accounts.change_hold",
        "accounts.lift_protected_hold",
        "accounts.view_any_case_files",
        "verification.view_verificationrequest",
        "verification.change_verificationrequest",
        "verification.view_identity_images",
        "verification.view_identitybinding",
        "verification.resolve_identity_binding",
        "appeals.view_appeal",
        "appeals.change_appeal",
        "appeals.view_evidence",
        "appeals.supervise_appeal",
        "verification.supervise_verificationrequest",
        "appeals.view_macro",
        "appeals.add_macro",
        "appeals.change_macro",
    ],
}


def roles_apply() -> dict[str, int]:
    """Create the groups and give them their permissions. Return counts."""
    counts = {}
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = [p for p in (_permission(c) for c in codenames) if p is not None]
        group.permissions.set(perms)
        counts[name] = len(perms)
    return counts


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
