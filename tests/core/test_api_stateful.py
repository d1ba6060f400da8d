"""Stateful testing: schemathesis chains calls (create → read → update → delete) on the proposals,
profiles, offers, milestones and subscriptions endpoints, as the joint office with a token, with
negative data generation enabled; no answer is a 5xx and every answer matches its documented schema.

The links come from schemathesis's own inference (the ``dependency-analysis`` algorithm, on by default
in 4.x): drf-spectacular writes no OpenAPI ``links``, and schemathesis derives them from the schemas of
the operations (``POST /api/offers/`` → 201 ``id`` → ``GET/PUT/PATCH/DELETE /api/offers/{id}/``, and
list → detail for the objects the API world already holds). No link is written by hand.

Generation mixes positive and negative data (``GenerationMode.POSITIVE`` + ``NEGATIVE``): in a
stateful run schemathesis draws a share of every step negatively, so the chains reach real objects
and then send them input that breaks the schema. PUT/PATCH (and DELETE) first read the object's
ETag through the WSGI app and send it back in If-Match, so the body reaches validation instead of
stopping at 428 (or 412 on a generated If-Match). The joint office may not create profiles or offers
(403): those chains start from the lists of the objects the API world holds.

Checks: ``not_a_server_error`` and ``response_schema_conformance``, as in test_schema/test_joint_api.
Bounded and deterministic: derandomized, 40 scenarios of at most 5 steps; each scenario runs in a
savepoint rolled back at its end, so Hypothesis's replays meet the same data.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import stateful as openapi_stateful
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WsgiClient

from config.wsgi import application

# Collections and their detail operations; the workflow actions (approve, submit, ...) have their own tests.
RESOURCES = r"^/api/(proposals|profiles|offers|milestones|subscriptions)/(\{id\}/)?$"

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True)).include(
    path_regex=RESOURCES
)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
APIWorkflow = schema.as_state_machine()

# Links the inference must find: the chains this test is about.
EXPECTED_LINKS = {
    ("POST /api/profiles/", "PATCH /api/profiles/{id}/"),
    ("POST /api/offers/", "GET /api/offers/{id}/"),
    ("POST /api/offers/", "PATCH /api/offers/{id}/"),
    ("POST /api/offers/", "DELETE /api/offers/{id}/"),
    ("POST /api/milestones/", "PATCH /api/milestones/{id}/"),
    ("POST /api/subscriptions/", "PATCH /api/subscriptions/{id}/"),
    ("POST /api/subscriptions/", "DELETE /api/subscriptions/{id}/"),
    ("GET /api/proposals/", "GET /api/proposals/{id}/"),
}


def _links() -> set[tuple[str, str]]:
    return {
        (source, link.target.label)
        for source, transitions in APIWorkflow._transitions.operations.items()
        for link in transitions.outgoing
    }


def test_the_inferred_links_chain_creates_to_reads_updates_and_deletes() -> None:
    assert _links() >= EXPECTED_LINKS
    assert schema.config.generation.modes == [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture
def joint_office_token(world, joint_office) -> str:
    return Token.objects.get_or_create(user=joint_office)[0].key


@pytest.mark.django_db
def test_stateful_chains_never_hit_a_server_error(joint_office_token, wsgi_requests, monkeypatch) -> None:
    # Schemathesis draws 10% of the stateful steps negatively when both modes are on; half of them
    # here, so the short run still sends broken input to the objects the chains reach.
    monkeypatch.setattr(openapi_stateful, "NEGATIVE_TEST_CASES_THRESHOLD", 50)
    auth = {"Authorization": f"Token {joint_office_token}"}
    sent: list[tuple[str, GenerationMode, int]] = []
    linked: list[tuple[str, int]] = []

    class JointOfficeWorkflow(APIWorkflow):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Every scenario starts from the same world: Hypothesis replays choices and expects the
            # same answers, so what one scenario creates or deletes is rolled back at its end.
            self.scenario = transaction.atomic()
            self.scenario.__enter__()
            cache.clear()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)

        def before_call(self, case) -> None:
            self.headers = dict(auth)
            if case.method.upper() in ("PUT", "PATCH", "DELETE"):
                # Through the WSGI app like the step itself (Django's test client would reconnect
                # the connection-closing signals that ``wsgi_requests`` disconnects).
                etag = WsgiClient(application).get(case.formatted_path, headers=auth).headers.get("ETag")
                if etag:
                    self.headers["If-Match"] = etag

        def step(self, input):
            output = super().step(input)
            if input.transition is not None:
                linked.append((input.case.operation.label, output.response.status_code))
            return output

        def get_call_kwargs(self, case) -> dict[str, Any]:
            return {"app": application, "headers": self.headers}

        def after_call(self, response, case) -> None:
            super().after_call(response, case)
            sent.append((case.operation.label, case.meta.generation.mode, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance],
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    JointOfficeWorkflow.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=5,
            phases=[Phase.generate],
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Negative data reached the writes, and some chains reached an object another step had produced.
    assert any(mode == GenerationMode.NEGATIVE and not label.startswith("GET") for label, mode, _ in sent)
    assert any("{id}" in label and status < 300 for label, status in linked)
