"""Schemathesis against /api/openapi.json through the WSGI transport: helpers shared by the
bounded run of the normal suite and the long run of `make fuzz`."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# The documented 503s of a DreamDot without an outside service: payments without Stripe keys
# (the brief: they "say plainly that payments are not configured"), reset without mail.
NOT_CONFIGURED = {"payments_not_configured", "mail_not_configured"}


def no_server_error(ctx, response, case):
    """No 5xx, except the documented 503 of a DreamDot whose Stripe keys or mail server are
    not set."""
    if response.status_code == 503 and _error_code(response) in NOT_CONFIGURED:
        return None
    return not_a_server_error(ctx, response, case)


def _error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


CHECKS = [no_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Examples per operation and identity: a few in the normal run (the whole fuzz test stays
# under a minute on two cores), many with FUZZ_EXAMPLES=500 make fuzz.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@dataclass
class Findings:
    failures: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    statuses: Counter = field(default_factory=Counter)

    def add(self, label: str, exc: BaseException) -> None:
        self.failures.setdefault(label, f"{type(exc).__name__}: {str(exc)[:1500]}")


def load_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def fuzz_operation(operation, headers_for, findings: Findings, examples: int = EXAMPLES) -> None:
    """Send `examples` generated requests to one operation; record the first failure.
    `headers_for(case)` gives the identity's headers for each request (a fresh token after
    the previous request signed it out)."""

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        findings.calls += 1
        headers = headers_for(case)
        response = case.call(headers=headers)
        findings.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup
        findings.add(f"{operation.method.upper()} {operation.path}", exc)
