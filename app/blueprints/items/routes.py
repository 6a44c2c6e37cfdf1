"""Item pages: create, show, edit, delete, the comic reader, and signed file downloads."""

from flask import Blueprint, Response, abort, flash, request, send_file, url_for
from flask_login import current_user

from app.blueprints.items.forms import KIND_CHOICES, KIND_HINTS, ChapterForm, ItemForm, ReviewForm
from app.blueprints.items.inputs import blocks, chosen, item_fields, item_input, lines, place_errors
from app.models.items import KINDS
from app.services import items as item_service
from app.services.analytics.views import record_view
from app.services.errors import ServiceError
from app.services.ids import MAX_ID
from app.services.items import assets, catalog, plans, views
from app.services.items.catalog import ItemInput
from app.services.items.collections import list_collections
from app.services.items.content import editable_writing
from app.services.items.favorites import is_favorite
from app.services.items.files import content_disposition
from app.services.items.policies import viewer_id
from app.services.items.reviews import list_reviews, review_by
from app.services.media import storage
from app.services.numbers import to_int
from app.services.payments import refund_policy, refunds
from app.web.auth import login_required
from app.web.context import current_origin, current_viewer_key
from app.web.forms import refused
from app.web.htmx import redirect_to, render
from app.web.limits import write_limit
from app.web.work import unit_of_work

bp = Blueprint("items", __name__)


def _form_page(response, form, exc=None):
    """The item form shown again: with a refusal's status (app.web.forms.refused), else 422
    after a post and 200 when first shown."""
    if exc is not None:
        return refused(response, exc)
    response.status_code = 422 if form.is_submitted() else 200
    return response


@bp.route("/items/new", methods=["GET", "POST"])
@unit_of_work
@login_required
@write_limit
def new():
    """First the kind (a step of its own, so the form shows only that kind's fields, with or
    without JavaScript), then the form."""
    form = ItemForm()
    if request.method == "GET":
        form.kind.data = request.args.get("kind")
    kind = form.kind.data if form.kind.data in KINDS else None
    if kind is None and request.method == "GET":
        return render("items/new.html", "items/_kind_step.html", form=form, kind=None, kinds=KIND_CHOICES,
                      kind_hints=KIND_HINTS)
    form.for_kind(kind)
    error = None
    if form.validate_on_submit():
        try:
            item = catalog.create_item(current_user, item_fields(form), item_input(form, kind=None),
                                       origin=current_origin())
        except ServiceError as exc:
            error = exc
            place_errors(form, exc)
        else:
            flash("Published." if item.is_published else "Saved as a private draft.", "success")
            return redirect_to(url_for("items.show", item_id=item.id))
    return _form_page(render("items/new.html", "items/_form.html" if kind else "items/_kind_step.html", form=form,
                             item=None, kind=kind, kinds=KIND_CHOICES, kind_hints=KIND_HINTS,
                             plan=plans.get_plan(current_user.id)),
                      form, error)


@bp.get("/items/<int:item_id>")
@unit_of_work
def show(item_id: int):
    item = item_service.get_item_or_404(item_id, current_user)
    view = views.view_item(item, current_user)
    record_view("item", item.id, item.creator_id, current_viewer_key())
    return render("items/show.html", "items/_item.html", view=view, item=item,
                  review_form=ReviewForm(), **_page_context(item))


def _page_context(item) -> dict:
    reviews, _ = list_reviews(item, limit=20)
    return {
        "reviews": reviews,
        "people": views.users_by_id({item.creator_id} | {r.user_id for r in reviews}),
        "my_review": review_by(current_user, item),
        "favorited": is_favorite(current_user, item),
        "my_collections": list_collections(viewer_id(current_user), current_user) if viewer_id(current_user) else [],
        "plan": plans.get_plan(item.creator_id) if item.pricing == "subscription" else None,
        "my_purchase": refunds.latest_purchase(viewer_id(current_user), item.id) if item.pricing == "one_time" else None,
        "policy": refund_policy,
    }


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@unit_of_work
@login_required
@write_limit
def edit(item_id: int):
    item = item_service.get_item_for_edit(item_id, current_user)
    form = ItemForm(obj=item)
    form.for_kind(item.kind)
    if request.method == "GET":
        _fill_edit_form(form, item)
    error = None
    if form.validate_on_submit():
        try:
            catalog.update_item(item, current_user, item_fields(form, with_kind=False),
                                item_input(form, kind=item.kind, editing=True), origin=current_origin())
        except ServiceError as exc:
            error = exc
            place_errors(form, exc)
        else:
            flash("Saved.", "success")
            return redirect_to(url_for("items.show", item_id=item.id))
    return _form_page(render("items/edit.html", "items/_form.html", form=form, item=item, chapter_form=ChapterForm(),
                             plan=plans.get_plan(item.creator_id), **manage_context(item)), form, error)


def manage_context(item, *, error: ServiceError | None = None, notice: str | None = None) -> dict:
    """The edit page's list of images, files or chapters and pages (app/blueprints/items/manage.py)."""
    if item.kind == "writing":
        return {"manage": None, "asset_error": None, "asset_notice": None}
    doc = assets.ensure_uids(assets.load_content(item))
    return {"manage": assets.asset_rows(item, doc, current_user), "asset_error": error, "asset_notice": notice}


def edit_page(item, *, status: int, **context):
    """The whole edit page as first shown (a refused list action shows its error in it)."""
    form = ItemForm(formdata=None, obj=item)
    form.for_kind(item.kind)
    _fill_edit_form(form, item)
    return render("items/edit.html", status=status, form=form, item=item, chapter_form=ChapterForm(),
                  plan=plans.get_plan(item.creator_id), **context)


def _fill_edit_form(form, item) -> None:
    doc = catalog.get_content(item)
    form.tags.data = ", ".join(item.tags or [])
    form.price.data = f"{item.price_cents / 100:.2f}" if item.pricing == "one_time" else ""
    form.publish.data = item.is_published
    if item.kind == "writing":
        _fill_writing(form, editable_writing(doc))
    form.free_pages.data = str(doc.free_pages)


EDITOR_HTML_HINT = ("This piece was written with the editor, so its text is HTML here. The paragraph "
                    "<p>---paywall---</p> ends the free preview.")


def _fill_writing(form, writing) -> None:
    """The text as its creator can edit it again, paywall marker included: their Markdown in
    the textarea (the rich editor opens `data-editor-html`), or the editor's HTML."""
    form.body.data, form.body_format.data = writing.text, writing.body_format
    form.body.render_kw = {**(form.body.render_kw or {}), "data-editor-html": writing.editor_html}
    if writing.body_format == "html":
        form.body.description = EDITOR_HTML_HINT


@bp.post("/items/<int:item_id>/chapters")
@unit_of_work
@login_required
@write_limit
def add_chapter(item_id: int):
    item = item_service.get_item_for_edit(item_id, current_user)
    form = ChapterForm()
    if not form.validate_on_submit():
        abort(400)
    data = ItemInput(pages=chosen(form.pages.data), alts=lines(form.page_alts.data),
                     transcripts=blocks(form.transcripts.data), chapter_title=form.chapter_title.data)
    catalog.add_comic_chapter(item, current_user, data, origin=current_origin())
    flash("Chapter added.", "success")
    return redirect_to(url_for("items.show", item_id=item.id))


@bp.post("/items/<int:item_id>/delete")
@unit_of_work
@login_required
def destroy(item_id: int):
    item = item_service.get_item_for_edit(item_id, current_user)
    catalog.delete_item(item, current_user, origin=current_origin())
    flash("Deleted. Buyers keep what they bought.", "success")
    return redirect_to(url_for("items.shop", username=current_user.username))


@bp.get("/items/<int:item_id>/read")
@unit_of_work
def read(item_id: int):
    item = item_service.get_item_or_404(item_id, current_user)
    if item.kind == "writing":
        view = views.read_item(item, current_user)
        return render("items/read_writing.html", view=view, item=item, creator=views.users_by_id({item.creator_id})
                      .get(item.creator_id), plan=plans.get_plan(item.creator_id) if view.locked else None)
    if item.kind != "comic":
        abort(404)
    view = views.view_item(item, current_user)
    chapter = to_int(request.args.get("chapter", "1"), minimum=0, maximum=MAX_ID)
    page = to_int(request.args.get("page", "1"), minimum=0, maximum=MAX_ID)
    if chapter is None or page is None:
        abort(404)
    position = views.comic_position(view, chapter, page)
    if not position:
        abort(404)
    return render("items/read.html", "items/_reader.html", view=view, item=item, pos=position)


@bp.get("/items/files/<token>")
@unit_of_work
def file(token: str):
    signed = views.open_item_file(token, current_user)
    store = storage()
    if store.mode == "local":
        path = store.path(signed.key)
        if not path.is_file():
            abort(404)
        response = send_file(path, mimetype=_mimetype(signed), conditional=True, max_age=0)
    else:
        response = Response(store.read(signed.key), mimetype=_mimetype(signed))
    response.headers["Content-Disposition"] = content_disposition(signed.name, inline=signed.inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _mimetype(signed) -> str:
    # Only re-encoded WebP images are shown inline; everything else is an opaque download.
    if signed.inline and signed.key.endswith(".webp"):
        return "image/webp"
    return "application/octet-stream"
