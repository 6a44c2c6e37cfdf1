from functools import lru_cache

import factory

from app.extensions import db
from app.models import User
from app.services.accounts.passwords import hash_password

PASSWORD = "correct horse battery staple"


@lru_cache(maxsize=1)
def _hash() -> str:
    return hash_password(PASSWORD)


class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    email_key = factory.LazyAttribute(lambda o: o.email.lower())
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    password_hash = factory.LazyFunction(_hash)
    bio = ""
