"""Prepared statements for the few queries every signed-in request makes.

Django binds parameters in the client and prepares nothing, for the sake of
connection poolers, so PostgreSQL plans every query again, and the ORM builds
its SQL again in Python, on every request. For the session, the account and
the status page's fingerprint, read on every reload a frozen owner makes,
that work cost more than the queries themselves (profiled under load: 0.5 ms
of the ORM's CPU per read, and the fingerprint's planning 0.34 ms against
0.14 ms to run it). Here they run on a psycopg cursor that prepares them:
planned once per connection, their SQL built once per process.

``DATABASE_PREPARED_STATEMENTS=false`` turns this off behind a connection
pooler that cannot keep prepared statements apart (PgBouncer can from 1.21,
with ``max_prepared_statements``). Where queries are logged (DEBUG, a test
counting them) Django's own cursor runs them unprepared, because Django
cannot show a prepared statement's SQL; they are counted the same.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model


class _PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor, preparing every statement it runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor():
    """A cursor on Django's connection whose statements are prepared where they can be."""
    if (connection.vendor != "postgresql" or connection.queries_logged
            or not settings.PORTAL_DATABASE_PREPARED_STATEMENTS):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection.make_cursor(_PreparingCursor(connection.connection))


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@functools.cache
def _by_pk_query(model: type[Model]) -> tuple[str, dict, list[str]]:
    """The ORM's own SELECT of one ``model`` row by primary key, with the converters
    it applies to the row (JSON, dates) and the field names, built once."""
    compiler = model._default_manager.filter(pk=0).query.get_compiler(connection.alias)
    sql, _params = compiler.as_sql()
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    return sql, converters, [field.attname for field in model._meta.concrete_fields]


def model_by_pk(model: type[Model], pk: Any) -> Model | None:
    """The ``model`` instance whose primary key is ``pk`` (as the ORM's ``get`` makes
    it), or None when there is none or ``pk`` is not a valid key."""
    try:
        pk = model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    if pk is None:
        return None
    sql, converters, names = _by_pk_query(model)
    row = fetch_one(sql, [pk])
    if row is None:
        return None
    values = list(row)
    for position, (functions, expression) in converters.items():  # as the compiler does
        for convert in functions:
            values[position] = convert(values[position], expression, connection)
    return model.from_db(connection.alias, names, values)
