// The receipt page (web/templates/web/upload_receipt.html): its Print button.
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}
