"""JSON API: /api/posts (api.md)."""

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services.accounts import users_by_id
from app.services.errors import NotFound
from app.services.social import feeds, posts
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.forms import json_body, text_field
from app.web.limits import write_limit
from app.web.uploads import upload_or_none
from app.web.work import read_only, unit_of_work

api_bp = Blueprint("posts_api", __name__, url_prefix="/api/posts")


def page_json(page: feeds.Page):
    return jsonify(posts=[posts.serialize_post(e.post, e.author, liked=e.liked, author_counts=e.counts)
                          for e in page.entries], next_cursor=page.next_cursor)


@api_bp.post("/create")
@unit_of_work
@login_required
@write_limit
def create():
    data = json_body()
    uploads = request.files.getlist("images")
    alts = request.form.getlist("alt_texts") or request.form.getlist("alt")
    images = [posts.ImageUpload(f, alts[i] if i < len(alts) else "") for i, f in enumerate(uploads)
              if upload_or_none(f)]
    post = posts.create_post(
        current_user,
        text_field(data, "body", required=True, max_length=100_000),
        content_warning=text_field(data, "content_warning", max_length=100_000),
        images=images,
        origin=current_origin(),
    )
    return jsonify(post=posts.serialize_post(post, current_user, liked=False)), 201


@api_bp.get("/feed")
@read_only
@login_required
def feed():
    args = request.args
    return page_json(feeds.home_feed(current_user, cursor=args.get("cursor"), limit=args.get("limit"),
                                     with_counts=True))


@api_bp.get("/explore")
@read_only
def explore():
    args = request.args
    return page_json(feeds.explore_feed(current_user, cursor=args.get("cursor"), limit=args.get("limit"),
                                        with_counts=True))


@api_bp.get("/<int:post_id>")
@unit_of_work
def show(post_id: int):
    post = posts.get_post(post_id, current_user)
    author = users_by_id([post.author_id]).get(post.author_id)
    if author is None:
        raise NotFound("No such post.")
    uid = current_user.id if current_user.is_authenticated else None
    return jsonify(post=posts.serialize_post(post, author, liked=posts.is_liked(uid, post.id)))


@api_bp.delete("/<int:post_id>")
@unit_of_work
@login_required
def destroy(post_id: int):
    posts.delete_post(current_user, post_id, origin=current_origin())
    return "", 204
