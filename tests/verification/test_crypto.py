"""Masking of document numbers: most of every number stays hidden."""

from __future__ import annotations

import pytest

from tests.support.verification import ID_NUMBERS
from verification import crypto, documents

# (document type, a valid number of each length the formats allow)
NUMBERS = [
    (documents.PASSPORT, "E12345678"),
    (documents.PASSPORT, "EA1234567"),
    (documents.PASSPORT, "X12345"),
    (documents.HK_MACAO_PERMIT, "C01234567"),
    (documents.HK_MACAO_PERMIT, "H12345678"),
    (documents.HK_MACAO_PERMIT, "H1234567890"),
    (documents.TAIWAN_PERMIT, "12345678"),
    (documents.TAIWAN_PERMIT, "1234567890"),
]


def _visible(masked: str) -> int:
    return sum(1 for c in masked if c != "*")


@pytest.mark.parametrize(("document_type", "number"), NUMBERS)
def test_other_documents_show_at_most_a_third(document_type, number):
    number = documents.validate_document_number(document_type, number)
    masked = crypto.mask(number, document_type=document_type)
    assert len(masked) == len(number)
    assert _visible(masked) <= len(number) / 3
    assert masked[0] == number[0] and masked[-1] == number[-1]  # still recognisable


def test_passport_is_not_shown_almost_in_full():
    assert crypto.mask("E12345678", document_type=documents.PASSPORT) == "E*******8"


@pytest.mark.parametrize("number", ID_NUMBERS)
def test_resident_id_keeps_region_and_last_four_and_hides_more_than_half(number):
    masked = crypto.mask(number, document_type=documents.MAINLAND_ID)
    assert masked == number[:4] + "*" * 10 + number[-4:]
    assert len(masked) - _visible(masked) > len(number) / 2


@pytest.mark.parametrize("document_type", [t for t, _n in NUMBERS] + [documents.MAINLAND_ID])
def test_every_document_type_hides_at_least_half(document_type):
    for number in [n for t, n in NUMBERS if t == document_type] or ID_NUMBERS:
        masked = crypto.mask(number, document_type=document_type)
        assert len(masked) - _visible(masked) >= len(number) / 2


@pytest.mark.django_db
def test_migration_re_masks_numbers_stored_under_the_old_rule(make_account):
    import importlib

    from django.apps import apps

    from verification import services
    from verification.models import VerificationRequest

    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    services.verification_set_details(request=request, acting_user=account, subject="individual",
                                      legal_name="李四", document_type="passport",
                                      number="E12345678")
    VerificationRequest.objects.filter(pk=request.pk).update(number_masked="E123*5678")
    migration = importlib.import_module("verification.migrations.0002_remask_document_numbers")
    migration.remask(apps, None)
    request.refresh_from_db()
    assert request.number_masked == "E*******8"
