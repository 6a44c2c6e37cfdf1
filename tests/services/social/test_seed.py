import sqlalchemy as sa

from app.extensions import db
from app.models.social import Comment, Follow, Like, Post


def test_flask_seed_grows_social_data_with_consistent_counters(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--users", "30", "--posts", "300", "--follows-per-user", "5",
                                 "--likes", "400", "--comments", "100"])
    assert result.exit_code == 0, result.output
    assert "posts: 300" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 300
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 30 * 5
    likes = db.session.scalar(sa.select(sa.func.count()).select_from(Like))
    assert 300 < likes <= 400
    assert db.session.scalar(sa.select(sa.func.sum(Post.like_count))) == likes
    assert db.session.scalar(sa.select(sa.func.sum(Post.comment_count))) == 100
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 100
    again = runner.invoke(args=["seed", "--users", "30", "--posts", "300"])
    assert again.exit_code == 1 and "already hold data (30 users" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 300
    assert db.session.scalar(sa.select(sa.func.sum(Post.like_count))) == likes
