"""Pages: follow and unfollow, follower lists, block and mute (each explained before it is
taken), and the settings pages that list my blocks and mutes."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app.blueprints.posts.forms import ActionForm
from app.services import accounts
from app.services.accounts import get_user_by_username
from app.services.social import blocks, follows, mutes
from app.services.social.people import get_visible_user
from app.web.auth import login_required, safe_next
from app.web.htmx import redirect_to, render, wants_partial
from app.web.limits import write_limit
from app.web.work import unit_of_work

bp = Blueprint("social", __name__)


def _checked_form() -> ActionForm:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.post("/u/<username>/follow")
@unit_of_work
@login_required
@write_limit
def follow(username: str):
    return _follow(username, follows.follow_user)


@bp.post("/u/<username>/unfollow")
@unit_of_work
@login_required
@write_limit
def unfollow(username: str):
    return _follow(username, follows.unfollow_user)


def _follow(username: str, action):
    form = _checked_form()
    user = get_visible_user(username, current_user)
    action(current_user, user)
    if wants_partial():
        profile = accounts.profile_view(user, viewer=current_user)
        return render("social/_follow_button.html", user=user, profile=profile)
    return redirect_to(safe_next(form.next.data) or url_for("users.show", username=user.username))


@bp.get("/u/<username>/<any(followers, following):direction>")
@unit_of_work
def follow_list(username: str, direction: str):
    user = get_visible_user(username, current_user)
    people, next_cursor = follows.list_follows(user, direction, current_user, cursor=request.args.get("cursor"))
    return render("social/follow_list.html", "social/_people_page.html", user=user, people=people,
                  direction=direction, next_cursor=next_cursor)


@bp.route("/u/<username>/block", methods=["GET", "POST"])
@unit_of_work
@login_required
def block(username: str):
    user = get_user_by_username(username)
    if request.method == "POST":
        _checked_form()
        blocks.block_user(current_user, user)
        flash(f"You blocked @{user.username}.", "info")
        return redirect_to(url_for("social.blocked"))
    return render("social/confirm.html", "social/_confirm.html", user=user, action="block", form=ActionForm())


@bp.route("/u/<username>/mute", methods=["GET", "POST"])
@unit_of_work
@login_required
def mute(username: str):
    user = get_visible_user(username, current_user)
    if request.method == "POST":
        _checked_form()
        mutes.mute_user(current_user, user)
        flash(f"You muted @{user.username}. They will not be told.", "info")
        return redirect_to(url_for("social.muted"))
    return render("social/confirm.html", "social/_confirm.html", user=user, action="mute", form=ActionForm())


@bp.get("/settings/blocks")
@unit_of_work
@login_required
def blocked():
    return render("social/blocked.html", people=blocks.list_blocked(current_user), form=ActionForm())


@bp.post("/settings/blocks/<int:user_id>/delete")
@unit_of_work
@login_required
def unblock(user_id: int):
    _checked_form()
    blocks.unblock_user(current_user, user_id)
    flash("Unblocked. You can see each other again; earlier follows are not restored.", "info")
    return redirect_to(url_for("social.blocked"))


@bp.get("/settings/mutes")
@unit_of_work
@login_required
def muted():
    return render("social/muted.html", people=mutes.list_muted(current_user), form=ActionForm())


@bp.post("/settings/mutes/<int:user_id>/delete")
@unit_of_work
@login_required
def unmute(user_id: int):
    _checked_form()
    mutes.unmute_user(current_user, user_id)
    flash("Unmuted. Their posts come back to your feeds.", "info")
    return redirect_to(url_for("social.muted"))
