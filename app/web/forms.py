"""Helpers between WTForms and services: one set of rules, enforced by the services."""

from __future__ import annotations

from flask import request

from app.services.errors import Invalid, ServiceError


def apply_errors(form, exc: ServiceError) -> None:
    """Put a service's field errors on the form's fields; the rest on the form."""
    placed = False
    for name, why in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, why] if isinstance(field.errors, list) else [why]
            placed = True
    if not placed or not exc.fields:
        form.form_errors.append(exc.message)


def refused(response, exc: ServiceError):
    """`response`, a form shown again with a service's refusal on it, with the refusal's
    status where clients act on it (413 too large; 503 busy, with its Retry-After) and 422
    otherwise. HTMX swaps all three (layouts/base.html)."""
    response.status_code = exc.status if exc.status in (413, 503) else 422
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def json_body() -> dict:
    """The JSON object of an API request (or its form fields), else Invalid."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Invalid("Send a JSON object.", code="invalid_json")
        return data
    return request.form.to_dict()


def text_field(data: dict, name: str, *, required: bool = False, max_length: int = 100_000) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise Invalid(f"{name} is required.", code="validation_failed", fields={name: "Required."})
        return None
    if not isinstance(value, str):
        raise Invalid(f"{name} must be text.", code="validation_failed", fields={name: "Must be text."})
    if len(value) > max_length:
        raise Invalid(f"{name} is too long.", code="validation_failed", fields={name: "Too long."})
    return value
