"""Community pages: the directory, creating and editing, the community page, membership."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from app.blueprints.communities.feedback import flash_unless_partial
from app.blueprints.communities.forms import CommunityForm, EditCommunityForm
from app.services.communities import directory, membership, policies
from app.services.communities.threads import get_community_for, list_posts, users_by_id
from app.services.errors import NotAllowed, ServiceError
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.forms import apply_errors, refused
from app.web.htmx import redirect_to, render, wants_partial
from app.web.limits import write_limit
from app.web.uploads import upload_or_none
from app.web.work import unit_of_work

bp = Blueprint("communities", __name__, url_prefix="/communities")


@bp.get("")
@unit_of_work
def index():
    q, sort = request.args.get("q", ""), request.args.get("sort", "active")
    communities, next_cursor = directory.list_communities(q=q, sort=sort, cursor=request.args.get("cursor"))
    return render("communities/index.html", "communities/_directory.html", communities=communities,
                  next_cursor=next_cursor, q=q, sort=sort if sort in directory.SORTS else "active")


@bp.route("/new", methods=["GET", "POST"])
@unit_of_work
@login_required
@write_limit
def new():
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = directory.create_community(
                current_user, name=form.name.data, slug=form.slug.data, description=form.description.data,
                visibility=form.visibility.data, icon=upload_or_none(form.icon.data),
                banner=upload_or_none(form.banner.data), origin=current_origin())
        except ServiceError as exc:
            apply_errors(form, exc)
            return refused(render("communities/new.html", "communities/_community_form.html", form=form), exc)
        else:
            flash("Your community is ready.", "success")
            return redirect_to(url_for("communities.show", slug=community.slug))
    status = 422 if form.is_submitted() else 200
    return render("communities/new.html", "communities/_community_form.html", status=status, form=form)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@unit_of_work
@login_required
def edit(slug: str):
    community, mine = get_community_for(slug, current_user)
    form = EditCommunityForm(obj=community)
    if form.validate_on_submit():
        try:
            directory.update_community(community, current_user, name=form.name.data,
                                       description=form.description.data, icon=upload_or_none(form.icon.data),
                                       banner=upload_or_none(form.banner.data), origin=current_origin())
        except ServiceError as exc:
            if exc.status in (403, 404):
                raise
            apply_errors(form, exc)
            return refused(render("communities/edit.html", "communities/_edit_form.html", form=form,
                                  community=community), exc)
        else:
            flash("Saved.", "success")
            return redirect_to(url_for("communities.show", slug=community.slug))
    elif not policies.can_edit_community(mine):
        raise NotAllowed("Only the owner edits the community.")
    status = 422 if form.is_submitted() else 200
    return render("communities/edit.html", "communities/_edit_form.html", status=status, form=form,
                  community=community)


@bp.get("/<slug>")
@unit_of_work
def show(slug: str):
    community, mine = get_community_for(slug, current_user, content=False)
    posts, next_cursor = [], None
    if policies.can_view_content(community, mine):
        posts, next_cursor = list_posts(community, current_user, cursor=request.args.get("cursor"))
    return render("communities/show.html", "communities/_threads.html", community=community, mine=mine,
                  posts=posts, next_cursor=next_cursor, authors=users_by_id(p.author_id for p in posts))


def _membership_changed(community):
    """For HTMX the buttons, the member count and "New thread" (communities/_membership_changed.html);
    the community page otherwise."""
    if wants_partial():
        mine = membership.get_membership(community.id, current_user.id)
        return render("communities/show.html", "communities/_membership_changed.html", community=community,
                      mine=mine)
    return redirect_to(url_for("communities.show", slug=community.slug))


@bp.post("/<slug>/join")
@unit_of_work
@login_required
@write_limit
def join(slug: str):
    community = membership.get_community_by_slug(slug)
    joined = membership.join_community(community, current_user)
    flash_unless_partial("Welcome in." if joined.status == "active" else "Your request was sent to the moderators.")
    return _membership_changed(community)


@bp.post("/<slug>/leave")
@unit_of_work
@login_required
def leave(slug: str):
    community = membership.get_community_by_slug(slug)
    was_member = membership.is_member(community.id, current_user.id)
    membership.leave_community(community, current_user)
    if was_member and community.visibility == "private":  # its threads go too: a page without them
        flash(f"You left {community.name}.", "success")
        return redirect_to(url_for("communities.show", slug=community.slug))
    flash_unless_partial(f"You left {community.name}.")
    return _membership_changed(community)
