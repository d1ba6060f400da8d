from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chainmap.core.actors import Actor
from chainmap.models import Chain, ImportKind


class ImportUploadForm(forms.Form):
    """What to import, into which chain, the file, and why (the reason goes into every row's history)."""

    kind = forms.ChoiceField(label=_("Data"), choices=ImportKind.choices)
    chain = forms.ModelChoiceField(
        label=_("Chain"),
        queryset=Chain.objects.none(),
        required=False,
        to_field_name="slug",
        help_text=_("Required for nodes, edges and bottlenecks; optional filter otherwise."),
    )
    file = forms.FileField(label=_("File (XLSX or CSV)"))
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["chain"]).queryset = Chain.objects.visible_to(user).order_by(
            "position", "code"
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.CHAINMAP_IMPORTS["MAX_BYTES"]
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s bytes; the limit is %(limit)s bytes."),
                params={"size": upload.size, "limit": limit},
            )
        return upload


class ExportForm(forms.Form):
    """The optional chain filter of an export (``?chain=<slug>``)."""

    chain = forms.ModelChoiceField(queryset=Chain.objects.none(), required=False, to_field_name="slug")

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["chain"]).queryset = Chain.objects.visible_to(user)
