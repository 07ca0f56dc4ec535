"""Sharing paths as JSON: the export imports again as the same path; bad files import nothing."""
import io
import json

from ktc.extensions import db
from ktc.paths import exchange
from ktc.paths import operations as ops
from ktc.paths.models import LearningPath


def _path(make):
    skill = make.skill(code="HLR-V", name="HLR vuxen")
    make.profession("Undersköterska")
    from ktc.skills.models import Profession

    profession = db.session.query(Profession).one()
    path = ops.create_path("USK hemtjänst", "Första året", profession, "hemtjänst", True)
    film = ops.add_step(path, "module", title="Introduktion", url="https://example.org/intro", due_days=30)
    ops.add_step(path, "skill", skill=skill, due_days=90, prerequisite_ids=[film.id])
    return path


def test_an_exported_path_imports_as_the_same_path(make):
    doc = exchange.export_path(_path(make))
    assert doc["steps"][1] == {"kind": "skill", "title": "HLR vuxen", "skill_code": "HLR-V", "url": "",
                               "material": "", "due_days": 90, "requires": [1]}
    doc["name"] = "USK hemtjänst (Region Kronoberg)"
    exchange.import_path(json.dumps(doc))
    copy = db.session.query(LearningPath).filter_by(name=doc["name"]).one()
    again = exchange.export_path(copy)
    assert again == doc


def test_an_unknown_skill_code_or_a_cycle_lists_the_rows_and_imports_nothing(client, login_as, make):
    doc = exchange.export_path(_path(make))
    doc["name"] = "Delad lärväg"
    doc["steps"][1]["skill_code"] = "FINNS-EJ"
    doc["steps"][0]["requires"] = [2]
    doc["steps"].append({"kind": "module", "title": "Film", "url": "https://example.org/f", "due_days": 0})
    login_as(make.user("admin"))
    db.session.commit()
    upload = client.post("/paths/import", data={"file": (io.BytesIO(json.dumps(doc).encode()), "larvag.json")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    page = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "Okänd färdighetskod ”FINNS-EJ”." in page and "går runt i en cirkel" in page
    preview = exchange.preview_path_import(json.dumps(doc))
    errors = preview.row_errors()
    assert sorted(errors) == [1, 2, 3]
    assert any("FINNS-EJ" in e for e in errors[2])
    assert client.post(upload.headers["Location"]).status_code == 422
    assert db.session.query(LearningPath).filter_by(name="Delad lärväg").count() == 0


def test_a_file_that_is_not_a_path_is_refused(make):
    for content in ("not json", json.dumps({"schema": "other"}), json.dumps([1, 2])):
        preview = exchange.preview_path_import(content)
        assert preview.file_errors and not preview.ok
