import csv
import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.social import DailyStat, ViewDay
from app.services.analytics.views import prune_view_days, record_view, viewer_key
from tests.conftest import bearer, sign_in
from tests.factories import PostFactory, UserFactory
from tests.factories.analytics import DAYS, build_known_week

RANGE = "from=2026-03-01&to=2026-03-07"
ROW_RE = re.compile(r'<tr><th scope="row">([\d-]+)</th><td data-value="(-?\d+)">')


def _table(html: str, metric: str) -> list[tuple[str, str]]:
    start = html.index(f'id="table-{metric}"')
    return ROW_RE.findall(html[start: html.index("</table>", start)])


def test_page_shows_charts_and_tables_with_the_figures(client):
    week = build_known_week()
    sign_in(client, week["creator"])
    response = client.get(f"/analytics?{RANGE}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<svg") == 12 and "<script>" not in html
    for metric, expected in week["expected"].items():
        assert _table(html, metric) == [(d, str(v)) for d, v in zip(DAYS, expected, strict=True)], metric
    assert 'id="mrr">$4.50' in html
    assert "Zine" in html and "First post" in html


def test_htmx_gets_only_the_report_fragment(client, htmx):
    week = build_known_week()
    sign_in(client, week["creator"])
    response = client.get(f"/analytics?{RANGE}", headers=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="analytics-report">')
    assert "<html" not in html


def test_every_csv_matches_its_table(client):
    week = build_known_week()
    sign_in(client, week["creator"])
    html = client.get(f"/analytics?{RANGE}").get_data(as_text=True)
    for metric in week["expected"]:
        response = client.get(f"/analytics/{metric}.csv?{RANGE}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == ["date", metric]
        assert [tuple(r) for r in rows[1:]] == _table(html, metric)


def test_presets_and_bad_ranges(auth_client):
    assert auth_client.get("/analytics?days=7").status_code == 200
    html = auth_client.get("/analytics?days=90").get_data(as_text=True)
    assert "(90 days, UTC)" in html
    bad = auth_client.get("/analytics?from=2026-03-09&to=2026-03-01")
    assert bad.status_code == 422 and "starts after it ends" in bad.get_data(as_text=True)
    unknown = auth_client.get("/analytics/nope.csv")
    assert unknown.status_code == 404 and unknown.mimetype == "text/html" and 'id="error-404"' in unknown.text


def test_signed_out_is_sent_to_sign_in(client, htmx):
    page = client.get("/analytics")
    assert page.status_code == 302 and page.headers["Location"] == "/signin?next=/analytics"
    fragment = client.get("/analytics", headers=htmx)
    assert fragment.headers["HX-Redirect"] == "/signin?next=/analytics"
    api = client.get("/api/analytics/summary")
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"


def test_api_summary_as_api_md(app, client):
    week = build_known_week()
    response = client.get(f"/api/analytics/summary?{RANGE}", headers=bearer(app, week["creator"]))
    assert response.status_code == 200
    body = response.get_json()
    for key in ("range", "views", "likes", "comments", "followers_gained", "followers_lost", "followers_total",
                "earnings_cents", "sales", "subscribers"):
        assert key in body
    assert body["earnings_cents"]["total"] == 1800 and body["sales"]["total"] == 3
    assert [d["value"] for d in body["views"]["daily"]] == week["expected"]["views"]
    bad = client.get("/api/analytics/summary?from=yesterday", headers=bearer(app, week["creator"]))
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {"from": "A date as YYYY-MM-DD."}
    too_long = client.get("/api/analytics/summary?from=2020-01-01&to=2026-01-01", headers=bearer(app, week["creator"]))
    assert too_long.status_code == 400
    assert too_long.get_json()["error"]["fields"] == {"from": "At most 366 days before `to`."}


def test_default_range_is_the_last_30_days(app, client):
    user = UserFactory()
    body = client.get("/api/analytics/summary", headers=bearer(app, user)).get_json()
    assert body["range"]["days"] == 30 and len(body["likes"]["daily"]) == 30


def test_post_page_counts_a_reader_once_a_day(client, make_client):
    author = UserFactory()
    post = PostFactory(author_id=author.id)
    for _ in range(3):
        assert client.get(f"/posts/{post.id}").status_code == 200
    other = make_client()
    other.get(f"/posts/{post.id}", headers={"User-Agent": "Another browser"})
    reader = UserFactory()
    sign_in(other, reader)
    other.get(f"/posts/{post.id}")
    other.get(f"/posts/{post.id}")
    sign_in(other, author)
    other.get(f"/posts/{post.id}")  # the author's own view is not counted
    stat = db.session.scalar(sa.select(DailyStat).where(DailyStat.target_id == post.id))
    assert stat.views == 3 and stat.owner_id == author.id
    keys = list(db.session.scalars(sa.select(ViewDay.viewer_key)))
    assert f"u:{reader.id}" in keys
    assert all("127.0.0.1" not in k for k in keys)


def test_anonymous_key_holds_no_address_and_changes_daily():
    from datetime import date

    k1 = viewer_key("s", user_id=None, ip="203.0.113.9", user_agent="UA", day=date(2026, 3, 1))
    k2 = viewer_key("s", user_id=None, ip="203.0.113.9", user_agent="UA", day=date(2026, 3, 2))
    assert k1.startswith("a:") and len(k1) == 34 and "203" not in k1 and k1 != k2
    assert viewer_key("s", user_id=7, ip="x", user_agent="y") == "u:7"


def test_view_days_are_pruned_but_rollups_stay():
    from datetime import date

    record_view("item", 5, 1, "u:2", day=date(2026, 3, 1))
    record_view("item", 5, 1, "u:3", day=date(2026, 3, 2))
    db.session.commit()
    assert prune_view_days(date(2026, 3, 2)) == 1
    assert db.session.scalar(sa.select(sa.func.sum(DailyStat.views))) == 2


def test_a_preset_button_wins_over_the_dates_its_form_also_sends(auth_client, htmx):
    response = auth_client.get("/analytics?days=7&from=2026-03-01&to=2026-03-02", headers=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "(7 days, UTC)" in html
    # The swapped report carries its form, so the dates shown are the range shown.
    assert 'class="range-form"' in html and 'name="days" value="7" class=""' in html
