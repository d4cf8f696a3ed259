// Ask before an action that removes something: a submit button (or its form) with a
// data-confirm attribute says what will happen, and nothing is sent unless the person agrees.
document.addEventListener("submit", (event) => {
  const message = event.submitter?.dataset.confirm || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
