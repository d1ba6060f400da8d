"""Enterprise master-data pages: the edit form of an enterprise (the joint office and the officials of
its region). A save against a stale version shows the other change instead of overwriting it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chainmap.accounts import permissions
from chainmap.core.exceptions import ConflictError
from chainmap.core.validators import normalize_credit_code
from chainmap.enterprises.forms.enterprises import EnterpriseForm
from chainmap.enterprises.selectors import pages as selectors
from chainmap.enterprises.services import enterprises as services

FORM_FIELDS = {"subregion_id": "subregion", "region_id": None, "credit_code": None, "enterprise": None}


def _apply_errors(form: EnterpriseForm, error: ValidationError) -> None:
    """A service's field errors on the form's fields (others on the form itself)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        name = FORM_FIELDS.get(field, field)
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


@require_http_methods(["GET", "HEAD", "POST"])
def enterprise_edit(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = get_object_or_404(
        selectors.enterprise_queryset(user=request.user), credit_code=normalize_credit_code(credit_code)
    )
    if not permissions.can_edit_enterprise(user=request.user, enterprise=enterprise):
        raise PermissionDenied
    back = reverse("chainmap:enterprise_detail", args=[enterprise.credit_code])
    context = {"enterprise": enterprise, "back": back}
    if request.method != "POST":
        context["form"] = EnterpriseForm(initial=EnterpriseForm.initial_for(enterprise), enterprise=enterprise)
        return render(request, "chainmap/enterprises/form.html", context)
    form = EnterpriseForm(request.POST, enterprise=enterprise)
    context["form"] = form
    if form.is_valid():
        changes = form.to_input()
        if not changes.given():
            form.add_error(None, _("Nothing was changed."))
        else:
            try:
                services.enterprise_update(
                    enterprise_id=enterprise.pk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                    changes=changes,
                )
            except ConflictError as error:
                data = request.POST.copy()  # the form's data
                data["version"] = str(error.current.version)
                context.update(
                    {
                        "form": EnterpriseForm(data, enterprise=error.current),
                        "error": error,
                        "current": error.current,
                        "conflict": True,
                    }
                )
                return render(request, "chainmap/enterprises/form.html", context, status=409)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": enterprise.name})
                return redirect(back)
    return render(request, "chainmap/enterprises/form.html", context, status=400)
