"""The paths API: import a definition, assign a person, read their progress; the same rules as the pages."""
from ktc.extensions import db
from ktc.paths import operations as ops

DEFINITION = {
    "schema": "ktc.learning-path/1", "name": "Psyk E-bas", "steps": [
        {"kind": "module", "title": "Föreläsning 1", "url": "https://example.org/1", "due_days": 30},
        {"kind": "circle", "title": "Träff 1", "due_days": 45, "requires": [1]},
    ]}


def test_admin_imports_a_path_and_a_manager_assigns_their_person(client, make):
    from ktc.accounts.operations import issue_api_token

    unit, other = make.unit(), make.unit()
    person, stranger = make.participant(unit), make.participant(other)
    admin, manager = make.user("admin"), make.manager(unit)
    admin_token, manager_token = issue_api_token(admin), issue_api_token(manager)
    db.session.commit()
    created = client.post("/api/v1/paths", json=DEFINITION, headers={"Authorization": f"Bearer {admin_token}"})
    assert created.status_code == 201 and created.json["steps"][1]["requires"] == [1]
    path_id = created.json["id"]
    headers = {"Authorization": f"Bearer {manager_token}"}
    r = client.post(f"/api/v1/participants/{person.id}/paths", json={"path_id": path_id, "start_date": "2026-09-01"},
                    headers=headers)
    assert r.status_code == 201
    assert [(s["title"], s["due_date"]) for s in r.json[0]["steps"]] == [("Föreläsning 1", "2026-10-01"),
                                                                       ("Träff 1", "2026-10-16")]
    refused = client.post(f"/api/v1/participants/{stranger.id}/paths", json={"path_id": path_id}, headers=headers)
    assert refused.status_code == 404
    assert len(ops.person_progress(stranger)) == 0


def test_a_bad_definition_names_its_steps_and_imports_nothing(client, make):
    from ktc.accounts.operations import issue_api_token

    token = issue_api_token(make.user("admin"))
    db.session.commit()
    bad = {**DEFINITION, "steps": [{"kind": "skill", "skill_code": "FINNS-EJ", "due_days": 0}]}
    r = client.post("/api/v1/paths", json=bad, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422
    assert list(r.json["error"]["steps"]) == ["1"] and len(r.json["error"]["steps"]["1"]) == 2
    assert client.get("/api/v1/paths", headers={"Authorization": f"Bearer {token}"}).json == []
