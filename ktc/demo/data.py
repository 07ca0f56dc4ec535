"""The demo data as plain structures. Region Jönköpings län and five of its municipalities
train together at two clinical training centres (KTC). Every name and address is made up;
e-mail addresses use the reserved `.example` top-level domain so nothing can reach a real inbox.

Dates are not here: sessions are placed in working days relative to today (see operations.py).
"""
from datetime import time

REGION = "Region Jönköpings län"

# name, side, organisation number (only where it is public and certain), e-mail domain, units
ORGANISATIONS = [
    {
        "name": REGION,
        "side": "regional",
        "org_number": "232100-0057",
        "domain": "rjl.example",
        "units": [
            "Geriatrisk avdelning 51, Länssjukhuset Ryhov",
            "Medicinavdelning 2, Värnamo sjukhus",
            "Vårdcentralen Bra Liv Nässjö",
            "Vårdcentralen Bra Liv Gislaved",
            "ASIH Jönköping (avancerad sjukvård i hemmet)",
        ],
    },
    {
        "name": "Jönköpings kommun",
        "side": "municipal",
        "org_number": "212000-0530",
        "domain": "jonkoping.example",
        "units": [
            "Hemtjänst Råslätt",
            "Vård- och omsorgsboendet Ekhagen",
            "Hemsjukvården Jönköping öster",
        ],
    },
    {
        "name": "Värnamo kommun",
        "side": "municipal",
        "org_number": None,
        "domain": "varnamo.example",
        "units": ["Hemtjänst Värnamo centrum", "Särskilt boende Gärdesgården"],
    },
    {
        "name": "Nässjö kommun",
        "side": "municipal",
        "org_number": None,
        "domain": "nassjo.example",
        "units": ["Hemtjänst Nässjö norra", "Hemsjukvården Nässjö"],
    },
    {
        "name": "Vetlanda kommun",
        "side": "municipal",
        "org_number": None,
        "domain": "vetlanda.example",
        "units": ["LSS-gruppbostaden Björkgatan", "Boendestöd socialpsykiatri Vetlanda"],
    },
    {
        "name": "Gislaveds kommun",
        "side": "municipal",
        "org_number": None,
        "domain": "gislaved.example",
        "units": ["Särskilt boende Ängsgården"],
    },
]

# code, name, category, description, refresh interval in months (None: never expires)
SKILLS = [
    ("HYG", "Basala hygienrutiner och klädregler", "Vårdhygien",
     "Handdesinfektion, handskar, plastförkläde och klädregler enligt SOSFS 2015:10, i praktiken vid vårdmoment.", 12),
    ("KAD-SKOT", "KAD-skötsel", "Kateter",
     "Skötsel av kvarliggande urinkateter: nedre hygien, tömning och byte av påse, tecken på infektion och stopp.", 24),
    ("KAD-SATT", "KAD-sättning (kvinna och man)", "Kateter",
     "Aseptisk kateterisering med kvarliggande urinkateter, val av storlek, dokumentation.", 24),
    ("SAR", "Sårvård och omläggning", "Sår och hud",
     "Bedömning och omläggning av bensår och operationssår, val av förband, rena och sterila moment.", 24),
    ("TRYCK", "Trycksårsprevention", "Sår och hud",
     "Riskbedömning (modifierad Norton eller RAPS), hudinspektion, lägesändring och tryckavlastning.", 24),
    ("HLR-V", "HLR vuxen med hjärtstartare", "Akut omhändertagande",
     "Hjärt-lungräddning på vuxen enligt Svenska rådet för hjärt-lungräddning, med halvautomatisk hjärtstartare.", 12),
    ("LKM", "Läkemedelshantering och delegering", "Läkemedel",
     "Iordningställande och administrering av läkemedel enligt delegering, signering och avvikelser.", 12),
    ("INS", "Insulingivning med penna", "Läkemedel",
     "Subkutan insulingivning med insulinpenna, injektionsställen, förvaring och tecken på hypoglykemi.", 12),
    ("SC-INJ", "Subkutana injektioner", "Läkemedel",
     "Subkutana injektioner (t.ex. lågmolekylärt heparin och vid behovsläkemedel i palliativ vård).", 24),
    ("BS", "Blodsockermätning", "Mätning och bedömning",
     "Kapillär blodsockermätning, kontroll av mätare, rimlighetsbedömning och rapportering.", 24),
    ("NEWS2", "NEWS2 och vitalparametrar", "Mätning och bedömning",
     "Mätning av andningsfrekvens, syremättnad, blodtryck, puls, medvetandegrad och temperatur; NEWS2-poäng.", 12),
    ("SBAR", "Strukturerad rapport med SBAR", "Kommunikation",
     "Rapportera ett försämrat tillstånd strukturerat mellan kommun och region (Situation, Bakgrund, Aktuellt, Rekommendation).", None),
    ("FORFL", "Förflyttningsteknik", "Ergonomi och rörelse",
     "Förflyttning med glidlakan, vridplatta och personlyft; ergonomi för personalen.", 36),
    ("FALL", "Fallprevention", "Ergonomi och rörelse",
     "Fallriskbedömning (Downton), åtgärder i miljön, höftskydd och vad som görs efter ett fall.", None),
    ("PEG", "PEG-sond: skötsel och sondmatning", "Nutrition",
     "Skötsel av gastrostomi, sondmatning med pump och gravitation, spolning och läkemedel i sond.", 24),
    ("STOMI", "Stomivård", "Omvårdnad",
     "Byte av stomibandage, hudskydd runt stomin och observationer vid kolo-, ileo- och urostomi.", None),
    ("MUNV", "Palliativ munvård", "Palliativ vård",
     "Munbedömning (ROAG), munvård i livets slutskede och lindring av muntorrhet.", None),
]

# profession: skill codes it requires
PROFESSIONS = {
    "Undersköterska": ["HYG", "KAD-SKOT", "TRYCK", "HLR-V", "LKM", "BS", "NEWS2", "FORFL", "FALL", "STOMI", "MUNV"],
    "Vårdbiträde": ["HYG", "TRYCK", "HLR-V", "FORFL", "FALL", "MUNV"],
    "Sjuksköterska": ["HYG", "KAD-SKOT", "KAD-SATT", "SAR", "TRYCK", "HLR-V", "LKM", "INS", "SC-INJ", "BS",
                      "NEWS2", "SBAR", "PEG"],
    "Boendestödjare": ["HYG", "HLR-V", "LKM", "FALL"],
    "Stödassistent": ["HYG", "HLR-V", "LKM", "FORFL", "FALL"],
    "Fysioterapeut": ["HYG", "HLR-V", "FORFL", "FALL"],
    "Arbetsterapeut": ["HYG", "HLR-V", "FORFL", "FALL", "TRYCK"],
    "Läkare": ["HYG", "HLR-V", "NEWS2", "SBAR"],
}

WEEKDAY_HOURS = (time(7, 30), time(16, 30))  # Monday to Friday

CENTRES = [
    {"name": "KTC Ryhov, Jönköping", "address": "Länssjukhuset Ryhov, Sjukhusgatan, 553 05 Jönköping",
     "extra_closed": []},
    {"name": "KTC Värnamo", "address": "Värnamo sjukhus, Centralplan, 331 85 Värnamo",
     # A working day, counted from today, when the centre is closed for service of the equipment.
     "extra_closed": [(17, "Service och inventering av utrustning")]},
]

# centre, name, skills, capacity, minutes, changeover, description, equipment notes
STATIONS = [
    ("KTC Ryhov, Jönköping", "HLR-rummet", ["HLR-V"], 8, 90, 15,
     "HLR vuxen med hjärtstartare, i par och i team.",
     "4 HLR-dockor vuxen med återkoppling, 2 övningshjärtstartare, pocketmasker, andningsballonger."),
    ("KTC Ryhov, Jönköping", "Katetersalen", ["KAD-SKOT", "KAD-SATT", "HYG"], 6, 120, 20,
     "Kateterisering och KAD-skötsel med basala hygienrutiner.",
     "Kateteriseringsdockor (kvinna och man), sterila kateterset, KAD Ch 12–16, urinpåsar, övningsglidmedel."),
    ("KTC Ryhov, Jönköping", "Sårvårdsstationen", ["SAR", "TRYCK", "HYG"], 6, 120, 15,
     "Omläggning av sår och förebyggande av trycksår.",
     "Sårmodeller (bensår, trycksår kategori 2–4), förbandssortiment, tryckavlastande madrass, hälskydd."),
    ("KTC Ryhov, Jönköping", "Läkemedelsrummet", ["LKM", "INS", "SC-INJ", "BS"], 8, 120, 15,
     "Läkemedel enligt delegering, insulin, injektioner och blodsocker.",
     "Injektionsdynor, övningsinsulinpennor, blodsockermätare med kontrollösning, dosetter, signeringslistor."),
    ("KTC Ryhov, Jönköping", "Förflyttningsstudion", ["FORFL", "FALL"], 8, 90, 20,
     "Förflyttningar med hjälpmedel och fallprevention i en möblerad lägenhetsmiljö.",
     "Taklyft, mobil personlyft, glidlakan, vridplatta, rollator, höftskyddsbyxor. Taklyften max 200 kg."),
    ("KTC Ryhov, Jönköping", "Bedömningsrummet", ["NEWS2", "SBAR"], 6, 120, 15,
     "Vitalparametrar, NEWS2 och SBAR-rapport mellan kommun och region.",
     "Simuleringsdocka med styrbara vitalparametrar, blodtrycksmätare, pulsoximetrar, örontermometrar, NEWS2-kort."),
    ("KTC Värnamo", "Omvårdnadsstationen", ["PEG", "STOMI", "MUNV", "HYG"], 6, 120, 15,
     "PEG-sond, stomivård och palliativ munvård.",
     "PEG-docka, sondmatningspump, stomimodeller och bandage, munvårdsset, ROAG-mallar."),
    ("KTC Värnamo", "HLR-hörnan Värnamo", ["HLR-V"], 8, 90, 15,
     "HLR vuxen med hjärtstartare för Värnamo med omnejd.",
     "3 HLR-dockor vuxen, 1 övningshjärtstartare, pocketmasker."),
]

STAFF_DOMAIN = "ktc.example"

# role, name, e-mail local part
ADMIN = ("Karin Sjöberg", "karin.sjoberg")
INSTRUCTORS = [
    ("Maria Lindqvist", "maria.lindqvist"),  # specialistsjuksköterska, geriatrik
    ("Johan Ek", "johan.ek"),  # fysioterapeut
    ("Fatima Haddad", "fatima.haddad"),  # sjuksköterska, hygienombud
]
NETWORK_USER = ("Lena Holmqvist", "lena.holmqvist@larandenatverket.example")

# Managers (enhetschefer): name, organisation, units they manage
MANAGERS = [
    ("Anneli Gustafsson", "Jönköpings kommun", ["Hemtjänst Råslätt"]),
    ("Peter Nordin", "Jönköpings kommun", ["Vård- och omsorgsboendet Ekhagen"]),
    ("Linda Carlsson", "Jönköpings kommun", ["Hemsjukvården Jönköping öster"]),
    ("Sofia Bergman", "Värnamo kommun", ["Hemtjänst Värnamo centrum"]),
    ("Ahmed Yusuf", "Vetlanda kommun", ["LSS-gruppbostaden Björkgatan", "Boendestöd socialpsykiatri Vetlanda"]),
    ("Eva Lundgren", REGION, ["Geriatrisk avdelning 51, Länssjukhuset Ryhov"]),
    ("Mikael Strand", REGION, ["Vårdcentralen Bra Liv Nässjö"]),
    ("Helena Åberg", REGION, ["ASIH Jönköping (avancerad sjukvård i hemmet)"]),
]

USK, VB, SSK = "Undersköterska", "Vårdbiträde", "Sjuksköterska"
BST, SA, FT, AT, LK = "Boendestödjare", "Stödassistent", "Fysioterapeut", "Arbetsterapeut", "Läkare"

# unit: its staff (name, profession), in the order managers tick them when booking
STAFF = {
    "Hemtjänst Råslätt": [
        ("Sara Johansson", USK), ("Ida Karlsson", USK), ("Mohammed Ali", USK), ("Emma Nilsson", VB),
        ("Anna Persson", USK), ("Jonas Svensson", VB), ("Elin Olsson", USK), ("Amina Hassan", USK),
        ("Lisa Andersson", VB), ("Marie Eriksson", USK),
    ],
    "Vård- och omsorgsboendet Ekhagen": [
        ("Kristina Larsson", USK), ("Goran Petrović", USK), ("Hanna Lindberg", SSK), ("Maja Axelsson", USK),
        ("Ulla Jakobsson", VB), ("Camilla Berg", USK), ("Nadia Rahimi", USK), ("Erik Holm", SSK),
        ("Birgitta Engström", USK), ("Tove Sandberg", VB), ("Josefin Forsberg", AT), ("Leila Karimi", USK),
    ],
    "Hemsjukvården Jönköping öster": [
        ("Malin Ström", SSK), ("Anders Hedlund", SSK), ("Sofie Lund", SSK), ("Petra Nyberg", FT),
        ("Karl Björk", SSK), ("Jenny Sundqvist", AT), ("Therese Wikström", SSK), ("Oskar Lindgren", FT),
        ("Susanne Dahl", AT),
    ],
    "Hemtjänst Värnamo centrum": [
        ("Linnea Gunnarsson", USK), ("Dragana Jovanović", USK), ("Ronja Fransson", VB), ("Helena Blom", USK),
        ("Ali Mohammadi", USK), ("Agneta Sjögren", VB), ("Frida Hermansson", USK), ("Rebecka Holmberg", USK),
        ("Monica Lindström", VB),
    ],
    "LSS-gruppbostaden Björkgatan": [
        ("Viktor Ekström", SA), ("Johanna Nordström", USK), ("Mattias Falk", SA), ("Sanna Mattsson", USK),
        ("Abdi Warsame", SA), ("Lena Sundberg", VB),
    ],
    "Boendestöd socialpsykiatri Vetlanda": [
        ("Pernilla Åström", BST), ("Daniel Hansson", BST), ("Mirela Hodžić", BST), ("Fredrik Lundqvist", BST),
        ("Ewa Bengtsson", BST),
    ],
    "Geriatrisk avdelning 51, Länssjukhuset Ryhov": [
        ("Cecilia Öberg", SSK), ("Hampus Lind", USK), ("Ingrid Söderberg", USK), ("Yasmin Abdullah", SSK),
        ("Maria Ekman", USK), ("Pontus Danielsson", SSK), ("Åsa Håkansson", USK), ("Elif Yilmaz", SSK),
        ("Gunilla Lundin", USK), ("Niklas Berglund", LK), ("Emelie Strömberg", SSK), ("Tiina Virtanen", USK),
    ],
    "Vårdcentralen Bra Liv Nässjö": [
        ("Karolina Pettersson", SSK), ("Stefan Jonsson", LK), ("Louise Ahlberg", SSK), ("Reza Ahmadi", LK),
        ("Annika Magnusson", USK), ("Martin Isaksson", FT), ("Sandra Wallin", SSK), ("Lotta Nordqvist", USK),
        ("Zeynep Demir", SSK),
    ],
    "ASIH Jönköping (avancerad sjukvård i hemmet)": [
        ("Jessica Lindahl", SSK), ("Henrik Samuelsson", SSK), ("Malin Björklund", SSK), ("Olof Eklund", LK),
        ("Charlotte Viklund", SSK), ("Amanda Hägg", USK), ("Emir Begić", SSK), ("Katarina Nyström", AT),
    ],
}

# Staff who also have a login of their own (linked to their participant record).
PARTICIPANT_LOGINS = ["Sara Johansson", "Hanna Lindberg", "Pernilla Åström", "Cecilia Öberg", "Karolina Pettersson"]

MIXED = {"min_per_side": 2, "release_before_hours": 72}

# Upcoming single sessions. `day` counts working days (Mon–Fri, not a holiday) from today; with the
# holidays around Christmas the last one still falls within eight weeks.
# bookings: (unit, how many, from which index in the unit's staff list), booked by the unit's manager.
UPCOMING = [
    {"key": "news2-full", "station": "Bedömningsrummet", "day": 6, "start": time(8, 30), "minutes": 120,
     "capacity": 6, "instructors": ["Maria Lindqvist"], "title": "NEWS2 och SBAR – gemensamt pass",
     "bookings": [("Hemtjänst Råslätt", 5, 0), ("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 3, 0)]},
    {"key": "kad-mixed", "station": "Katetersalen", "day": 4, "start": time(9, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Fatima Haddad"], "title": "",
     "bookings": [("Vård- och omsorgsboendet Ekhagen", 2, 0), ("ASIH Jönköping (avancerad sjukvård i hemmet)", 2, 0)]},
    {"key": "forfl-single", "station": "Förflyttningsstudion", "day": 9, "start": time(13, 0), "minutes": 90,
     "capacity": 8, "instructors": ["Johan Ek"], "title": "Förflyttning i hemmiljö",
     "bookings": [("Hemtjänst Värnamo centrum", 4, 0)]},
    {"key": "sar", "station": "Sårvårdsstationen", "day": 11, "start": time(9, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Fatima Haddad"], "title": "",
     "bookings": [("Hemsjukvården Jönköping öster", 2, 0), ("Vårdcentralen Bra Liv Nässjö", 2, 0)]},
    {"key": "omv-varnamo", "station": "Omvårdnadsstationen", "day": 13, "start": time(9, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Maria Lindqvist"], "title": "PEG, stomi och munvård",
     "bookings": [("Vård- och omsorgsboendet Ekhagen", 2, 4), ("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 1, 3)]},
    {"key": "hlr-varnamo", "station": "HLR-hörnan Värnamo", "day": 15, "start": time(13, 0), "minutes": 90,
     "capacity": 8, "instructors": ["Johan Ek"], "title": "",
     "bookings": [("LSS-gruppbostaden Björkgatan", 3, 0), ("Boendestöd socialpsykiatri Vetlanda", 2, 0)]},
    {"key": "news2-later", "station": "Bedömningsrummet", "day": 25, "start": time(13, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Maria Lindqvist"], "title": "", "bookings": []},
    {"key": "sar-later", "station": "Sårvårdsstationen", "day": 29, "start": time(13, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Fatima Haddad"], "title": "", "bookings": []},
    {"key": "kad-later", "station": "Katetersalen", "day": 32, "start": time(8, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Fatima Haddad"], "title": "",
     "bookings": [("Hemsjukvården Jönköping öster", 2, 4)]},
]

# Planned and then cancelled (its bookings are cancelled and everyone is told).
CANCELLED = {"key": "cancelled", "station": "Förflyttningsstudion", "day": 7, "start": time(9, 0), "minutes": 90,
             "capacity": 8, "instructors": ["Johan Ek"], "title": "",
             "bookings": [("Vård- och omsorgsboendet Ekhagen", 2, 9), ("Vårdcentralen Bra Liv Nässjö", 1, 8)],
             "reason": "Instruktören är sjuk. Ett nytt tillfälle planeras inom kort."}

# Weekly series: station, first working day on the given weekday at least `after` working days ahead.
SERIES = [
    {"key": "hlr-tuesdays", "station": "HLR-rummet", "weekday": 1, "after": 2, "start": time(13, 0),
     "end": time(14, 30), "occurrences": 7, "capacity": 8, "instructors": ["Johan Ek"],
     "title": "HLR vuxen – veckopass",
     "bookings": [  # per occurrence index
         (0, [("Hemtjänst Råslätt", 3, 5), ("Vårdcentralen Bra Liv Nässjö", 3, 0)]),
         (1, [("Vård- och omsorgsboendet Ekhagen", 3, 6), ("ASIH Jönköping (avancerad sjukvård i hemmet)", 2, 4)]),
         (2, [("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 2, 6)]),
     ]},
    {"key": "lkm-thursdays", "station": "Läkemedelsrummet", "weekday": 3, "after": 2, "start": time(8, 30),
     "end": time(10, 30), "occurrences": 6, "capacity": 8, "instructors": ["Maria Lindqvist"],
     "title": "Läkemedel enligt delegering",
     "bookings": [
         (0, [("LSS-gruppbostaden Björkgatan", 2, 3), ("Hemsjukvården Jönköping öster", 2, 2),
              ("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 2, 8)]),
         (1, [("Boendestöd socialpsykiatri Vetlanda", 3, 2), ("Hemtjänst Värnamo centrum", 2, 4)]),
     ]},
]

# Completed sessions. `day` is negative (working days back); `days_ago` counts calendar days and
# is used for older history so that some records are close to expiry and some have expired.
# attendees: (unit, how many, from index); `no_show` is how many of them did not come (the last ones).
PAST = [
    {"key": "hlr-past-1", "station": "HLR-rummet", "day": -4, "start": time(13, 0), "minutes": 90,
     "capacity": 8, "instructors": ["Johan Ek"],
     "attendees": [("Hemtjänst Råslätt", 4, 0), ("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 4, 0)],
     "no_show": 1, "unanswered": 1},
    {"key": "hlr-past-2", "station": "HLR-rummet", "day": -14, "start": time(13, 0), "minutes": 90,
     "capacity": 8, "instructors": ["Johan Ek"],
     "attendees": [("Vård- och omsorgsboendet Ekhagen", 4, 0), ("Vårdcentralen Bra Liv Nässjö", 4, 0)],
     "no_show": 0, "unanswered": 1},
    {"key": "kad-past", "station": "Katetersalen", "day": -8, "start": time(9, 0), "minutes": 120,
     "capacity": 6, "instructors": ["Fatima Haddad"],
     "attendees": [("Hemsjukvården Jönköping öster", 3, 0), ("ASIH Jönköping (avancerad sjukvård i hemmet)", 3, 0)],
     "no_show": 1, "unanswered": 2},
    {"key": "forfl-past", "station": "Förflyttningsstudion", "day": -20, "start": time(9, 0), "minutes": 90,
     "capacity": 8, "instructors": ["Johan Ek"],
     "attendees": [("Hemtjänst Värnamo centrum", 4, 0), ("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 2, 4)],
     "no_show": 0, "unanswered": 2},
    {"key": "lkm-past", "station": "Läkemedelsrummet", "day": -24, "start": time(8, 30), "minutes": 120,
     "capacity": 8, "instructors": ["Maria Lindqvist"],
     "attendees": [("Boendestöd socialpsykiatri Vetlanda", 3, 0), ("LSS-gruppbostaden Björkgatan", 2, 0),
                   ("Vårdcentralen Bra Liv Nässjö", 2, 4)],
     "no_show": 1, "unanswered": 3},
    # About 11 months ago: HLR (12 months) is about to expire for these people.
    {"key": "hlr-history-expiring", "station": "HLR-rummet", "days_ago": 330, "start": time(13, 0), "minutes": 90,
     "capacity": 8, "instructors": ["Johan Ek"],
     "attendees": [("Hemtjänst Råslätt", 3, 5), ("Geriatrisk avdelning 51, Länssjukhuset Ryhov", 3, 6)],
     "no_show": 0, "feedback": False},
    # About 14 months ago: HLR and drug handling (12 months) have expired for these people.
    {"key": "lkm-history-expired", "station": "Läkemedelsrummet", "days_ago": 420, "start": time(8, 30),
     "minutes": 120, "capacity": 8, "instructors": ["Maria Lindqvist"],
     "attendees": [("Vård- och omsorgsboendet Ekhagen", 3, 6), ("Hemtjänst Värnamo centrum", 2, 6),
                   ("ASIH Jönköping (avancerad sjukvård i hemmet)", 2, 5)],
     "no_show": 0, "feedback": False},
]

# Answers for answered feedback, used in turn: overall, relevance, confidence before/after,
# learned about the other side, what they take back, what could be better.
FEEDBACK_ANSWERS = [
    (5, 5, 2, 4, 5, "Att vi gör lika i kommun och region när vi larmar och startar HLR.",
     "Mer tid vid dockorna, vi var många per docka."),
    (4, 5, 3, 4, 4, "Tryckdjupet – jag tryckte för grunt tidigare.", ""),
    (5, 4, 3, 5, 5, "Hur avdelningen tänker vid en inskrivning från hemtjänsten.",
     "Gärna ett fall med en brukare i hemmet nästa gång."),
    (4, 4, 2, 4, 3, "Checklistan från stationen sätter vi upp på enheten.", "Lokalen var för varm."),
    (5, 5, 3, 5, 4, "Att våga säga till tydligt med SBAR när något inte stämmer.", ""),
    (3, 4, 4, 4, 3, "Repetition behövs oftare än vart annat år.", "Instruktionerna kunde skickas ut i förväg."),
    (4, 5, 2, 5, 5, "Vi fick träffa sjuksköterskorna vi pratar med i telefon varje vecka.", ""),
    (5, 5, 3, 4, 4, "Bra att få öva på riktig utrustning.", "Längre pass, gärna två timmar."),
]

SESSION_REPORT = {
    "what_worked": "Blandade grupper kommun/region gav bra diskussioner; alla hann öva flera gånger.",
    "what_to_change": "Skicka förberedelsematerial en vecka innan och korta genomgången i början.",
    "equipment_problems": "En docka gav ingen återkoppling på kompressionsdjup; anmäld till service.",
}
