"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database
sessions, stored in ``AccountSession`` with the account and where it signed in.

The facts come from the session's own data, written at sign-in
(``accounts.security``), so they follow the session through a cycled key.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import db

# Keys of the session data that the sign-in hook fills.
DEVICE_KEY = "_portal_device"
ADDRESS_KEY = "_portal_address"
SIGNED_IN_AT_KEY = "_portal_signed_in_at"


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from .security_models import AccountSession

        return AccountSession

    def load(self):
        """The session's data if it exists and has not expired, else nothing (and no
        key). Django's own load, read as a prepared statement: every signed-in
        request makes it (accounts/db.py)."""
        if self.session_key is None:
            return {}
        model = self.model
        quote = connection.ops.quote_name
        row = db.fetch_one(
            f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
            [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        account_id = data.get(SESSION_KEY)
        session.account_id = int(account_id) if str(account_id or "").isdigit() else None
        session.device = str(data.get(DEVICE_KEY, ""))[:120]
        session.ip_address = data.get(ADDRESS_KEY) or None
        signed_in_at = data.get(SIGNED_IN_AT_KEY)
        session.signed_in_at = parse_datetime(signed_in_at) if signed_in_at else None
        return session
