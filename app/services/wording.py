"""Sentences that depend on a number ("The first page is free." / "The first 3 pages are
free."), through gettext's `ngettext`: the one place that chooses a plural form, so a
translation catalogue can be installed here later (languages have more than two forms) without
touching a template. Templates call it as the `ngettext` global."""

from __future__ import annotations

import gettext

# No catalogue yet: English, where `n == 1` picks the singular.
TRANSLATIONS: gettext.NullTranslations = gettext.NullTranslations()


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    """The form of the sentence for `n`, with `%(num)s` (or `%(num)d`) replaced by `n` and any
    other `%(name)s` by `values`, as Flask-Babel's `ngettext` does.

    >>> ngettext("%(num)d page", "%(num)d pages", 1)
    '1 page'
    >>> ngettext("The first page is free.", "The first %(num)d pages are free.", 3)
    'The first 3 pages are free.'
    """
    n = int(n or 0)
    return TRANSLATIONS.ngettext(singular, plural, n) % {"num": n, **values}
