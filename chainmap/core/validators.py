"""Validation of the unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The 31 characters of the code, in value order; I, O, S, V and Z are never used.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
# Weight of position i is 3**i mod 31.
_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def credit_code_check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a code."""
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """What a person typed, as the code is stored: full-width folded (NFKC), spaces dropped, upper case."""
    return unicodedata.normalize("NFKC", value).replace(" ", "").strip().upper()


def clean_credit_code(value: str) -> str:
    """What a person typed → the stored code, or a ``ValidationError`` saying what is wrong with it.

    Every place that takes a credit code from a person (forms, imports, API filters) goes through here,
    so a malformed code is reported as malformed (length, characters, check character) and only a
    well-formed code can be reported as unknown.
    """
    code = normalize_credit_code(value or "")
    validate_credit_code(code)
    return code


def validate_credit_code(value: str) -> None:
    """Reject anything but an 18-character code in the code's alphabet with the right check character.

    Input is expected normalized (see ``normalize_credit_code``): lower case or full-width
    characters are reported rather than silently accepted. The check character is judged only
    for a code of the right length and alphabet.
    """
    problems: list[ValidationError] = []
    if len(value) != 18:
        problems.append(
            ValidationError(
                _("A unified social credit code has 18 characters; this one has %(length)d."),
                code="credit_code_length",
                params={"length": len(value)},
            )
        )
    bad = sorted({char for char in value if char not in _VALUES})
    if bad:
        problems.append(
            ValidationError(
                _("A credit code uses digits and upper-case letters except I, O, S, V, Z; found %(chars)s."),
                code="credit_code_chars",
                params={"chars": ", ".join(f"“{char}”" for char in bad)},
            )
        )
    # Both at once when both are wrong: "9111-0108…" is one character too long *because of* the dash.
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationError(problems)
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong (expected %(expected)s)."),
            code="credit_code_check",
            params={"expected": expected},
        )
