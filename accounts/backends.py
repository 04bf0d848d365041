"""Sign-in policy for the portal."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import db


class LimitedAccountBackend(ModelBackend):
    """Let limited accounts sign in to the portal.

    A frozen or banned account must still reach this portal to learn why and
    act on it, so the account's ``status`` never blocks sign-in here; only
    Django's ``is_active`` (an account closed by staff) does. Lockout after
    repeated failures is django-axes' job, in front of this backend.

    A closed account with the right password is returned by ``authenticate``
    (as Django's AllowAllUsersModelBackend does), so that the sign-in form's
    ``confirm_login_allowed`` refuses it with a message saying so; it never
    has a session: ``get_user`` drops it on the next request.
    """

    def user_can_authenticate(self, user) -> bool:
        return True

    def get_user(self, user_id):
        # ModelBackend's ``get(pk=...)``, as a prepared statement: every signed-in
        # request makes it (accounts/db.py).
        user = db.model_by_pk(get_user_model(), user_id)
        return user if user is not None and user.is_active else None
