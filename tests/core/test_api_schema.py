"""The OpenAPI schema validates, and schemathesis finds no server error and no response that breaks
the schema, for every operation, as a region official with a token.

Excluded from schemathesis: the spreadsheet import/export operations (/api/imports/, /api/exports/),
which build files and run jobs; they have their own tests. Everything else runs with a few examples
each (explicit + generated phases) to stay within about two minutes on a small CI machine.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application


def test_schema_validates_without_warnings(tmp_path) -> None:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/chains/{slug}/map/" in text
    assert "If-Match" in text


def test_schema_and_docs_are_served_without_a_cdn(world, api_for, bj_official) -> None:
    client = api_for(bj_official)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "Error" in schema.json()["components"]["schemas"]
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()
    assert "/static/drf_spectacular_sidecar/" in docs


def test_every_operation_documents_the_error_shape() -> None:
    spec = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert "401" in operation["responses"], (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True)).exclude(
    path_regex=r"^/api/(imports|exports)/"
)


@pytest.fixture
def official_token(world, bj_official) -> str:
    return Token.objects.get_or_create(user=bj_official)[0].key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, official_token, wsgi_requests) -> None:
    case.call_and_validate(
        app=application,
        headers={"Authorization": f"Token {official_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
