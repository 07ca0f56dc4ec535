// Team booking: a browser sends ticked boxes in page order, but the first *ticked* get the first
// seats. This records the order of ticking in a hidden field; without it the page order is used.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-tick-order]").forEach(function (form) {
    var field = form.querySelector("input[name=tick_order]");
    var order = [];
    form.querySelectorAll("input[name=participant_ids]:checked").forEach(function (box) { order.push(box.value); });
    field.value = order.join(",");
    form.addEventListener("change", function (event) {
      var box = event.target;
      if (box.name !== "participant_ids") { return; }
      order = order.filter(function (id) { return id !== box.value; });
      if (box.checked) { order.push(box.value); }
      field.value = order.join(",");
    });
  });
});
