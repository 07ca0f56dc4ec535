// New session: when the station (or the start) changes, fill in what the station knows — the end from
// its default length, its skills, the seats it holds per side — from data attributes on its option.
// Without this script the server does the same when the page is opened from a planner slot.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-session-form]").forEach(function (form) {
    var station = form.querySelector("select[name=station_id]");
    var start = form.querySelector("input[name=start_time]");
    var end = form.querySelector("input[name=end_time]");
    var skills = form.querySelector("select[name=skill_ids]");
    var held = form.querySelector("input[name=min_per_side]");
    if (!station || !start || !end) { return; }
    var endTouched = false;
    end.addEventListener("input", function () { endTouched = true; });

    function chosen() { return station.options[station.selectedIndex]; }

    function fillEnd() {
      var option = chosen();
      var minutes = option ? parseInt(option.dataset.duration, 10) : NaN;
      var match = /^(\d{2}):(\d{2})/.exec(start.value);
      if (!match || isNaN(minutes)) { return; }
      var total = Math.min(parseInt(match[1], 10) * 60 + parseInt(match[2], 10) + minutes, 23 * 60 + 59);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      end.value = pad(Math.floor(total / 60)) + ":" + pad(total % 60);
    }

    station.addEventListener("change", function () {
      var option = chosen();
      if (!option) { return; }
      fillEnd();
      endTouched = false;
      if (skills && option.dataset.skills !== undefined) {
        var ids = option.dataset.skills.split(" ").filter(function (id) { return id !== ""; });
        if (skills.tomselect) {
          // The picker keeps its own list of chosen items: tell it, or it shows none of them.
          skills.tomselect.setValue(ids, true);
        } else {
          Array.prototype.forEach.call(skills.options, function (o) { o.selected = ids.indexOf(o.value) !== -1; });
        }
      }
      if (held && option.dataset.held !== undefined) { held.value = option.dataset.held; }
    });
    start.addEventListener("change", function () {
      if (!endTouched || !end.value) { fillEnd(); }
    });
  });
});
