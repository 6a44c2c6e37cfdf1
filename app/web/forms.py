"""Helpers between WTForms and services: one set of rules, enforced by the services."""

from __future__ import annotations

from flask import request
from markupsafe import Markup

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


_CSRF_PLACEHOLDER = "\x00csrf\x00"


def blank_form_html(template: str, form_class) -> Markup:
    """A blank form (a GET page's, no data, no errors) rendered once per app and template,
    with this request's CSRF token put in: the markup is the same for everyone but the
    token. The cached copy holds a placeholder, never a token."""
    from flask import current_app, render_template

    from app.web.security import csrf_token

    cache = current_app.extensions.setdefault("dreamdot.blank_forms", {})
    token = csrf_token()
    html = cache.get(template)
    if html is None:
        rendered = render_template(template, form=form_class(formdata=None))
        html = cache[template] = rendered.replace(token, _CSRF_PLACEHOLDER)
    return Markup(html.replace(_CSRF_PLACEHOLDER, token))  # noqa: S704 - our template's output
