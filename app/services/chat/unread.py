"""Which conversations hold a message a member has not read, for the navigation's count.

Counting per conversation (messages after the member's `read_seq`) costs a query per
conversation, and every signed-in page shows the count. So each conversation keeps the ids
of its members with something unread (`unread_ids`, indexed): a new message adds the other
members in the same update that draws its `seq`, a read receipt up to the newest message
takes the reader out, and the navigation counts with one indexed `count`. The chat list,
which counts each conversation's unread messages anyway, puts right any conversation whose
mark disagrees (one stored before this mark existed, or a resend that added it again)."""

from __future__ import annotations

from app.documents.chat import Conversation, Message


def unread_conversation_count(user_id: int) -> int:
    """How many conversations hold a message from someone else that `user_id` has not read."""
    return Conversation.objects(unread_ids=user_id).count()


def unread_update(members, sender_id: int) -> dict:
    """The part of a new message's update that marks it unread for everyone but the sender."""
    others = [member for member in members if member != sender_id]
    return {"add_to_set__unread_ids": others} if others else {}


def mark_read(conversation: Conversation, user_id: int, seq: int) -> None:
    """`user_id` read up to `seq`: unmark the conversation unless a newer message from someone
    else exists. The update is conditional on `last_seq`, so a message sent meanwhile keeps
    the mark."""
    if Conversation.objects(id=conversation.id, last_seq__lte=seq).update_one(pull__unread_ids=user_id):
        return
    newer = Message.objects(conversation_id=str(conversation.id), seq__gt=seq, sender_id__ne=user_id)
    if newer.only("id").first() is None:  # only gaps or the reader's own messages follow
        Conversation.objects(id=conversation.id, last_seq=conversation.last_seq).update_one(
            pull__unread_ids=user_id)


def settle_mark(conversation: Conversation, user_id: int, unread_messages: int) -> None:
    """Make the mark agree with a count of the member's unread messages."""
    marked = user_id in (conversation.unread_ids or [])
    if unread_messages and not marked:
        Conversation.objects(id=conversation.id).update_one(add_to_set__unread_ids=user_id)
    elif not unread_messages and marked:
        Conversation.objects(id=conversation.id, last_seq=conversation.last_seq).update_one(
            pull__unread_ids=user_id)
