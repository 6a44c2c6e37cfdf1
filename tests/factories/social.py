import factory

from app.extensions import db
from app.models.social import Block, Comment, Follow, Mute, Post


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class PostFactory(_Base):
    class Meta:
        model = Post

    author_id = None
    body = factory.Sequence(lambda n: f"Post number {n}")
    images = factory.LazyFunction(list)


class CommentFactory(_Base):
    class Meta:
        model = Comment

    body = factory.Sequence(lambda n: f"Comment {n}")


def follow(follower, followee) -> None:
    db.session.add(Follow(follower_id=follower.id, followee_id=followee.id))
    db.session.commit()


def block(blocker, blocked) -> None:
    db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    db.session.commit()


def mute(muter, muted) -> None:
    db.session.add(Mute(muter_id=muter.id, muted_id=muted.id))
    db.session.commit()
