from flask import flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import SigninForm, SignoutForm, SignupForm
from app.services import accounts
from app.services.errors import ServiceError
from app.web.auth import login_required, safe_next
from app.web.context import current_origin
from app.web.devices import device_token, remember_device
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render
from app.web.limits import signin_limit, signup_limit
from app.web.work import unit_of_work


def _sign_in(user, remember: bool) -> None:
    session.clear()  # a fresh session (and CSRF token) for every sign-in
    accounts.start_session(user, kind="web", remember=remember, origin=current_origin())
    login_user(user)
    session.permanent = remember


@bp.route("/signup", methods=["GET", "POST"])
@unit_of_work
@signup_limit
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
@signin_limit
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
