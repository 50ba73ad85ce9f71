// Expand calendar objects with Mozilla ical.js, the engine of Thunderbird's and Nextcloud's
// calendars: `node expand.mjs PATH/TO/ical.js < request.json > answer.json`.
//
// request: {"objects": ["BEGIN:VCALENDAR...", ...], "from": unix, "to": unix, "max": n}
// answer:  {"version": "2.x", "objects": [[[start, end], ...] | {"error": "..."}, ...]}
// Every occurrence whose start is in [from, to) is given as unix seconds (start, end), as
// ical.js places it: the VTIMEZONE inside the object, RRULE, EXDATE and RECURRENCE-ID
// overrides, exactly as a calendar app that uses ical.js shows the object. At most `max`
// instances are read per object.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const ICAL = (await import(pathToFileURL(process.argv[2]).href)).default;
const request = JSON.parse(readFileSync(0, "utf8"));

function expand(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents("vevent");
  const master = events.find((e) => !e.hasProperty("recurrence-id"));
  if (!master) return { error: "no master VEVENT" };
  const event = new ICAL.Event(master);
  for (const other of events) {
    if (other !== master) event.relateException(other);
  }
  const found = [];
  if (!event.isRecurring()) {
    const start = event.startDate.toUnixTime();
    if (start >= request.from && start < request.to) {
      found.push([start, event.endDate.toUnixTime()]);
    }
    return found;
  }
  const iterator = event.iterator();
  // an override can move an instance by a few hours: read a day past the window
  const last = request.to + 86400;
  for (let n = 0; n < request.max; n++) {
    const next = iterator.next();
    if (!next || next.toUnixTime() >= last) break;
    const details = event.getOccurrenceDetails(next);
    const start = details.startDate.toUnixTime();
    if (start >= request.from && start < request.to) {
      found.push([start, details.endDate.toUnixTime()]);
    }
  }
  return found;
}

const objects = request.objects.map((text) => {
  try {
    return expand(text);
  } catch (error) {
    return { error: String(error) };
  }
});
process.stdout.write(JSON.stringify({ version: ICAL.version ?? "", objects }));
