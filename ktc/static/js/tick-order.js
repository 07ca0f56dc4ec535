// Team booking: a browser sends ticked boxes in page order, but the first *ticked* get the first
// seats. This records the order of ticking in a hidden field; without it the page order is used.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-tick-order]").forEach(function (form) {
    var field = form.querySelector("input[name=tick_order]");
    // The page may come with people ticked in an order of its own (an offer's link, a refused post).
    var order = field.value ? field.value.split(",") : [];
    form.querySelectorAll("input[name=participant_ids]:checked").forEach(function (box) {
      if (order.indexOf(box.value) < 0) { order.push(box.value); }
    });
    order = order.filter(function (id) {
      var box = form.querySelector("input[name=participant_ids][value='" + id + "']");
      return box !== null && box.checked;
    });
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
