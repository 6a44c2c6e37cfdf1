import base64

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user

from app.extensions import db
from app.models import User
from app.services import accounts, chat
from app.services.chat.communities import communities_of
from app.services.errors import ServiceError
from app.services.social.blocks import is_blocked_between
from app.web.auth import login_required
from app.web.htmx import redirect_to, render
from app.web.work import unit_of_work

bp = Blueprint("chat", __name__)


def _names(user_ids) -> dict[int, str]:
    users = db.session.query(User).filter(User.id.in_(list(user_ids))).all() if user_ids else []
    return {u.id: u.name for u in users}


@bp.get("/chat")
@unit_of_work
@login_required
def index():
    conversations = [chat.serialize_conversation(c, current_user.id) for c in chat.list_conversations(current_user.id)]
    names = _names({m for c in conversations for m in c["member_ids"]})
    for c in conversations:
        peers = [names.get(m, "someone") for m in c["member_ids"] if m != current_user.id]
        c["display"] = c["title"] or ", ".join(peers) or "Just you"
    return render("chat/index.html", "chat/_conversations.html", conversations=conversations, names=names,
                  communities=communities_of(current_user.id), my_key=chat.own_public_key(current_user.id))


@bp.post("/chat/community/<slug>")
@unit_of_work
@login_required
def open_community(slug: str):
    conversation, _ = chat.open_community_conversation(current_user.id, slug)
    return redirect_to(url_for("chat.show", conversation_id=str(conversation.id)))


@bp.post("/chat/new")
@unit_of_work
@login_required
def create():
    try:
        other = accounts.get_user_by_username(request.form.get("username", ""))
        conversation, _ = chat.start_direct_conversation(current_user.id, other.id)
    except ServiceError:
        flash("There is nobody with that username you can chat with.", "error")
        return redirect_to(url_for("chat.index"))
    return redirect_to(url_for("chat.show", conversation_id=str(conversation.id)))


@bp.get("/chat/<conversation_id>")
@unit_of_work
@login_required
def show(conversation_id: str):
    conversation = chat.get_conversation(conversation_id, current_user.id)
    data = chat.serialize_conversation(conversation, current_user.id)
    peers = [m for m in conversation.member_ids if m != current_user.id]
    key_changed = conversation.kind == "direct" and bool(peers) and chat.verification_state(
        current_user.id, peers[0])["key_changed_since_verified"]
    return render("chat/show.html", "chat/_conversation.html", conversation=data,
                  names=_names(conversation.member_ids), key_changed=key_changed,
                  my_key=chat.own_public_key(current_user.id),
                  peer_keys={str(k): v for k, v in chat.public_keys_of(peers).items()})


@bp.get("/chat/keys")
@unit_of_work
@login_required
def keys():
    return render("chat/keys.html", iterations=current_app.config["CHAT_PBKDF2_ITERATIONS"],
                  my_key=chat.own_public_key(current_user.id))


@bp.get("/chat/safety/<int:user_id>")
@unit_of_work
@login_required
def safety(user_id: int):
    contact = db.session.get(User, user_id)
    if contact is None or user_id == current_user.id or is_blocked_between(current_user.id, user_id):
        abort(404)
    number = None
    try:
        mine, theirs = chat.get_public_key(current_user.id), chat.get_public_key(user_id)
        number = chat.safety_number(_raw(mine.public_key), _raw(theirs.public_key))
    except ServiceError:
        theirs = None
    return render("chat/safety.html", contact=contact, number=number, their_key=theirs,
                  state=chat.verification_state(current_user.id, user_id),
                  my_key=chat.own_public_key(current_user.id))


@bp.post("/chat/safety/<int:user_id>")
@unit_of_work
@login_required
def verify(user_id: int):
    if is_blocked_between(current_user.id, user_id) or db.session.get(User, user_id) is None:
        abort(404)
    if request.form.get("verified") == "1":
        chat.mark_verified(current_user.id, user_id)
        flash("Marked as verified.", "success")
    else:
        chat.clear_verified(current_user.id, user_id)
        flash("Verification removed.", "success")
    return redirect_to(url_for("chat.safety", user_id=user_id))


def _raw(b64: str) -> bytes:
    return base64.b64decode(b64)
