"""Threads: writing, reading, replying, liking, and moderating them."""

from flask import flash, request, url_for
from flask_login import current_user

from app.blueprints.communities.feedback import flash_unless_partial
from app.blueprints.communities.forms import PostForm, ReasonForm, ReplyForm
from app.blueprints.communities.routes import bp
from app.services.communities import moderation
from app.services.communities import threads as t
from app.services.errors import ServiceError
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render, wants_partial
from app.web.limits import write_limit
from app.web.work import unit_of_work

DONE = {"lock": "locked", "unlock": "unlocked", "pin": "pinned", "unpin": "unpinned"}


@bp.route("/<slug>/posts/new", methods=["GET", "POST"])
@unit_of_work
@login_required
@write_limit
def new_post(slug: str):
    community, _ = t.get_community_for(slug, current_user)
    t.require_poster(community, current_user)
    form = PostForm()
    if form.validate_on_submit():
        try:
            post = t.create_post(community, current_user, title=form.title.data, body=form.body.data)
        except ServiceError as exc:
            if exc.status in (403, 404):
                raise
            apply_errors(form, exc)
        else:
            return redirect_to(url_for("communities.show_post", slug=slug, post_id=post.id))
    status = 422 if form.is_submitted() else 200
    return render("communities/new_post.html", "communities/_post_form.html", status=status, form=form,
                  community=community)


def _thread_page(community, post, mine, *, reply_form=None, status=200, partial="communities/_thread.html"):
    """The thread, or its `partial` for HTMX; an empty reply box unless `reply_form` (refused) is given."""
    replies, next_cursor = t.list_replies(community, post, current_user, cursor=request.args.get("cursor"))
    authors = t.users_by_id([post.author_id] + [r.author_id for r in replies])
    liked = post.id in t.liked_post_ids(getattr(current_user, "id", None), [post.id])
    return render("communities/thread.html", partial, status=status, community=community, post=post, mine=mine,
                  replies=replies, next_cursor=next_cursor, authors=authors, liked=liked,
                  reply_form=reply_form or ReplyForm(formdata=None), reason_form=ReasonForm())


@bp.get("/<slug>/posts/<int:post_id>")
@unit_of_work
def show_post(slug: str, post_id: int):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    return _thread_page(community, post, mine)


@bp.post("/<slug>/posts/<int:post_id>/replies")
@unit_of_work
@login_required
@write_limit
def reply(slug: str, post_id: int):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    form = ReplyForm()
    try:
        created = t.create_reply(community, post, current_user, body=form.body.data)
    except ServiceError as exc:
        if exc.status != 400:
            raise
        apply_errors(form, exc)
        return _thread_page(community, post, mine, reply_form=form, status=422,
                            partial="communities/_replies.html")
    if wants_partial():
        return _thread_page(community, post, mine, partial="communities/_replies.html")
    return redirect_to(url_for("communities.show_post", slug=slug, post_id=post.id) + f"#reply-{created.id}")


@bp.post("/<slug>/posts/<int:post_id>/<any(like, unlike):action>")
@unit_of_work
@login_required
def like(slug: str, post_id: int, action: str):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    t.set_like(community, post, current_user, action == "like")
    if wants_partial():
        return _thread_page(community, post, mine, partial="communities/_like.html")
    return redirect_to(url_for("communities.show_post", slug=slug, post_id=post.id))


@bp.post("/<slug>/posts/<int:post_id>/<any(lock, unlock, pin, unpin):action>")
@unit_of_work
@login_required
def moderate_post(slug: str, post_id: int, action: str):
    community, mine = t.get_community_for(slug, current_user)
    change = moderation.set_locked if action in ("lock", "unlock") else moderation.set_pinned
    post = change(community, current_user, post_id, action in ("lock", "pin"), origin=current_origin())
    flash_unless_partial(f"Thread {DONE[action]}.")
    if wants_partial():
        return _thread_page(community, post, mine, partial="communities/_thread_head.html")
    return redirect_to(url_for("communities.show_post", slug=slug, post_id=post.id))


@bp.post("/<slug>/posts/<int:post_id>/remove")
@unit_of_work
@login_required
def remove_post(slug: str, post_id: int):
    community, _ = t.get_community_for(slug, current_user)
    moderation.remove_post(community, current_user, post_id, request.form.get("reason"), origin=current_origin())
    flash("Thread removed.", "success")
    return redirect_to(url_for("communities.show", slug=slug))


@bp.post("/<slug>/replies/<int:reply_id>/remove")
@unit_of_work
@login_required
def remove_reply(slug: str, reply_id: int):
    community, _ = t.get_community_for(slug, current_user)
    reply = moderation.remove_reply(community, current_user, reply_id, request.form.get("reason"),
                                    origin=current_origin())
    flash("Reply removed.", "success")
    return redirect_to(url_for("communities.show_post", slug=slug, post_id=reply.post_id))
