// Forms marked data-warn-unsaved: leaving the page with changes not yet saved asks first. A form
// shown again after an error (data-dirty) holds edits that are not saved either.
document.addEventListener("DOMContentLoaded", function () {
  var forms = document.querySelectorAll("form[data-warn-unsaved]");
  if (!forms.length) { return; }
  var dirty = false;
  forms.forEach(function (form) {
    if (form.hasAttribute("data-dirty")) { dirty = true; }
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });
});
