"""Concurrent likes on PostgreSQL: the count on the row equals the number of like rows."""

import threading

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Like, Post
from app.services.social import likes
from tests.factories import PostFactory, UserFactory


def _run_in_threads(app, jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def worker(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_concurrent_likes_and_double_clicks_count_once_each(app):
    author = UserFactory()
    fans = [UserFactory() for _ in range(12)]
    post = PostFactory(author_id=author.id)
    post_id, fan_ids = post.id, [f.id for f in fans]

    def like(uid):
        from app.models import User

        return lambda: likes.like_post(db.session.get(User, uid), post_id)

    # every fan likes twice at the same moment (two tabs): 24 requests, 12 likes
    _run_in_threads(app, [like(uid) for uid in fan_ids for _ in range(2)])
    db.session.expire_all()
    assert db.session.get(Post, post_id).like_count == 12
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Like)) == 12

    def unlike(uid):
        from app.models import User

        return lambda: likes.unlike_post(db.session.get(User, uid), post_id)

    _run_in_threads(app, [unlike(uid) for uid in fan_ids[:6] for _ in range(2)] + [like(uid) for uid in fan_ids[6:]])
    db.session.expire_all()
    assert db.session.get(Post, post_id).like_count == 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Like)) == 6
