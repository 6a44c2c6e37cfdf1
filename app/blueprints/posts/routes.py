"""Pages: feeds, a post with its comments, writing and deleting posts and comments, likes."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app.blueprints.posts.forms import ActionForm, CommentForm, PostForm
from app.services import accounts
from app.services.accounts import users_by_id
from app.services.analytics.views import record_view
from app.services.errors import ServiceError
from app.services.home import home_side
from app.services.social import comments, feeds, likes, posts
from app.services.social.people import get_visible_user
from app.services.social.suggestions import suggest_people
from app.web.auth import login_required, safe_next
from app.web.context import current_origin, current_viewer_key
from app.web.forms import apply_errors, refused
from app.web.htmx import redirect_to, render, wants_partial
from app.web.limits import write_limit
from app.web.uploads import upload_or_none
from app.web.work import READ_BINDS, read_only, unit_of_work

bp = Blueprint("posts", __name__)

# The home page also reads the member's communities on every visit (its side column).
HOME_BINDS = (*READ_BINDS, "community")


def _feed(page_template: str, page, **context):
    return render(page_template, "posts/_feed_page.html", feed=page, **context)


@bp.get("/home")
@read_only(binds=HOME_BINDS)
@login_required
def home():
    page = feeds.home_feed(current_user, cursor=request.args.get("cursor"))
    if wants_partial():  # the next page of cards: no form
        return _feed("posts/home.html", page, more_url=url_for("posts.home"))
    return home_page(page)


def home_page(page=None):
    """The home feed's whole page with the composer and the side column; `/` shows it too."""
    page = page or feeds.home_feed(current_user)
    return render("posts/home.html", feed=page, post_form=PostForm(formdata=None), more_url=url_for("posts.home"),
                  side=home_side(current_user))


@bp.get("/explore")
@read_only
def explore():
    page = feeds.explore_feed(current_user, cursor=request.args.get("cursor"))
    if wants_partial() or not current_user.is_authenticated:
        return _feed("posts/explore.html", page, more_url=url_for("posts.explore"))
    return _feed("posts/explore.html", page, more_url=url_for("posts.explore"),
                 people=suggest_people(current_user, limit=5))


@bp.get("/u/<username>/posts")
@read_only
def profile_posts(username: str):
    user = get_visible_user(username, current_user)
    page = feeds.profile_feed(user, current_user, cursor=request.args.get("cursor"))
    profile = accounts.profile_view(user, viewer=current_user)
    return _feed("posts/profile.html", page, user=user, profile=profile,
                 more_url=url_for("posts.profile_posts", username=user.username))


@bp.post("/posts")
@unit_of_work
@login_required
@write_limit
def create():
    form = PostForm()
    if form.validate_on_submit():
        images = [posts.ImageUpload(upload, alt) for upload, alt in form.image_pairs() if upload_or_none(upload)]
        try:
            post = posts.create_post(current_user, form.body.data, content_warning=form.content_warning.data,
                                     images=images, origin=current_origin())
        except ServiceError as exc:
            apply_errors(form, exc)
            return refused(render("posts/new.html", "posts/_post_form.html", form=form), exc)
        if wants_partial():
            entry = feeds.Entry(post=post, author=current_user)
            return render("posts/new.html", "posts/_post_created.html", form=PostForm(formdata=None), entry=entry)
        flash("Your post is up.", "success")
        return redirect_to(url_for("posts.home"))
    return render("posts/new.html", "posts/_post_form.html", status=422, form=form)


@bp.get("/posts/<int:post_id>")
@unit_of_work
def show(post_id: int):
    post = posts.get_post(post_id, current_user)
    if not request.args.get("cursor"):
        record_view("post", post.id, post.author_id, current_viewer_key())
    entries, next_cursor = comments.list_comments(post.id, current_user, cursor=request.args.get("cursor"),
                                                   limit=50)
    entry = _entry(post)
    context = {"entry": entry, "comments": entries, "next_cursor": next_cursor, "form": CommentForm()}
    if request.args.get("cursor"):
        return render("posts/show.html", "posts/_comments_page.html", **context)
    return render("posts/show.html", "posts/_post.html", **context)


def _entry(post):
    author = users_by_id([post.author_id]).get(post.author_id) or abort(404)
    uid = current_user.id if current_user.is_authenticated else None
    return feeds.Entry(post=post, author=author, liked=posts.is_liked(uid, post.id))


@bp.post("/posts/<int:post_id>/delete")
@unit_of_work
@login_required
def destroy(post_id: int):
    if ActionForm().validate_on_submit():
        posts.delete_post(current_user, post_id, origin=current_origin())
        flash("Your post is deleted.", "info")
    return redirect_to(url_for("posts.home"))


@bp.post("/posts/<int:post_id>/like")
@unit_of_work
@login_required
@write_limit
def like(post_id: int):
    return _like(post_id, likes.like_post)


@bp.post("/posts/<int:post_id>/unlike")
@unit_of_work
@login_required
@write_limit
def unlike(post_id: int):
    return _like(post_id, likes.unlike_post)


def _like(post_id: int, action):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    result = action(current_user, post_id)
    if wants_partial():
        return render("posts/_like_button.html", post_id=post_id, liked=result["liked"],
                      like_count=result["like_count"], next_url=form.next.data)
    return redirect_to(safe_next(form.next.data) or url_for("posts.show", post_id=post_id))


@bp.post("/posts/<int:post_id>/comments")
@unit_of_work
@login_required
@write_limit
def comment(post_id: int):
    form = CommentForm()
    if form.validate_on_submit():
        try:
            created = comments.add_comment(current_user, post_id, form.body.data)
        except ServiceError as exc:
            if exc.status == 404:
                raise
            apply_errors(form, exc)
        else:
            if wants_partial():
                return _comment_created(created)
            return redirect_to(url_for("posts.show", post_id=post_id, _anchor=f"comment-{created.id}"))
    post = posts.get_post(post_id, current_user)
    return render("posts/comment_new.html", "posts/_comment_form.html", status=422, form=form, post=post)


def _comment_created(comment):
    """For HTMX: an empty form, the comment on top of the list, the counts moved on."""
    entry = _entry(posts.get_post(comment.post_id, current_user))
    return render("posts/comment_new.html", "posts/_comment_created.html", form=CommentForm(formdata=None),
                  post=entry.post, entry=entry, c=comments.CommentEntry(comment, current_user))


@bp.post("/comments/<int:comment_id>/delete")
@unit_of_work
@login_required
def destroy_comment(comment_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    post_id = comments.delete_comment(current_user, comment_id)
    flash("The comment is deleted.", "info")
    return redirect_to(url_for("posts.show", post_id=post_id))
