"""Demo data: realistic Swedish organisations, staff, skills, stations and sessions (`flask ktc demo`)."""
