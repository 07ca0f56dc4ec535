// Reads an iCalendar file from stdin with ical.js and prints each VEVENT's identity and its
// start and end as UTC instants and its alarms (JSON), using only the VTIMEZONEs in the file itself.
import ICAL from "ical.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;

const root = new ICAL.Component(ICAL.parse(input));
const zones = {};
for (const vtz of root.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(vtz);
  zones[zone.tzid] = zone;
}
const iso = (time, tzid) => {
  const t = time.clone();
  if (tzid) t.zone = zones[tzid];
  return t.convertToZone(ICAL.Timezone.utcTimezone).toString();
};
const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const start = vevent.getFirstProperty("dtstart");
  const end = vevent.getFirstProperty("dtend");
  const tzid = start.getParameter("tzid");
  if (tzid && !zones[tzid]) throw new Error(`no VTIMEZONE for ${tzid}`);
  return {
    uid: vevent.getFirstPropertyValue("uid"),
    sequence: vevent.getFirstPropertyValue("sequence"),
    status: vevent.getFirstPropertyValue("status"),
    tzid,
    start: iso(start.getFirstValue(), tzid),
    end: iso(end.getFirstValue(), end.getParameter("tzid")),
    alarms: vevent.getAllSubcomponents("valarm").map((valarm) => ({
      action: valarm.getFirstPropertyValue("action"),
      trigger: valarm.getFirstPropertyValue("trigger").toString(),
      description: valarm.getFirstPropertyValue("description"),
    })),
  };
});
process.stdout.write(JSON.stringify({ method: root.getFirstPropertyValue("method"), events }));
