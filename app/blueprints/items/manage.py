"""The edit page's list of images, files, comic pages and chapters: remove, move up or down,
change the alt text. Plain forms (303 back to the edit page); with HTMX the list is swapped
in place. Only the creator reaches these routes: everyone else gets 404."""

from flask import flash, request, url_for
from flask_login import current_user

from app.blueprints.items.routes import bp, edit_page, manage_context
from app.extensions import db
from app.services.errors import ServiceError
from app.services.items import assets
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.htmx import redirect_to, render, wants_partial
from app.web.limits import write_limit
from app.web.work import unit_of_work


def _answer(item, action):
    """Run `action`; the list again (HTMX) or a redirect to the edit page, or the refusal
    with the current list: 422 for HTMX (swapped in place), the error's status otherwise."""
    try:
        notice = action()
    except ServiceError as exc:
        db.session.rollback()
        if wants_partial():
            return render("items/_manage.html", status=422, item=item, **manage_context(item, error=exc))
        return edit_page(item, status=exc.status, **manage_context(item, error=exc))
    if wants_partial():
        return render("items/_manage.html", item=item, **manage_context(item, notice=notice))
    flash(notice, "success")
    return redirect_to(url_for("items.edit", item_id=item.id) + "#item-assets")


def _moved(moved: bool, direction: str, what: str) -> str:
    if not moved:
        return f"The {what} is already {'first' if direction == 'up' else 'last'}."
    return f"Moved the {what} {direction}."


@bp.post("/items/<int:item_id>/assets/<asset_id>/remove")
@unit_of_work
@login_required
@write_limit
def remove_asset(item_id: int, asset_id: str):
    item = assets.get_item_for_assets(item_id, current_user)

    def action():
        assets.remove_asset(item, current_user, asset_id, origin=current_origin())
        return f"Removed the {assets.WHAT[item.kind]}."
    return _answer(item, action)


@bp.post("/items/<int:item_id>/assets/<asset_id>/move")
@unit_of_work
@login_required
@write_limit
def move_asset(item_id: int, asset_id: str):
    item = assets.get_item_for_assets(item_id, current_user)
    direction = request.form.get("direction", "")

    def action():
        moved = assets.move_asset(item, current_user, asset_id, direction, request.form.get("position"))
        return _moved(moved, direction, assets.WHAT[item.kind])
    return _answer(item, action)


@bp.post("/items/<int:item_id>/assets/<asset_id>/alt")
@unit_of_work
@login_required
@write_limit
def asset_alt(item_id: int, asset_id: str):
    item = assets.get_item_for_assets(item_id, current_user)

    def action():
        assets.set_alt(item, current_user, asset_id, request.form.get("alt"), request.form.get("transcript"))
        return "Saved the alt text."
    return _answer(item, action)


@bp.post("/items/<int:item_id>/chapters/<chapter_id>/remove")
@unit_of_work
@login_required
@write_limit
def remove_chapter(item_id: int, chapter_id: str):
    item = assets.get_item_for_assets(item_id, current_user)

    def action():
        assets.remove_chapter(item, current_user, chapter_id, origin=current_origin())
        return "Removed the chapter and its pages."
    return _answer(item, action)


@bp.post("/items/<int:item_id>/chapters/<chapter_id>/move")
@unit_of_work
@login_required
@write_limit
def move_chapter(item_id: int, chapter_id: str):
    item = assets.get_item_for_assets(item_id, current_user)
    direction = request.form.get("direction", "")

    def action():
        moved = assets.move_chapter(item, current_user, chapter_id, direction, request.form.get("position"))
        return _moved(moved, direction, "chapter")
    return _answer(item, action)
