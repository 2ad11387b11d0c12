// A form marked data-busy starts a long job on the server (a file of a million calls takes
// a minute or two): once sent, it says so and cannot be sent a second time.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-busy") || event.defaultPrevented) return;
  form.querySelectorAll("button").forEach(function (button) {
    button.disabled = true;
  });
  var note = form.querySelector(".busy-note");
  if (note) note.hidden = false;
});
