"""One input per write: the frozen dataclass a service takes, produced alike by the page's form and the
API's serializer, so the two cannot map the same input to different service arguments.

A write's input subclasses ``WriteInput`` and lists its fields in the service's names (``region_id``,
``bottleneck_ids``), each defaulting to ``UNSET``: a field the writer did not give, which a partial
update leaves as it is. ``from_data`` takes parsed input in the writers' names (a form's
``cleaned_data``, a serializer's ``validated_data``): a relation given as a model or an id becomes its
``*_id`` (``RELATIONS``), a list of models or ids becomes its ``*_ids`` (``MANY``), and every key that
is no field of the write is refused, naming it, before anything is written (``REFUSED`` gives some of
them their own reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _


class _Unset:
    """A field the writer did not give."""

    _instance: ClassVar[_Unset | None] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __copy__(self) -> _Unset:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unset:
        return self


UNSET: Any = _Unset()

InputT = TypeVar("InputT", bound="WriteInput")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


@dataclass(frozen=True, kw_only=True)
class WriteInput:
    # writer's name → field: a model or an id given for the relation becomes its id.
    RELATIONS: ClassVar[Mapping[str, str]] = {}
    # writer's name → field: models or ids given for a many-relation become a list of ids.
    MANY: ClassVar[Mapping[str, str]] = {}
    # keys refused with their own reason (a lazily translated string), not the generic one.
    REFUSED: ClassVar[Mapping[str, str | Promise]] = {}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_data(cls: type[InputT], data: Mapping[str, Any]) -> InputT:
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in cls.RELATIONS:
                values[cls.RELATIONS[key]] = None if value is None else _pk(value)
            elif key in cls.MANY:
                values[cls.MANY[key]] = [_pk(item) for item in (value or ())]
            else:
                values[key] = value
        cls.refuse_unknown(values)
        return cls(**values)

    @classmethod
    def of(cls: type[InputT], data: InputT | Mapping[str, Any]) -> InputT:
        """The write's input: as given, or a mapping in the writers' names read by ``from_data``
        (callers outside the area, the importer and tests, may pass a mapping)."""
        return data if isinstance(data, cls) else cls.from_data(data)  # type: ignore[arg-type]

    @classmethod
    def refuse_unknown(cls, names: Iterable[str]) -> None:
        """Refuse, naming each, every key that is no field of this write (all of them in one error)."""
        known = set(cls.field_names())
        errors: dict[str, Any] = {}
        for name in sorted(set(names)):
            if name in cls.REFUSED:
                errors[name] = str(cls.REFUSED[name])
            elif name not in known:
                errors[name] = _("This field cannot be changed here.")
        if errors:
            raise ValidationError(errors)

    def given(self) -> dict[str, Any]:
        """The fields the writer gave, by name, in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}

    def value(self, name: str, default: Any) -> Any:
        """The field's value, or ``default`` when the writer did not give it."""
        current = getattr(self, name)
        return default if current is UNSET else current
