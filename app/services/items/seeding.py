"""Demo items for `flask seed`: every kind and pricing, with generated images."""

from __future__ import annotations

import io
import random

import sqlalchemy as sa
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models.items import Item
from app.services.items.catalog import ItemInput, create_item
from app.services.items.plans import set_plan

PALETTE = [(236, 95, 103), (249, 145, 87), (250, 200, 99), (153, 199, 148), (102, 153, 204), (197, 148, 197)]
WORDS = ["moon", "harbor", "lantern", "fox", "orchard", "signal", "paper", "tide", "ember", "meadow"]
STORY = (
    "The lighthouse keeper counted the ships the way other people count sheep.\n\n"
    "On the night the lamp went out, nobody came to ask why.\n\n---paywall---\n\n"
    "She climbed the stairs with a candle and found the **note** that changed everything.\n\n"
    "> Keep the light, and the light keeps you.\n\nThe end."
)


def _picture(seed: int, text: str, size=(800, 600)) -> FileStorage:
    rng = random.Random(seed)
    image = Image.new("RGB", size, rng.choice(PALETTE))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(20, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(PALETTE), outline=(30, 30, 30))
    draw.text((20, 20), text, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return FileStorage(stream=out, filename=f"{seed}.png", content_type="image/png")


def _specs(n: int, rng: random.Random):
    kind = ("writing", "art", "comic", "download")[n % 4]
    pricing = ("free", "one_time", "subscription")[(n // 4) % 3]
    title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} #{n + 1}"
    tags = rng.sample(WORDS, 2) + [kind]
    fields = {"kind": kind, "title": title, "description": f"A demo {kind} about {tags[0]} and {tags[1]}.",
              "tags": tags, "pricing": pricing, "price_cents": rng.choice([199, 499, 999]) if pricing == "one_time" else 0}
    data = ItemInput(publish=True, cover=_picture(n * 7 + 1, title, (600, 600)))
    if kind == "writing":
        data.body = STORY
    elif kind == "art":
        data.files = [_picture(n * 7 + 2, f"{title} I"), _picture(n * 7 + 3, f"{title} II")]
        data.alts = ["Circles in warm colours", "Circles in cool colours"]
    elif kind == "comic":
        data.pages = [_picture(n * 7 + 4 + p, f"{title}: page {p + 1}", (600, 900)) for p in range(3)]
        data.alts = [f"Page {p + 1} of {title}" for p in range(3)]
        data.transcripts = ["It was a dark night.", "Something moved.", "It was only the cat."]
        data.free_pages = 1
    else:
        data.files = [FileStorage(stream=io.BytesIO(f"demo sample {n}\n".encode() * 200),
                                  filename=f"samples-{n + 1}.txt", content_type="text/plain")]
    return fields, data


def seed_items(creators: list, per_creator: int) -> int:
    """`per_creator` items for each creator that has none yet (so seeding twice adds nothing)."""
    made = 0
    for index, creator in enumerate(creators):
        has_items = db.session.scalar(sa.select(sa.func.count()).select_from(Item)
                                      .where(Item.creator_id == creator.id))
        if has_items:
            continue
        rng = random.Random(creator.id)
        specs = [_specs(index * per_creator + n, rng) for n in range(per_creator)]
        # Subscribers-only items need their creator's plan (catalog.check_subscription_plan).
        if index % 2 == 0 or any(fields["pricing"] == "subscription" for fields, _ in specs):
            set_plan(creator, 500)
        for fields, data in specs:
            create_item(creator, fields, data)
            made += 1
    return made
