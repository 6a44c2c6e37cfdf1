from flask import Blueprint, jsonify, session
from flask_login import current_user, logout_user

from app.services import accounts
from app.services.payments.balances import get_balance
from app.web.auth import login_required
from app.web.context import current_origin, public_url
from app.web.devices import device_token, remember_device
from app.web.forms import json_body, text_field
from app.web.limits import password_reset_limit, reset_confirm_limit, signin_limit, signup_limits
from app.web.work import unit_of_work

api_bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")


@api_bp.post("/signup")
@unit_of_work
@signup_limits()
def signup():
    data = json_body()
    user = accounts.signup(
        text_field(data, "username", required=True, max_length=254),
        text_field(data, "email", required=True, max_length=254),
        text_field(data, "password", required=True, max_length=1024),
        text_field(data, "display_name", max_length=200),
        origin=current_origin(),
    )
    token = accounts.issue_token(user, origin=current_origin())
    return jsonify(user=accounts.serialize_user(user), token=token), 201


@api_bp.post("/signin")
@unit_of_work
@signin_limit()
def signin():
    data = json_body()
    user = accounts.authenticate(
        text_field(data, "login", required=True, max_length=254),
        text_field(data, "password", required=True, max_length=1024),
        origin=current_origin(),
        device=device_token(),  # only API clients that keep cookies send one
    )
    remember_device(user)
    token = accounts.issue_token(user, origin=current_origin())
    return jsonify(user=accounts.serialize_user(user), token=token)


@api_bp.get("/me")
@unit_of_work
@login_required
def me():
    return jsonify(user=accounts.serialize_user(current_user), balance=get_balance(current_user.id))


@api_bp.post("/signout")
@unit_of_work
@login_required
def signout():
    accounts.end_session(current_user, origin=current_origin())
    logout_user()
    session.clear()
    return "", 204


@api_bp.post("/password-reset")
@unit_of_work
@password_reset_limit
def password_reset():
    data = json_body()
    accounts.request_password_reset(text_field(data, "email", max_length=254),
                                    link=public_url("auth.password_reset_confirm"), origin=current_origin())
    # The same answer whether the address belongs to an account or not.
    return jsonify(message="If an account uses that address, a link to reset its password is on its way."), 202


@api_bp.post("/password-reset/confirm")
@unit_of_work
@reset_confirm_limit
def password_reset_confirm():
    data = json_body()
    user = accounts.reset_password(text_field(data, "token", required=True, max_length=1024),
                                   text_field(data, "password", required=True, max_length=1024),
                                   origin=current_origin())
    return jsonify(user=accounts.serialize_user(user))
