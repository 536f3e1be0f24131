// Revealing a witness's or victim's identity (web/templates/web/witness_detail.html): the button
// [data-reveal-open="<dialog id>"] opens the dialog that says the reveal will be recorded; its form posts
// the reveal, [data-reveal-cancel] (or Escape) closes it. The revealed identity gets the focus.

for (const button of document.querySelectorAll("[data-reveal-open]")) {
  const dialog = document.getElementById(button.dataset.revealOpen);
  if (!dialog) continue;
  button.addEventListener("click", () => dialog.showModal());
  for (const cancel of dialog.querySelectorAll("[data-reveal-cancel]")) {
    cancel.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("close", () => button.focus());
}

const identity = document.querySelector("[data-identity]");
if (identity) identity.focus();
