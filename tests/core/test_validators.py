"""Unified social credit code (GB 32100-2015) validation."""

import pytest
from django.core.exceptions import ValidationError

from chainmap.core.validators import (
    clean_credit_code,
    credit_code_check_char,
    normalize_credit_code,
    validate_credit_code,
)
from chainmap.enterprises.forms.enterprises import CreditCodeField

VALID = ["91350100M000100Y43", "91110108551385082Q", "91110000600001760P"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code: str) -> None:
    validate_credit_code(code)


@pytest.mark.parametrize("code", VALID)
def test_check_character_is_computed_from_the_first_17(code: str) -> None:
    assert credit_code_check_char(code[:17]) == code[17]


def test_wrong_check_character_is_rejected_with_the_expected_one() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("91350100M000100Y44")
    assert excinfo.value.code == "credit_code_check"
    assert excinfo.value.params == {"expected": "3"}


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_wrong_length_is_rejected(code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code)
    assert excinfo.value.code == "credit_code_length"


def test_lower_case_is_rejected_as_stored_but_accepted_after_normalizing() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("91110108551385082q")
    assert excinfo.value.code == "credit_code_chars"
    validate_credit_code(normalize_credit_code("91110108551385082q"))


def test_full_width_characters_are_rejected_but_normalize_to_ascii() -> None:
    full_width = "９１１１０１０８５５１３８５０８２Ｑ"
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(full_width)
    assert excinfo.value.code == "credit_code_chars"
    assert normalize_credit_code(full_width) == "91110108551385082Q"
    validate_credit_code(normalize_credit_code(full_width))


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_alphabet_are_rejected(letter: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("9135010" + letter + "M000100Y43")
    assert excinfo.value.code == "credit_code_chars"


def test_model_field_runs_the_validator(db) -> None:
    from tests.factories import EnterpriseFactory

    enterprise = EnterpriseFactory.build(credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as excinfo:
        enterprise.full_clean(exclude=["region"])
    assert "credit_code" in excinfo.value.message_dict


# --- one validator, reused wherever a person types a code ----------------------------------------------


def test_disallowed_characters_are_each_named():
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("9135010OM000100Y4I")
    assert excinfo.value.code == "credit_code_chars"
    assert excinfo.value.params == {"chars": "“I”, “O”"}


def test_a_wrong_length_caused_by_a_separator_names_both_problems():
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("9111-0108551385082Q")
    assert [error.code for error in excinfo.value.error_list] == ["credit_code_length", "credit_code_chars"]
    assert [error.params for error in excinfo.value.error_list] == [{"length": 19}, {"chars": "“-”"}]


def test_clean_credit_code_normalizes_then_validates():
    assert clean_credit_code(" 9111 0108 5513 8508 2q ") == "91110108551385082Q"
    with pytest.raises(ValidationError) as excinfo:
        clean_credit_code("91110108551385082A")
    assert excinfo.value.params == {"expected": "Q"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("91110108551385082", "credit_code_length"),
        ("91110108551385082A", "credit_code_check"),
        ("9111010855138508ZQ", "credit_code_chars"),
    ],
)
def test_the_credit_code_form_field_says_what_is_wrong(typed, code):
    field = CreditCodeField()
    with pytest.raises(ValidationError) as excinfo:
        field.clean(typed)
    assert [error.code for error in excinfo.value.error_list] == [code]
    assert field.clean("９１１１０１０８５５１３８５０８２ｑ") == "91110108551385082Q"
    assert CreditCodeField(required=False).clean("") == ""


def test_the_api_credit_code_filter_answers_400_for_a_malformed_code(db, joint_office):
    from rest_framework.test import APIClient

    from tests.factories import EnterpriseFactory

    enterprise = EnterpriseFactory(credit_code="91110108551385082Q")
    api = APIClient()
    api.force_authenticate(joint_office)
    found = api.get("/api/enterprises/", {"credit_code": "91110108551385082q"})
    assert found.status_code == 200
    assert [row["credit_code"] for row in found.json()["results"]] == [enterprise.credit_code]
    malformed = api.get("/api/enterprises/", {"credit_code": "91110108551385082A"})
    assert malformed.status_code == 400
    assert "Q" in str(malformed.json())
    unknown = api.get("/api/enterprises/", {"credit_code": "91110000600001760P"})
    assert (unknown.status_code, unknown.json()["results"]) == (200, [])
