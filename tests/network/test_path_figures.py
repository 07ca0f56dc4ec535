"""Learning paths in the network view: completion and time to complete per organisation and profession,
with the network's small-group suppression (k = 5)."""
from datetime import date, timedelta

from ktc.extensions import db
from ktc.paths import operations as paths

TODAY = date(2026, 11, 30)


def _people(make, unit, profession, count, done_after_days, path, step):
    """`count` people on `path` from 100 days before TODAY; the first len(done_after_days) did its step."""
    start = TODAY - timedelta(days=100)
    people = [make.participant(unit, profession=profession) for _ in range(count)]
    paths.assign(None, path, people, start)
    assignments = {a.participant_id: a for a in paths._assignments()}
    for person, days in zip(people, done_after_days):
        paths.complete_step(None, assignments[person.id], step, on=start + timedelta(days=days), today=TODAY)
    return people


def _world(make):
    path = paths.create_path("Första året")
    step = paths.add_step(path, "module", title="Introduktion", url="https://example.org/intro", due_days=60)
    gislaved = make.unit(make.organisation("municipal", name="Gislaveds kommun"))
    region = make.unit(make.organisation("regional", name="Region Jönköpings län"))
    usk, ssk = make.profession("Undersköterska"), make.profession("Sjuksköterska")
    # Gislaved: six people, five completed after 10, 20, 30, 40 and 50 days.
    _people(make, gislaved, usk, 6, [10, 20, 30, 40, 50], path, step)
    # The region: four people (too few to show anything), all completed.
    _people(make, region, ssk, 4, [5, 5, 5, 5], path, step)
    # One more nurse in Gislaved: five nurses, four completed (no time to complete shown).
    _people(make, gislaved, ssk, 1, [], path, step)
    return path


def test_figures_per_organisation_and_profession_with_small_groups_suppressed(make):
    _world(make)
    figures = paths.network_path_figures(today=TODAY)
    by_org = {f.group: f for f in figures["organisation"]}
    gislaved = by_org["Gislaveds kommun"]
    assert (gislaved.people, gislaved.complete, gislaved.median_days) == (7, 5, 30)
    assert round(gislaved.completion_percent) == 71
    region = by_org["Region Jönköpings län"]
    assert region.suppressed and region.completion_percent is None and region.median_days is None
    by_profession = {f.group: f for f in figures["profession"]}
    nurses = by_profession["Sjuksköterska"]
    assert (nurses.people, nurses.complete, nurses.suppressed, nurses.median_days) == (5, 4, False, None)
    assert by_profession["Undersköterska"].median_days == 30


def test_the_network_view_shows_them_and_never_a_small_group(client, make, login_as):
    _world(make)
    login_as(make.user("network"))
    db.session.commit()
    page = client.get("/network/").get_data(as_text=True)
    start = page.index('id="table-path-organisation"')
    organisations = page[start:page.index("</table>", start)]
    assert "Gislaveds kommun" in organisations and "färre än 5 personer" in organisations
    region = organisations[organisations.index("Region Jönköpings län"):]
    assert "<td class=\"num\">4</td>" not in region.split("</tr>")[0]
    start = page.index('id="table-path-profession"')
    professions = page[start:page.index("</table>", start)]
    assert "färre än 5 klara" in professions
