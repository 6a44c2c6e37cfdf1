"""JSON API of the marketplace (api.md): items, reviews and favorites."""

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services import accounts
from app.services import items as item_service
from app.services.errors import Invalid
from app.services.items import catalog, views
from app.services.items.catalog import ItemInput
from app.services.items.favorites import list_favorites, set_favorite
from app.services.items.reviews import create_review, list_reviews
from app.services.items.search import search_items
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.forms import json_body
from app.web.limits import write_limit
from app.web.uploads import upload_or_none
from app.web.work import unit_of_work

api_bp = Blueprint("items_api", __name__, url_prefix="/api")

ITEM_FIELDS = ("kind", "title", "description", "tags", "pricing", "price_cents")


def _list(data, name: str) -> list:
    """A list field: a JSON array, or repeated multipart/form fields."""
    if request.is_json:
        value = data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise Invalid(f"{name} must be a list.", code="validation_failed", fields={name: "Must be a list."})
        return value
    return request.form.getlist(name)


def _item_input(data: dict) -> ItemInput:
    files = [f for f in request.files.getlist("files") if upload_or_none(f)]
    pages = [f for f in request.files.getlist("pages") if upload_or_none(f)]
    publish = data.get("publish", True)
    return ItemInput(
        body=data.get("body_html", data.get("body_markdown")),
        body_format="html" if "body_html" in data else "markdown",
        files=files, pages=pages, alts=[str(a) for a in _list(data, "alts")],
        transcripts=[str(t) for t in _list(data, "transcripts")],
        page_numbers=_list(data, "page_numbers"), chapter_title=data.get("chapter_title"),
        free_pages=data.get("free_pages"), cover=upload_or_none(request.files.get("cover")),
        publish=publish not in (False, "false", "0", 0),
    )


def _fields(data: dict) -> dict:
    fields = {k: data[k] for k in ITEM_FIELDS if k in data}
    if not request.is_json and "tags" in fields:
        fields["tags"] = request.form.getlist("tags") if len(request.form.getlist("tags")) > 1 else fields["tags"]
    return fields


def _item_reply(item, status: int = 200):
    view = views.read_item(item, current_user)  # the API hands over a writing's whole text
    return jsonify(item=views.serialize_item(item, current_user), content=view.content,
                   preview=view.preview, locked=view.locked), status


@api_bp.post("/items/create")
@unit_of_work
@login_required
@write_limit
def create():
    data = json_body()
    item = catalog.create_item(current_user, _fields(data), _item_input(data), origin=current_origin())
    return jsonify(item=views.serialize_item(item, current_user)), 201


@api_bp.get("/items/<item_id>")
@unit_of_work
def show(item_id: str):
    item = item_service.get_item_or_404(item_id, current_user)
    return _item_reply(item)


@api_bp.put("/items/<item_id>")
@unit_of_work
@login_required
@write_limit
def update(item_id: str):
    item = item_service.get_item_for_edit(item_id, current_user)
    data = json_body()
    item_input = _item_input(data)
    item_input.publish = None if "publish" not in data else item_input.publish
    catalog.update_item(item, current_user, _fields(data), item_input, origin=current_origin())
    return jsonify(item=views.serialize_item(item, current_user))


@api_bp.delete("/items/<item_id>")
@unit_of_work
@login_required
@write_limit
def destroy(item_id: str):
    item = item_service.get_item_for_edit(item_id, current_user)
    catalog.delete_item(item, current_user, origin=current_origin())
    return "", 204


@api_bp.get("/items")
@unit_of_work
def index():
    args = request.args
    creator_id = None
    if args.get("creator"):
        creator_id = accounts.get_user_by_username(args["creator"]).id
    kind = args.get("kind") or None
    if kind and kind not in ("download", "writing", "art", "comic"):
        raise Invalid("Unknown kind.", code="validation_failed", fields={"kind": "download, writing, art or comic."})
    page = search_items(current_user, q=args.get("q"), kind=kind, tag=args.get("tag"), creator_id=creator_id,
                        sort=args.get("sort", "new"), cursor=args.get("cursor"), limit=args.get("limit"))
    return jsonify(items=views.serialize_items(page.items, current_user), next_cursor=page.next_cursor)


def _review_json(review) -> dict:
    return {"id": review.id, "item_id": review.item_id, "user_id": review.user_id, "rating": review.rating,
            "body": review.body, "created_at": review.created_at.isoformat()}


@api_bp.post("/items/<item_id>/reviews")
@unit_of_work
@login_required
@write_limit
def review(item_id: str):
    item = item_service.get_item_or_404(item_id, current_user)
    data = json_body()
    created = create_review(current_user, item, data.get("rating"), data.get("body"))
    return jsonify(review=_review_json(created), rating_avg=item.rating_avg, review_count=item.review_count), 201


@api_bp.get("/items/<item_id>/reviews")
@unit_of_work
def reviews(item_id: str):
    item = item_service.get_item_or_404(item_id, current_user)
    rows, next_cursor = list_reviews(item, cursor=request.args.get("cursor"), limit=request.args.get("limit"))
    return jsonify(reviews=[_review_json(r) for r in rows], next_cursor=next_cursor)


@api_bp.post("/items/<item_id>/favorite")
@api_bp.delete("/items/<item_id>/favorite")
@unit_of_work
@login_required
@write_limit
def favorite(item_id: str):
    item = item_service.get_item_or_404(item_id, current_user)
    state = set_favorite(current_user, item, request.method == "POST")
    return jsonify(favorited=state, favorite_count=item.favorite_count)


@api_bp.get("/favorites")
@unit_of_work
@login_required
def favorites():
    rows, next_cursor = list_favorites(current_user, cursor=request.args.get("cursor"),
                                       limit=request.args.get("limit"))
    return jsonify(items=views.serialize_items(rows, current_user), next_cursor=next_cursor)
