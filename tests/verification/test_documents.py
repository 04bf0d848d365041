"""Document-number validators, masking and hashing (Hypothesis for the validators)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from verification import crypto, documents

BIRTH_DATES = st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31))
# Region codes valid in every year of BIRTH_DATES (stdnum checks the code existed then).
REGIONS = st.sampled_from(["110101", "110102", "110105", "310101"])


def _ric(region: str, born: date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder


@hsettings(deadline=None)
@given(REGIONS, BIRTH_DATES, st.integers(0, 999))
def test_every_well_formed_resident_id_is_accepted_and_keeps_its_birth_date(region, born, seq):
    number = _ric(region, born, seq)
    assert documents.validate_document_number("cn_ric", number.lower()) == number
    assert documents.birth_date("cn_ric", number) == born


@hsettings(deadline=None)
@given(REGIONS, BIRTH_DATES, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_changing_one_digit_of_a_resident_id_is_caught(region, born, seq, pos, delta):
    number = _ric(region, born, seq)
    digit = (int(number[pos]) + delta) % 10
    mutated = number[:pos] + str(digit) + number[pos + 1:]
    with pytest.raises(ValidationError) as info:
        documents.validate_document_number("cn_ric", mutated)
    assert info.value.code in {"ric_checksum", "ric_component"}


@hsettings(deadline=None)
@given(st.text(alphabet="0123456789X", min_size=0, max_size=25).filter(lambda s: len(s) != 18))
def test_resident_id_of_wrong_length_is_refused(text):
    with pytest.raises(ValidationError):
        documents.validate_document_number("cn_ric", text)


@hsettings(deadline=None, max_examples=200)
@given(st.text(max_size=30))
def test_validators_only_ever_raise_validation_error(text):
    for kind in ("cn_ric", "passport", "hk_mo_permit", "tw_permit"):
        try:
            result = documents.validate_document_number(kind, text)
        except ValidationError as error:
            assert error.code
        else:
            assert result == documents.normalise(text)
    try:
        documents.validate_licence_number(text)
    except ValidationError as error:
        assert error.code in {"uscc_checksum", "uscc_format"}


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_BODIES = st.tuples(
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
).map("".join)


@hsettings(deadline=None)
@given(USCC_BODIES)
def test_unified_social_credit_code_with_its_check_character_is_accepted(body):
    code = body + uscc.calc_check_digit(body)
    assert documents.validate_licence_number(code.lower()) == code


@hsettings(deadline=None)
@given(USCC_BODIES, st.sampled_from(USCC_ALPHABET))
def test_unified_social_credit_code_with_a_wrong_check_character_is_refused(body, wrong):
    if wrong == uscc.calc_check_digit(body):
        wrong = USCC_ALPHABET[(USCC_ALPHABET.index(wrong) + 1) % len(USCC_ALPHABET)]
    with pytest.raises(ValidationError) as info:
        documents.validate_licence_number(body + wrong)
    assert info.value.code == "uscc_checksum"


@pytest.mark.parametrize("kind,number", [
    ("passport", "E12345678"), ("passport", "EA1234567"), ("hk_mo_permit", "C12345678"),
    ("hk_mo_permit", "H1234567890"), ("tw_permit", "12345678"),
])
def test_permit_and_passport_formats_are_accepted(kind, number):
    assert documents.validate_document_number(kind, number) == number


@pytest.mark.parametrize("kind,number", [
    ("passport", "E1234"), ("hk_mo_permit", "X12345678"), ("tw_permit", "1234567A"),
])
def test_malformed_permits_are_refused(kind, number):
    with pytest.raises(ValidationError, match="valid number"):
        documents.validate_document_number(kind, number)


@pytest.mark.parametrize("kind,typed,stored", [
    ("tw_permit", "１２３４５６７８", "12345678"),
    ("passport", "Ｅ１２３４５６７８", "E12345678"),
    ("cn_ric", "１１０１０１１９９００３０７７６５１", "110101199003077651"),
])
def test_full_width_input_is_stored_as_the_ascii_number(kind, typed, stored):
    # Chinese input methods type full-width digits; stored otherwise, the same
    # document would hash differently and could be bound to a second account.
    assert documents.validate_document_number(kind, typed) == stored


@pytest.mark.parametrize("kind,number", [("passport", "H١٢٣٤٥٦٧٨"), ("tw_permit", "١٢٣٤٥٦٧٨")])
def test_digits_of_other_scripts_are_refused(kind, number):
    with pytest.raises(ValidationError, match="valid number"):
        documents.validate_document_number(kind, number)


def test_minimum_age_follows_the_setting(settings):
    settings.PORTAL_MINIMUM_AGE = 18
    today = date(2026, 11, 23)
    documents.validate_minimum_age(date(2008, 11, 23), today)
    with pytest.raises(ValidationError) as info:
        documents.validate_minimum_age(date(2008, 11, 23) + timedelta(days=1), today)
    assert info.value.code == "under_age"


def test_number_is_masked_and_round_trips_through_encryption():
    number = "11010519491231002X"
    assert crypto.mask(number, document_type="cn_ric") == "1101**********002X"
    token = crypto.encrypt(number)
    assert number not in token
    assert crypto.decrypt(token) == number


def test_identity_hash_is_keyed_and_depends_on_document_type(settings):
    first = crypto.identity_hash("cn_ric", "11010519491231002X")
    assert first != crypto.identity_hash("passport", "11010519491231002X")
    settings.PORTAL_IDENTITY_HASH_KEY = "another key"
    assert first != crypto.identity_hash("cn_ric", "11010519491231002X")


def test_rotation_re_encrypts_under_the_new_key(settings):
    from cryptography.fernet import Fernet, InvalidToken

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTAL_FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("E12345678")
    settings.PORTAL_FIELD_ENCRYPTION_KEYS = [new, old]
    rotated = crypto.rotate(token)
    settings.PORTAL_FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "E12345678"
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)
