"""Browsing: the marketplace, a creator's shop, and the creator's subscription plan."""

from flask import flash, request, url_for
from flask_login import current_user

from app.blueprints.items.forms import PlanForm
from app.blueprints.items.routes import bp
from app.models.items import KINDS
from app.services import accounts
from app.services.errors import NotFound, ServiceError
from app.services.items import plans, views
from app.services.items.policies import is_subscribed
from app.services.items.search import search_items
from app.services.items.validation import parse_dollars
from app.services.social.blocks import is_blocked_between
from app.web.auth import login_required, safe_next
from app.web.context import current_origin
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render
from app.web.work import unit_of_work


def _filters() -> dict:
    args = request.args
    kind = args.get("kind") if args.get("kind") in KINDS else None
    return {"q": args.get("q", "")[:200], "kind": kind, "tag": args.get("tag", "")[:32] or None,
            "sort": args.get("sort") if args.get("sort") in ("new", "popular") else "new",
            "cursor": args.get("cursor") or None}


def _next_url(endpoint: str, endpoint_args: dict, filters: dict, page) -> str | None:
    if not page.next_cursor:
        return None
    args = {k: v for k, v in filters.items() if v and k != "cursor"}
    return url_for(endpoint, **endpoint_args, **args, cursor=page.next_cursor)


@bp.get("/market")
@unit_of_work
def market():
    filters = _filters()
    page = search_items(current_user, **filters, limit=24)
    return render("market/index.html", "market/_results.html", results=page, filters=filters,
                  people=views.creators_by_id(page.items), endpoint="items.market", endpoint_args={},
                  next_url=_next_url("items.market", {}, filters, page))


@bp.get("/creators/<username>")
@unit_of_work
def shop(username: str):
    creator = accounts.get_user_by_username(username)
    viewer_id = current_user.id if current_user.is_authenticated else None
    if is_blocked_between(viewer_id, creator.id):
        raise NotFound("No such user.")
    filters = _filters()
    page = search_items(current_user, **filters, creator_id=creator.id, limit=24, include_drafts=True)
    return render("market/shop.html", "market/_results.html", results=page, filters=filters, creator=creator,
                  people={creator.id: creator}, plan=plans.get_plan(creator.id),
                  subscribed=is_subscribed(current_user, creator.id),
                  endpoint="items.shop", endpoint_args={"username": creator.username},
                  next_url=_next_url("items.shop", {"username": creator.username}, filters, page))


@bp.route("/settings/shop", methods=["GET", "POST"])
@unit_of_work
@login_required
def plan_settings():
    plan = plans.get_plan(current_user.id)
    form = PlanForm()
    back = safe_next(request.args.get("next"))  # the item form that sent the creator here
    if request.method == "GET" and plan:
        form.price.data = f"{plan.monthly_price_cents / 100:.2f}"
    if form.validate_on_submit():
        try:
            plans.set_plan(current_user, parse_dollars(form.price.data), origin=current_origin())
        except ServiceError as exc:
            exc.fields = {"price": exc.fields["monthly_price_cents"]} if exc.fields else {}
            apply_errors(form, exc)
        else:
            flash("Your subscription plan is saved.", "success")
            return redirect_to(back or url_for("items.plan_settings"))
    status = 422 if form.is_submitted() else 200
    return render("market/plan.html", "market/_plan_form.html", status=status, form=form, plan=plan, back=back)
