"""Sign-in policy for the portal."""

from django.contrib.auth.backends import ModelBackend


class LimitedAccountBackend(ModelBackend):
    """Let limited accounts sign in to the portal.

    A frozen or banned account must still reach this portal to learn why and
    act on it, so the account's ``status`` never blocks sign-in here; only
    Django's ``is_active`` (an account closed by staff) does. Lockout after
    repeated failures is django-axes' job, in front of this backend.
    """

    def user_can_authenticate(self, user) -> bool:
        return bool(getattr(user, "is_active", False))
