"""Enterprise master data: create an enterprise, change its name, sub-region, size, qualifications,
founding year, description, website and contacts.

Allowed to the joint office and the officials of the enterprise's region (``can_edit_enterprise``).
Every write needs a reason (the history change reason), bumps ``version`` and, given
``expected_version``, refuses to overwrite a newer version (``ConflictError`` with what the other
change did). The credit code is the natural key imports, exports and the API address enterprises
by: it never changes here. Moving an enterprise to another region is the joint office's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.exceptions import ConflictError
from chainmap.core.validators import normalize_credit_code, validate_credit_code
from chainmap.enterprises.models.enterprises import QUALIFICATIONS
from chainmap.maps.services.mapedit import change_summary, clean_reason
from chainmap.models import Enterprise, Region, SubRegion

ENTERPRISE_FIELDS = (
    "name",
    "region_id",
    "subregion_id",
    "size",
    *QUALIFICATIONS,
    "founded_year",
    "description",
    "website",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def _refuse_unknown(changes: dict[str, Any]) -> None:
    if "credit_code" in changes:
        raise ValidationError(
            {"credit_code": _("The credit code identifies the enterprise and cannot change; create a new one.")}
        )
    unknown = sorted(set(changes) - set(ENTERPRISE_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})


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


def _save(enterprise: Enterprise, *, user: Any, reason: str) -> None:
    enterprise._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    enterprise._change_reason = reason  # type: ignore[attr-defined]
    enterprise.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError as exc:  # a concurrent create of the same code
        raise ValidationError({"credit_code": _("An enterprise with this credit code already exists.")}) from exc


@transaction.atomic
def enterprise_create(
    *, user: Any, reason: str, credit_code: str, name: str, region_id: int, **fields: Any
) -> Enterprise:
    """A new enterprise of a region: the joint office or that region's officials."""
    reason = clean_reason(reason)
    _refuse_unknown({key: value for key, value in fields.items()})
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
    *, enterprise_id: int, user: Any, reason: str, expected_version: int | None, changes: dict[str, Any]
) -> Enterprise:
    """Change an enterprise's master data. An unchanged save writes nothing and keeps the version."""
    reason = clean_reason(reason)
    _refuse_unknown(changes)
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
    region_id = changes.get("region_id", enterprise.region_id)
    if region_id != enterprise.region_id:
        _region(region_id)
        if not roles.is_joint_office(user):
            raise ValidationError({"region": _("Only the joint office may move an enterprise to another region.")})
    subregion_id = changes.get("subregion_id", enterprise.subregion_id)
    if "subregion_id" in changes or region_id != enterprise.region_id:
        _check_subregion(subregion_id=subregion_id, region_id=region_id)
    changed = {key: value for key, value in changes.items() if getattr(enterprise, key) != value}
    if not changed:
        return enterprise
    for key, value in changed.items():
        setattr(enterprise, key, value)
    enterprise.version += 1
    _save(enterprise, user=user, reason=reason)
    return enterprise
