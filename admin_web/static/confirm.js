// Ask before an action that removes something: a submit button (or its form) with a
// data-confirm attribute says what will happen, and nothing is sent unless the person agrees.
// With data-confirm-when="<checkbox id>", only when that box is ticked (an optional removal).
document.addEventListener("submit", (event) => {
  const source = event.submitter?.dataset.confirm ? event.submitter : event.target;
  const message = source?.dataset.confirm;
  const when = source?.dataset.confirmWhen;
  if (when && !document.getElementById(when)?.checked) return;
  if (message && !window.confirm(message)) event.preventDefault();
});
