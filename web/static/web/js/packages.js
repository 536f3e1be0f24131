// Court packages. The list's search boxes search as one types (htmx), so Enter in one of them must not submit
// the form (without script it does, and its Find button searches). A package's page: the button that copies
// its SHA-256 (shown only when the browser can copy); htmx puts the status part in again while the package
// is built, so the buttons are set up in each part it puts in.

for (const input of document.querySelectorAll("input[data-search-only]")) {
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
}

function enhance(root) {
  if (!navigator.clipboard) return;
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    button.hidden = false;
    const label = button.textContent;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
}

enhance(document);
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) enhance(event.detail.elt);
});
