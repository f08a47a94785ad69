// A page that comes back with errors shows the first one: on a phone a long form would
// otherwise keep the error below the fold. The field in error gets the focus, so a screen
// reader reads it too; a form-wide error (no field) is scrolled into view.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.querySelector(".field.has-error");
  const target = field || document.querySelector("form .errors");
  if (!target) return;
  target.scrollIntoView({ block: "center" });
  const input = field && field.querySelector("input:not([type=hidden]), select, textarea");
  if (input) input.focus({ preventScroll: true });
});
