"""A small world for the security walkers: an owner with one object of every important kind,
another user, a user the owner blocked, a fan who bought from the owner, and an admin."""

from __future__ import annotations

import io
from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.services import chat
from app.services.communities import threads
from app.services.items.catalog import ItemInput, create_item
from app.services.items.collections import create_collection
from app.services.notifications import notify
from app.services.payments.payouts import redeem_earnings
from app.services.payments.purchases import purchase_item
from app.services.reports.queue import create_report
from tests.factories import (
    CommentFactory,
    PostFactory,
    UserFactory,
    add_member,
    block,
    fund,
    make_community,
)


@dataclass
class World:
    owner: object
    other: object
    blocked: object
    fan: object
    admin: object
    ids: dict

    def value(self, rule: str, name: str) -> str:
        """The value of path parameter `name` in `rule`: always an object of the owner."""
        if name == "post_id" and "/communities/" in rule:
            return str(self.ids["thread"])
        if name == "user_id":
            if rule.startswith("/chat/") or rule.startswith("/api/chat/"):
                return str(self.fan.id)
            if "/communities/" in rule:
                return str(self.ids["member"])
            if rule.startswith("/settings/"):
                return str(self.blocked.id)
            return str(self.owner.id)
        return str(self.ids[name])


def build_world() -> World:
    owner = UserFactory(username="owner")
    other = UserFactory(username="other")
    blocked = UserFactory(username="blocked")
    fan = UserFactory(username="fan")
    admin = UserFactory(username="admin", is_admin=True)
    block(owner, blocked)

    post = PostFactory(author_id=owner.id)
    comment = CommentFactory(post_id=post.id, author_id=owner.id)
    item = create_item(owner, {"kind": "writing", "title": "A story", "description": "Words",
                               "pricing": "one_time", "price_cents": 1500},
                       ItemInput(body="Once upon a time", publish=True))
    db.session.commit()
    community = make_community(owner, visibility="private", slug="owners-club", name="Owners club")
    member = UserFactory(username="member")
    add_member(community, member)
    add_member(community, fan)
    thread = threads.create_post(community, owner, title="A thread", body="Hello members")
    db.session.flush()
    reply = threads.create_reply(community, thread, owner, body="A reply")
    collection = create_collection(owner, "Private picks", is_public=False)
    db.session.commit()

    fund(fan, credit=100_000)
    purchase = purchase_item(fan.id, item.id).purchase
    fund(owner, earnings=50_000)
    payout = redeem_earnings(owner.id, 10_000)
    note = notify(owner.id, "system", text="Private to the owner")
    db.session.commit()
    report = create_report(fan, "post", post.id, "Spam")
    conversation, _ = chat.start_direct_conversation(owner.id, fan.id)
    blob = chat.upload_blob(owner.id, FileStorage(io.BytesIO(b"ciphertext" * 10), "blob.bin"))
    db.session.commit()

    ids = {
        "post_id": post.id, "comment_id": comment.id, "item_id": item.id, "slug": community.slug,
        "thread": thread.id, "reply_id": reply.id, "member": member.id, "collection_id": collection.id,
        "purchase_id": purchase.id, "payout_id": payout.id, "notification_id": note.id,
        "username": owner.username, "token": "not-a-token", "key": "public/none.webp",
        "filename": "css/app.css", "conversation_id": str(conversation.id), "blob_id": str(blob.id),
        "report_id": report.id, "metric": "views",
        # The parts of an item's content (the edit page's list): uids inside the owner's item.
        "asset_id": "0" * 16, "chapter_id": "0" * 16,
    }
    return World(owner, other, blocked, fan, admin, ids)
