import io

from flask import Blueprint, jsonify, request, send_file
from flask_login import current_user

from app.services import chat
from app.services.errors import Invalid, NotFound
from app.services.pagination import clean_limit
from app.services.social.blocks import is_blocked_between
from app.web.auth import login_required
from app.web.context import bearer_token
from app.web.forms import json_body
from app.web.limits import write_limit
from app.web.uploads import upload_or_none
from app.web.work import unit_of_work

api_bp = Blueprint("chat_api", __name__, url_prefix="/api/chat")


@api_bp.post("/ticket")
@unit_of_work
@login_required
@write_limit
def issue_ticket():
    """A single-use ticket for `/chat/ws?ticket=`, valid for at most a minute."""
    ticket, expires_in = chat.issue_ticket(current_user, "api" if bearer_token() is not None else "web")
    response = jsonify(ticket=ticket, expires_in=expires_in)
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.put("/keys")
@unit_of_work
@login_required
@write_limit
def put_key():
    key = chat.register_public_key(current_user.id, json_body().get("public_key"))
    return jsonify(public_key=key.public_key, fingerprint=key.fingerprint)


@api_bp.get("/keys/<int:user_id>")
@unit_of_work
@login_required
def show_key(user_id: int):
    if is_blocked_between(current_user.id, user_id):
        raise NotFound("This user has not set up chat yet.", code="no_chat_key")
    return jsonify(chat.serialize_key(chat.get_public_key(user_id)))


@api_bp.put("/key-backup")
@unit_of_work
@login_required
@write_limit
def put_key_backup():
    return jsonify(chat.serialize_backup(chat.save_key_backup(current_user.id, json_body())))


@api_bp.get("/key-backup")
@unit_of_work
@login_required
def show_key_backup():
    return jsonify(chat.serialize_backup(chat.get_key_backup(current_user.id)))


@api_bp.post("/conversations")
@unit_of_work
@login_required
@write_limit
def create_conversation():
    data = json_body()
    if data.get("community_slug") is not None:
        conversation, created = chat.open_community_conversation(current_user.id, data.get("community_slug"))
    else:
        member_ids = data.get("member_ids")
        if not isinstance(member_ids, list) or len(member_ids) != 1:
            raise Invalid("Give one member id, or a community_slug.", code="validation_failed",
                          fields={"member_ids": "One id."})
        conversation, created = chat.start_direct_conversation(current_user.id, member_ids[0])
    body = {"conversation": chat.serialize_conversation(conversation, current_user.id)}
    return jsonify(body), 201 if created else 200


@api_bp.get("/conversations")
@unit_of_work
@login_required
def list_conversations():
    conversations = chat.list_conversations(current_user.id)
    return jsonify(conversations=[chat.serialize_conversation(c, current_user.id) for c in conversations])


@api_bp.get("/conversations/<conversation_id>")
@unit_of_work
@login_required
def show_conversation(conversation_id: str):
    conversation = chat.get_conversation(conversation_id, current_user.id)
    return jsonify(conversation=chat.serialize_conversation(conversation, current_user.id))


@api_bp.get("/conversations/<conversation_id>/messages")
@unit_of_work
@login_required
def list_messages(conversation_id: str):
    limit = clean_limit(request.args.get("limit"))
    after = request.args.get("after") or request.args.get("cursor")
    messages = chat.list_messages(current_user.id, conversation_id, after=after, limit=limit)
    next_cursor = str(messages[-1].id) if len(messages) == limit else None
    return jsonify(messages=[chat.serialize_message(m) for m in messages], next_cursor=next_cursor)


@api_bp.put("/conversations/<conversation_id>/keys")
@unit_of_work
@login_required
@write_limit
def put_epoch_keys(conversation_id: str):
    data = json_body()
    conversation = chat.get_conversation(conversation_id, current_user.id)
    chat.store_epoch_keys(current_user.id, conversation, data.get("epoch"), data.get("keys"))
    return "", 204


@api_bp.get("/conversations/<conversation_id>/keys")
@unit_of_work
@login_required
def list_epoch_keys(conversation_id: str):
    conversation = chat.get_conversation(conversation_id, current_user.id)
    return jsonify(epoch=conversation.epoch, keys=chat.list_envelopes(conversation, current_user.id))


@api_bp.post("/media")
@unit_of_work
@login_required
@write_limit
def upload_media():
    blob = chat.upload_blob(current_user.id, upload_or_none(request.files.get("blob")))
    return jsonify(blob_id=str(blob.id), size=blob.size), 201


@api_bp.get("/media/<blob_id>")
@unit_of_work
@login_required
def show_media(blob_id: str):
    data = chat.read_blob(current_user.id, blob_id)
    response = send_file(io.BytesIO(data), mimetype="application/octet-stream", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
