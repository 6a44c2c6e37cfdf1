from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth.forms import (
    PasswordResetForm,
    PasswordResetRequestForm,
    SigninForm,
    SignoutForm,
    SignupForm,
)
from app.services import accounts
from app.services.accounts.mail_tokens import InvalidToken
from app.services.errors import Invalid, ServiceError
from app.services.mail import is_configured as mail_configured
from app.web.auth import login_required, safe_next
from app.web.context import current_origin, public_url
from app.web.devices import device_token, remember_device
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render
from app.web.limits import password_reset_limit, reset_confirm_limit, signin_limit, signup_limits
from app.web.work import read_only, unit_of_work

bp = Blueprint("auth", __name__)


def _sign_in(user, remember: bool) -> None:
    session.clear()  # a fresh session (and CSRF token) for every sign-in
    accounts.start_session(user, kind="web", remember=remember, origin=current_origin())
    login_user(user)
    session.permanent = remember


def _signup_refused(message: str):
    """Sign-up over a limit: the form as typed, saying why and how long to wait (429)."""
    form = SignupForm()
    form.form_errors.append(message)
    return render("auth/signup.html", "auth/_signup_form.html", status=429, form=form)


def _signin_refused(message: str):
    """Sign-in over the address's limit: the form as typed, saying why and how long to wait (429)."""
    form = SigninForm()
    form.form_errors.append(message)
    return render("auth/signin.html", "auth/_signin_form.html", status=429, form=form)


@bp.route("/signup", methods=["GET", "POST"])
@unit_of_work
@signup_limits(refuse=_signup_refused)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.signup(form.username.data, form.email.data, form.password.data,
                                   form.display_name.data, origin=current_origin())
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            _sign_in(user, remember=False)
            flash(f"Welcome to DreamDot, {user.name}!", "success")
            return redirect_to(url_for("users.show", username=user.username))
    status = 422 if form.is_submitted() else 200
    return render("auth/signup.html", "auth/_signup_form.html", status=status, form=form)


@bp.route("/signin", methods=["GET", "POST"])
@unit_of_work
@signin_limit(refuse=_signin_refused)
def signin():
    form = SigninForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.login.data, form.password.data, origin=current_origin(),
                                         device=device_token())
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            remember_device(user)
            _sign_in(user, remember=form.remember.data)
            return redirect_to(safe_next(form.next.data) or url_for("main.index"))
    status = 422 if form.is_submitted() else 200
    return render("auth/signin.html", "auth/_signin_form.html", status=status, form=form)


@bp.post("/signout")
@unit_of_work
@login_required
def signout():
    form = SignoutForm()
    if form.validate_on_submit():
        accounts.end_session(current_user, origin=current_origin())
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect_to(url_for("main.index"))


@bp.route("/password-reset", methods=["GET", "POST"])
@unit_of_work
@password_reset_limit
def password_reset():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        try:  # without mail the service's 503 says so plainly, as an error page
            accounts.request_password_reset(form.email.data, link=public_url("auth.password_reset_confirm"),
                                            origin=current_origin())
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            return redirect_to(url_for("auth.password_reset_sent"))
    status = 422 if form.is_submitted() else 200
    return render("auth/password_reset.html", "auth/_password_reset_form.html", status=status, form=form,
                  mail_on=mail_configured())


@bp.get("/password-reset/sent")
@read_only
def password_reset_sent():
    return render("auth/password_reset_sent.html")


@bp.route("/password-reset/confirm", methods=["GET", "POST"])
@unit_of_work
@reset_confirm_limit
def password_reset_confirm():
    form = PasswordResetForm()
    if request.method == "GET":
        form.token.data = request.args.get("token")
    try:
        user = accounts.user_for_reset_token(form.token.data)
    except InvalidToken as exc:
        # A form post gets its fragment (422, which HTMX swaps in); the link itself a 400 page.
        return render("auth/password_reset_confirm.html", "auth/_password_reset_confirm_form.html",
                      status=422 if form.is_submitted() else 400, form=form, invalid=exc.message)
    if form.validate_on_submit():
        try:
            accounts.reset_password(form.token.data, form.password.data, origin=current_origin())
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            logout_user()  # this browser's session ended with every other one
            session.clear()
            flash("Your new password is set and every device is signed out. Sign in with it.", "success")
            return redirect_to(url_for("auth.signin"))
    status = 422 if form.is_submitted() else 200
    return render("auth/password_reset_confirm.html", "auth/_password_reset_confirm_form.html", status=status,
                  form=form, user=user)
