// The main menu's groups as disclosure buttons: each group's label becomes a button with
// aria-expanded that shows or hides its links. Without JavaScript the links are simply shown.
// Escape closes the open group and returns the focus to its button; so does a click elsewhere.
(function () {
  "use strict";

  function setUp(nav) {
    var buttons = [];

    function close(button, focus) {
      button.setAttribute("aria-expanded", "false");
      document.getElementById(button.getAttribute("aria-controls")).hidden = true;
      if (focus) { button.focus(); }
    }

    function closeOthers(except) {
      buttons.forEach(function (other) { if (other !== except) { close(other, false); } });
    }

    nav.querySelectorAll("[data-menu-label]").forEach(function (label) {
      var list = document.getElementById(label.dataset.controls);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "nav-group__button";
      button.id = label.id;
      button.textContent = label.textContent;
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", list.id);
      label.replaceWith(button);
      list.hidden = true;
      buttons.push(button);
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") === "true";
        closeOthers(button);
        button.setAttribute("aria-expanded", open ? "false" : "true");
        list.hidden = open;
      });
      list.parentElement.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
          event.preventDefault();
          close(button, true);
        }
      });
      // Leaving the group with Tab (focus moves outside it) closes it.
      list.parentElement.addEventListener("focusout", function (event) {
        if (event.relatedTarget && !list.parentElement.contains(event.relatedTarget)) { close(button, false); }
      });
    });
    document.addEventListener("click", function (event) {
      if (!nav.contains(event.target)) { closeOthers(null); }
    });
    nav.classList.add("main-nav--js");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("nav[data-menu]").forEach(setUp);
  });
})();
