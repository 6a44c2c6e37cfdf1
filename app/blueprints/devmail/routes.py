from ipaddress import ip_address

from flask import Blueprint, abort, current_app, request

from app.services import dev_mailbox
from app.web.htmx import render
from app.web.work import unit_of_work

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")


@bp.before_request
def only_from_this_machine():
    # The mails hold working reset links: a development server reachable from the network
    # must not show them to anybody else on it.
    try:
        local = ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if not local:
        abort(404)


@bp.get("")
@unit_of_work
def index():
    mails = dev_mailbox.list_mails(current_app.config["DEV_MAILBOX"])
    return render("devmail/index.html", mails=mails)


@bp.get("/<key>")
@unit_of_work
def show(key: str):
    mail = dev_mailbox.get_mail(current_app.config["DEV_MAILBOX"], key)
    return render("devmail/show.html", mail=mail)
