"""Reviews, favorites and collections from item pages."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from app.blueprints.items.forms import CollectionForm, ReviewForm
from app.blueprints.items.routes import bp
from app.services import items as item_service
from app.services.errors import ServiceError
from app.services.items import collections, views
from app.services.items.favorites import list_favorites, set_favorite
from app.services.items.reviews import create_review
from app.web.auth import login_required
from app.web.forms import apply_errors
from app.web.htmx import is_htmx, redirect_to, render
from app.web.limits import write_limit
from app.web.work import unit_of_work


@bp.post("/items/<int:item_id>/reviews")
@unit_of_work
@login_required
@write_limit
def review(item_id: int):
    item = item_service.get_item_or_404(item_id, current_user)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        create_review(current_user, item, form.rating.data, form.body.data)
    except ServiceError as exc:
        if exc.status not in (400, 403, 409):
            raise
        apply_errors(form, exc)
        return render("items/review_error.html", "items/_review_form.html", status=exc.status,
                      item=item, review_form=form, my_review=None)
    flash("Thank you for your review.", "success")
    return redirect_to(url_for("items.show", item_id=item.id) + "#reviews")


@bp.post("/items/<int:item_id>/favorite")
@unit_of_work
@login_required
@write_limit
def favorite(item_id: int):
    item = item_service.get_item_or_404(item_id, current_user)
    state = set_favorite(current_user, item, request.form.get("favorite") == "1")
    if not is_htmx():
        return redirect_to(url_for("items.show", item_id=item.id))
    return render("items/_favorite.html", "items/_favorite.html", item=item, favorited=state)


@bp.route("/collections", methods=["GET", "POST"])
@unit_of_work
@login_required
def my_collections():
    form = CollectionForm()
    if form.validate_on_submit():
        try:
            collection = collections.create_collection(current_user, form.name.data, form.is_public.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            return redirect_to(url_for("items.collection", collection_id=collection.id))
    status = 422 if form.is_submitted() else 200
    return render("market/collections.html", "market/_collection_form.html", status=status, form=form,
                  collections=collections.list_collections(current_user.id, current_user))


@bp.get("/collections/<int:collection_id>")
@unit_of_work
def collection(collection_id: int):
    found = collections.get_collection(collection_id, current_user)
    items = collections.collection_items(found, current_user)
    return render("market/collection.html", "market/_collection_items.html", collection=found,
                  items=items, people=views.creators_by_id(items))


@bp.post("/collections/items")
@unit_of_work
@login_required
def collect_from_item():
    """The item page's "Add to" form, naming the collection in the body."""
    found = collections.get_own_collection(request.form.get("collection_id", ""), current_user)
    item = item_service.get_item_or_404(request.form.get("item_id", ""), current_user)
    collections.add_to_collection(found, item)
    flash(f"Added to {found.name}.", "success")
    return redirect_to(url_for("items.show", item_id=item.id))


@bp.get("/favorites")
@unit_of_work
@login_required
def favorites():
    rows, next_cursor = list_favorites(current_user, cursor=request.args.get("cursor"), limit=48)
    return render("market/favorites.html", "market/_collection_items.html", items=rows,
                  people=views.creators_by_id(rows), next_cursor=next_cursor)


@bp.post("/collections/<int:collection_id>/items")
@unit_of_work
@login_required
def collect(collection_id: int):
    found = collections.get_own_collection(collection_id, current_user)
    item = item_service.get_item_or_404(request.form.get("item_id", ""), current_user)
    if request.form.get("remove") == "1":
        collections.remove_from_collection(found, item.id)
    else:
        collections.add_to_collection(found, item)
    return redirect_to(request.form.get("back") if request.form.get("back", "").startswith("/items/")
                       else url_for("items.collection", collection_id=found.id))
