// Copy buttons (data-copy = the id of the field to copy): shown only where this script runs, and they
// say so in the status region next to them once the text is on the clipboard.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[role=status]");
    if (!field) { return; }
    button.hidden = false;
    function done() { if (status) { status.textContent = button.getAttribute("data-copied"); } }
    button.addEventListener("click", function () {
      if (status) { status.textContent = ""; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        if (document.execCommand("copy")) { done(); }
      }
    });
  });
});
