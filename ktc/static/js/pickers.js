// Searchable pickers (Tom Select) on selects marked `data-picker`. Without JavaScript the native
// select works as before; with it, people type to filter (skills, instructors) or to search the
// server (`data-picker="staff"`, the staff search). Translated texts come from this script tag's
// data attributes, written by the template through Babel.
(function () {
  "use strict";
  var script = document.currentScript;
  var text = script ? script.dataset : {};

  function escapeText(value) {
    var div = document.createElement("div");
    div.textContent = value == null ? "" : String(value);
    return div.innerHTML;
  }

  function describedBy(select, ts) {
    // The hint and error texts stay announced on the control that now has the focus.
    ["aria-describedby", "aria-invalid", "aria-required"].forEach(function (name) {
      if (select.hasAttribute(name)) { ts.control_input.setAttribute(name, select.getAttribute(name)); }
    });
    if (select.required) { ts.control_input.setAttribute("aria-required", "true"); }
    // The label now names Tom Select's combobox; the native select (kept for the form, out of the
    // Tab order) is hidden from assistive technology so nobody meets an unnamed second control.
    select.setAttribute("aria-hidden", "true");
    var label = document.querySelector("label[for='" + ts.control_input.id + "']");
    if (label) { select.setAttribute("aria-labelledby", label.id); }
  }

  function baseSettings(select) {
    var multiple = select.multiple;
    return {
      plugins: multiple ? { remove_button: { title: text.remove || "Remove" } } : [],
      maxOptions: 200,
      // A single select's empty first option ("– Choose a unit –", "Everyone") stays a real choice.
      allowEmptyOption: !multiple,
      hidePlaceholder: true,
      closeAfterSelect: !multiple,
      placeholder: select.dataset.placeholder || text.placeholder || "",
      render: {
        no_results: function () { return '<div class="no-results">' + escapeText(text.noResults) + "</div>"; },
      },
    };
  }

  function staffSettings(select) {
    var url = select.dataset.searchUrl;
    var unitField = select.dataset.unitFrom ? document.querySelector(select.dataset.unitFrom) : null;
    var settings = baseSettings(select);
    settings.valueField = "id";
    settings.labelField = "name";
    settings.searchField = [];
    settings.loadThrottle = 200;
    // The server has already matched names and e-mails; keep its order and everything it found.
    // While a search is typed only its results are offered: not the select's own options (such as
    // "no staff record") nor someone already chosen, so Enter takes the first person found.
    settings.score = function (search) {
      var ts = this;
      return function (item) {
        if (!search) { return 1; }
        return item.remote && ts.items.indexOf(String(item.id)) < 0 ? 1 : 0;
      };
    };
    settings.shouldLoad = function (query) { return query.trim().length >= 1; };
    settings.load = function (query, callback) {
      var ts = this;
      var params = new URLSearchParams({ q: query });
      if (unitField && unitField.value) { params.set("unit", unitField.value); }
      fetch(url + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          // An earlier search's results go (a chosen person stays), so this search's come first.
          ts.clearOptions(function (option, value) { return !option.remote || ts.items.indexOf(value) >= 0; });
          callback(data.results.map(function (person) { person.remote = true; return person; }));
        })
        .catch(function () { callback(); });
    };
    settings.render.option = function (person, escape) {
      var detail = [person.unit, person.organisation, person.profession].filter(Boolean).join(", ");
      return "<div><span class=\"picker-person__name\">" + escape(person.name) + "</span> " +
        "<small class=\"picker-person__detail\">" + escape(detail) + "</small></div>";
    };
    settings.render.item = function (person, escape) { return "<div>" + escape(person.name) + "</div>"; };
    settings.render.no_results = function () {
      return '<div class="no-results">' + escapeText(text.noPeople || text.noResults) + "</div>";
    };
    settings.render.loading = function () {
      return '<div class="spinner" role="status">' + escapeText(text.searching) + "</div>";
    };
    return settings;
  }

  // The team booking form: a person chosen in the search joins the ticked list as a ticked box
  // (so the posted form is the same `participant_ids` list, in the order ticked).
  function addsToList(select, ts) {
    var list = document.querySelector(select.dataset.addsTo);
    if (!list) { return; }
    // Enter in the search box chooses a person; it never submits the booking form behind it.
    ts.control_input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    ts.on("item_add", function (value) {
      var person = ts.options[value];
      var box = document.getElementById("p-" + value);
      if (!box) {
        var item = document.createElement("li");
        box = document.createElement("input");
        box.type = "checkbox";
        box.name = "participant_ids";
        box.value = value;
        box.id = "p-" + value;
        var label = document.createElement("label");
        label.htmlFor = box.id;
        label.textContent = person.name + (person.profession ? ", " + person.profession : "") + " ";
        var unit = document.createElement("small");
        unit.textContent = "(" + person.unit + ")";
        label.appendChild(unit);
        item.appendChild(box);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(label);
        list.appendChild(item);
      }
      var status = document.querySelector(select.dataset.status);
      if (!box.disabled && !box.checked) {
        box.checked = true;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        if (status) { status.textContent = (text.added || "{name}").replace("{name}", person.name); }
      } else if (status) {
        status.textContent = (text.already || "{name}").replace("{name}", person.name);
      }
      // Empty the search for the next person once Tom Select has finished with this choice.
      window.setTimeout(function () {
        ts.clear(true);
        ts.clearOptions();
        ts.clearActiveOption();
        ts.control_input.removeAttribute("aria-activedescendant");
      }, 0);
    });
  }

  function enhance(select) {
    if (select.tomselect || typeof window.TomSelect !== "function") { return; }
    var staff = select.dataset.picker === "staff";
    var ts = new window.TomSelect(select, staff ? staffSettings(select) : baseSettings(select));
    describedBy(select, ts);
    if (select.dataset.addsTo) { addsToList(select, ts); }
    var hidden = select.closest("[data-picker-hidden]");
    if (hidden) { hidden.hidden = false; }
  }

  function start() {
    document.querySelectorAll("select[data-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
