"""Unified social credit code (GB 32100-2015) validation."""

import pytest
from django.core.exceptions import ValidationError

from chainmap.validators import credit_code_check_char, normalize_credit_code, validate_credit_code

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
