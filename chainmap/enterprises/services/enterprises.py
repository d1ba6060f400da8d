"""Enterprise master data: create an enterprise, change its name, sub-region, size, qualifications,
founding year, description, website and contacts.

Allowed to the joint office and the officials of the enterprise's region (``can_edit_enterprise``).
Every write needs a reason (the history change reason), bumps ``version`` and, given
``expected_version``, refuses to overwrite a newer version (``ConflictError`` with what the other
change did). The credit code is the natural key imports, exports and the API address enterprises
by: it never changes here. Moving an enterprise to another region is the joint office's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.exceptions import ConflictError
from chainmap.core.history import save_with_reason
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.core.validators import normalize_credit_code, validate_credit_code
from chainmap.maps.services.mapedit import change_summary, clean_reason
from chainmap.models import Enterprise, Region, SubRegion


@dataclass(frozen=True, kw_only=True)
class EnterpriseInput(WriteInput):
    """One write of an enterprise's master data, in the service's names: what the edit page's form
    (``EnterpriseForm.to_input``) and the API's serializer (``EnterpriseWriteSerializer.to_input``)
    both produce. A field left ``UNSET`` was not given and keeps its value. ``credit_code`` never
    changes here: it is refused, naming it."""

    RELATIONS = {"region": "region_id", "subregion": "subregion_id"}
    REFUSED = {
        "credit_code": gettext_lazy("The credit code identifies the enterprise and cannot change; create a new one.")
    }

    name: str = UNSET
    region_id: int = UNSET
    subregion_id: int | None = UNSET
    size: str = UNSET
    is_high_tech: bool = UNSET
    is_tech_sme: bool = UNSET
    is_specialized: bool = UNSET
    is_little_giant: bool = UNSET
    is_single_champion: bool = UNSET
    is_listed: bool = UNSET
    founded_year: int | None = UNSET
    description: str = UNSET
    website: str = UNSET
    contact_name: str = UNSET
    contact_phone: str = UNSET
    contact_email: str = UNSET


ENTERPRISE_FIELDS = EnterpriseInput.field_names()


def _region(region_id: Any) -> Region:
    region = Region.objects.filter(pk=region_id).first() if isinstance(region_id, int) else None
    if region is None:
        raise ValidationError({"region": _("Unknown region.")})
    return region


def _check_subregion(*, subregion_id: int | None, region_id: int) -> None:
    if subregion_id is None:
        return
    region_of = SubRegion.objects.filter(pk=subregion_id).values_list("region_id", flat=True).first()
    if region_of is None:
        raise ValidationError({"subregion": _("Unknown sub-region.")})
    if region_of != region_id:
        raise ValidationError({"subregion": _("Choose a sub-region of the enterprise's region.")})


def _save(enterprise: Enterprise, *, user: Actor, reason: str) -> None:
    save_with_reason(  # a clash: a concurrent create of the same code
        enterprise,
        user=user,
        reason=reason,
        validate_unique=False,
        clash={"credit_code": _("An enterprise with this credit code already exists.")},
    )


@transaction.atomic
def enterprise_create(
    *, user: Actor, reason: str, credit_code: str, data: EnterpriseInput | Mapping[str, Any]
) -> Enterprise:
    """A new enterprise of a region (``data`` gives its name and region at least): the joint office or
    that region's officials. A mapping is read as ``EnterpriseInput.from_data``."""
    reason = clean_reason(reason)
    given = EnterpriseInput.of(data).given()
    name, region_id = given.pop("name", ""), given.pop("region_id", None)
    fields = given
    region = _region(region_id)
    if not permissions.can_edit_enterprise(user=user, enterprise=Enterprise(region=region)):
        raise PermissionDenied(_("Only the joint office or the region's officials may add its enterprises."))
    code = normalize_credit_code(credit_code or "")
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise ValidationError({"credit_code": exc.messages}) from None
    if Enterprise.objects.filter(credit_code=code).exists():
        raise ValidationError({"credit_code": _("An enterprise with this credit code already exists.")})
    _check_subregion(subregion_id=fields.get("subregion_id"), region_id=region.pk)
    enterprise = Enterprise(credit_code=code, name=(name or "").strip(), region=region, version=1)
    for key, value in fields.items():
        setattr(enterprise, key, value)
    _save(enterprise, user=user, reason=reason)
    return enterprise


@transaction.atomic
def enterprise_update(
    *,
    enterprise_id: int,
    user: Actor,
    reason: str,
    expected_version: int | None,
    changes: EnterpriseInput | Mapping[str, Any],
) -> Enterprise:
    """Change an enterprise's master data (the fields ``changes`` gives; a mapping is read as
    ``EnterpriseInput.from_data``). An unchanged save writes nothing and keeps the version."""
    reason = clean_reason(reason)
    given = EnterpriseInput.of(changes).given()
    enterprise = Enterprise.objects.select_for_update().filter(pk=enterprise_id).first()
    if enterprise is None:
        raise ValidationError({"enterprise": _("It no longer exists.")})
    if not permissions.can_edit_enterprise(user=user, enterprise=enterprise):
        raise PermissionDenied(_("Only the joint office or the enterprise's region may edit its master data."))
    if expected_version is not None and enterprise.version != expected_version:
        raise ConflictError(
            current=enterprise,
            expected_version=expected_version,
            changes=change_summary(enterprise, since_version=expected_version),
        )
    region_id = given.get("region_id", enterprise.region_id)
    if region_id != enterprise.region_id:
        _region(region_id)
        if not roles.is_joint_office(user):
            raise ValidationError({"region": _("Only the joint office may move an enterprise to another region.")})
    subregion_id = given.get("subregion_id", enterprise.subregion_id)
    if "subregion_id" in given or region_id != enterprise.region_id:
        _check_subregion(subregion_id=subregion_id, region_id=region_id)
    changed = {key: value for key, value in given.items() if getattr(enterprise, key) != value}
    if not changed:
        return enterprise
    for key, value in changed.items():
        setattr(enterprise, key, value)
    enterprise.version += 1
    _save(enterprise, user=user, reason=reason)
    return enterprise
