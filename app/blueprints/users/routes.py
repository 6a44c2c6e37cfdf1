from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from app.blueprints.users.forms import EmailChangeForm, EmailConfirmForm, PasswordChangeForm, ProfileForm
from app.services import accounts
from app.services.accounts.mail_tokens import InvalidToken
from app.services.errors import Conflict, Invalid, ServiceError
from app.services.mail import is_configured as mail_configured
from app.services.social.feeds import profile_feed
from app.services.social.people import get_visible_user
from app.web.auth import login_required
from app.web.context import current_origin, public_url
from app.web.forms import apply_errors, refused
from app.web.htmx import redirect_to, render
from app.web.uploads import upload_or_none
from app.web.work import unit_of_work

bp = Blueprint("users", __name__)


@bp.get("/u/<username>")
@unit_of_work
def show(username: str):
    user = get_visible_user(username, current_user)  # a block hides the profile both ways
    profile = accounts.profile_view(user, viewer=current_user)
    page = profile_feed(user, current_user)
    return render("posts/profile.html", "users/_profile_header.html", profile=profile, user=user,
                  feed=page, more_url=url_for("posts.profile_posts", username=user.username))


# No early body cap here (the API has one): an oversized avatar or banner is read (spooled to
# disk) up to the app's ceiling like a post's images, so that the form comes back as typed with
# the refusal beside its field rather than as a bare "too large" page.
@bp.route("/settings/profile", methods=["GET", "POST"])
@unit_of_work
@login_required
def edit():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                display_name=form.display_name.data,
                bio=form.bio.data,
                avatar=upload_or_none(form.avatar.data),
                banner=upload_or_none(form.banner.data),
                remove_avatar=form.remove_avatar.data,
                remove_banner=form.remove_banner.data,
                origin=current_origin(),
            )
        except ServiceError as exc:
            apply_errors(form, exc)
            return refused(render("users/edit.html", "users/_profile_form.html", form=form), exc)
        else:
            flash("Your profile is saved.", "success")
            return redirect_to(url_for("users.show", username=current_user.username))
    status = 422 if form.is_submitted() else 200
    return render("users/edit.html", "users/_profile_form.html", status=status, form=form)


@bp.route("/settings/password", methods=["GET", "POST"])
@unit_of_work
@login_required
def edit_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data,
                                     keep_session=current_user.auth_session_id, origin=current_origin())
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash("Your password is changed. Every other device is signed out.", "success")
            return redirect_to(url_for("users.edit_password"))
    status = 422 if form.is_submitted() else 200
    return render("users/password.html", "users/_password_form.html", status=status, form=form)


@bp.route("/settings/email", methods=["GET", "POST"])
@unit_of_work
@login_required
def edit_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:  # without mail the service's 503 says so plainly, as an error page
            address = accounts.request_email_change(current_user, form.current_password.data, form.email.data,
                                                    link=public_url("users.confirm_email"), origin=current_origin())
        except (Invalid, Conflict) as exc:
            apply_errors(form, exc)
        else:
            flash(f"We sent a link to {address}. Your email address changes when you open it.", "success")
            return redirect_to(url_for("users.edit_email"))
    status = 422 if form.is_submitted() else 200
    return render("users/email.html", "users/_email_form.html", status=status, form=form,
                  mail_on=mail_configured(), pending=accounts.pending_email_change(current_user))


@bp.route("/settings/email/confirm", methods=["GET", "POST"])
@unit_of_work
@login_required
def confirm_email():
    form = EmailConfirmForm()
    if request.method == "GET":
        form.token.data = request.args.get("token")
    try:
        change = accounts.email_change_for(current_user, form.token.data)
    except InvalidToken as exc:
        return render("users/email_confirm.html", "users/_email_confirm_form.html",
                      status=422 if form.is_submitted() else 400, form=form, invalid=exc.message)
    if form.validate_on_submit():
        try:
            address = accounts.confirm_email_change(current_user, form.token.data, origin=current_origin())
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(f"Your email address is now {address}.", "success")
            return redirect_to(url_for("users.edit_email"))
    status = 422 if form.is_submitted() else 200
    return render("users/email_confirm.html", "users/_email_confirm_form.html", status=status, form=form,
                  change=change)
