"""Demo learning paths and a study circle: a Yrkesresan-style first year in home care, and Psyk E-bas
worked through in a circle of municipal and regional staff. Called once from the demo loader; a
second run finds everything by name and changes nothing. No e-mail is queued for demo meetings."""
from datetime import time, timedelta

from sqlalchemy import select

from ktc.extensions import db
from ktc.paths import operations as ops
from ktc.paths.models import CircleAttendance, CircleMeeting, LearningPath, PathAssignment, StepCompletion, StudyCircle
from ktc.sessions.operations import local_to_utc

TZ = "Europe/Stockholm"
LEARNING = "https://larplattform.example"
HOME_CARE = "Undersköterska, hemtjänst – första året"
PSYK_E_BAS = "Psyk E-bas – psykisk ohälsa för baspersonal"
CIRCLE = "Psyk E-bas Vetlanda–Nässjö"
CIRCLE_PLACE = "Boendestödet socialpsykiatri, Kungsgatan 12, Vetlanda – samlingsrummet"

# (kind, title or skill code, link, material, due days, prerequisite step numbers (1-based))
HOME_CARE_STEPS = [
    ("skill", "HYG", "", "", 30, ()),
    ("module", "Yrkesresan: Introduktion till vård och omsorg", f"{LEARNING}/yrkesresan/introduktion",
     "Webbutbildning, cirka 3 timmar. Reflektionsfrågor att ta upp med din chef.", 45, ()),
    ("skill", "LKM", "", "", 90, (2,)),
    ("skill", "HLR-V", "", "", 90, ()),
    ("module", "Yrkesresan: Bemötande och etik i mötet med äldre", f"{LEARNING}/yrkesresan/bemotande",
     "Film och övningar. Diskutera fallbeskrivningarna på arbetsplatsträffen.", 120, (2,)),
    ("skill", "FORFL", "", "", 180, ()),
]
PSYK_STEPS = [
    ("module", "Föreläsning 1: Psykisk ohälsa – en introduktion", f"{LEARNING}/psyk-e-bas/1",
     "Faktablad 1. Filmen ses före träff 1.", 30, ()),
    ("module", "Föreläsning 2: Bemötande och samtal", f"{LEARNING}/psyk-e-bas/2", "Faktablad 2.", 30, ()),
    ("circle", "Studiecirkelträff 1: Föreläsning 1–2", "", "Diskussionsfrågor i faktablad 1 och 2.", 45, (1, 2)),
    ("module", "Föreläsning 3: Ångest och depression", f"{LEARNING}/psyk-e-bas/3", "Faktablad 3.", 75, ()),
    ("circle", "Studiecirkelträff 2: Föreläsning 3", "", "Diskussionsfrågor i faktablad 3.", 90, (4,)),
]


def _path(demo, name, description, profession, unit_kind, auto_assign, steps):
    path = db.session.execute(select(LearningPath).where(LearningPath.name == name)).scalar_one_or_none()
    if path is not None:
        return path
    path = ops.create_path(name, description, demo.professions[profession], unit_kind, auto_assign)
    made = []
    for kind, title, url, material, due_days, requires in steps:
        skill = demo.skills[title] if kind == "skill" else None
        made.append(ops.add_step(path, kind, "" if skill else title, skill, url, material, due_days,
                                 [made[n - 1].id for n in requires]))
    return path


def _assign(path, people, start):
    ops.assign(None, path, people, start, source="manual")
    return {a.participant_id: a for a in db.session.execute(
        select(PathAssignment).where(PathAssignment.path_id == path.id)).scalars()}


def load_paths_demo(demo):
    """Two paths with people at different points on them, and a mixed study circle with three meetings."""
    if db.session.execute(select(StudyCircle.id).where(StudyCircle.name == CIRCLE)).first() is not None:
        return
    home_care = _path(demo, HOME_CARE, "Introduktionsår för nya undersköterskor i hemtjänsten: stationer på KTC "
                      "och Yrkesresans kurser, i ordning.", "Undersköterska", "hemtjänst", True, HOME_CARE_STEPS)
    psyk = _path(demo, PSYK_E_BAS, "18 filmade föreläsningar med faktablad, genomförda i studiecirkel på "
                 "arbetsplatsen – kommunal och regional personal tillsammans. Här de första tre.",
                 "Boendestödjare", "", False, PSYK_STEPS)
    db.session.flush()
    anchor = demo.anchor
    raslatt = [p for p in demo.staff["Hemtjänst Råslätt"] if p.profession.name == "Undersköterska"]
    # Sara has been on the path for five months (a step late), the others started recently.
    early = _assign(home_care, raslatt[:2], anchor - timedelta(days=150))
    _assign(home_care, raslatt[2:5], anchor - timedelta(days=20))
    intro = home_care.steps[1]
    db.session.add(StepCompletion(assignment=early[raslatt[0].id], step=intro,
                                  completed_on=anchor - timedelta(days=120)))

    circle = StudyCircle(name=CIRCLE, path=psyk, facilitator=demo.users["Maria Lindqvist"])
    members = demo.staff["Boendestöd socialpsykiatri Vetlanda"] + [
        p for p in demo.staff["Vårdcentralen Bra Liv Nässjö"] if p.profession.name == "Undersköterska"]
    circle.members = sorted(members, key=lambda p: p.name)
    db.session.add(circle)
    assignments = _assign(psyk, members, anchor - timedelta(days=28))
    film1, film2, meeting1 = psyk.steps[0], psyk.steps[1], psyk.steps[2]
    held = CircleMeeting(circle=circle, start_at=local_to_utc(anchor - timedelta(days=14), time(13, 0), TZ),
                         end_at=local_to_utc(anchor - timedelta(days=14), time(15, 0), TZ), location=CIRCLE_PLACE,
                         topic="Föreläsning 1–2", steps=[film1, film2, meeting1])
    db.session.add(held)
    for i, person in enumerate(circle.members):
        present = i != 2  # one member was away and is now a step behind
        db.session.add(CircleAttendance(meeting=held, participant=person, attended=present,
                                        recorded_by_id=circle.facilitator.id))
        if present:
            for step in (film1, film2, meeting1):
                db.session.add(StepCompletion(assignment=assignments[person.id], step=step,
                                              completed_on=anchor - timedelta(days=14),
                                              recorded_by_id=circle.facilitator.id))
    for days, topic, steps in ((7, "Föreläsning 3", psyk.steps[3:5]), (21, "Föreläsning 4–5", [])):
        day = anchor + timedelta(days=days)
        db.session.add(CircleMeeting(circle=circle, start_at=local_to_utc(day, time(13, 0), TZ),
                                     end_at=local_to_utc(day, time(15, 0), TZ), location=CIRCLE_PLACE, topic=topic,
                                     steps=list(steps)))
    db.session.flush()
