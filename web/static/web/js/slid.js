// Behaviours every page shares. A page opts in with a data- attribute; it needs no script of its own,
// and the Content Security Policy allows none inline. A page with more to do adds a module of its own
// (web/static/web/js/<page>.js) in its template's {% block scripts %}.

/** Sets up the behaviours inside `root`: the whole page at first, then each part htmx puts in. */
function enhance(root) {
  // <select data-autosubmit>: choosing an option submits its form (the language switch).
  for (const select of root.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // data-hidden-with-js: a button only needed without script (the one next to an auto-submitting select).
  for (const element of root.querySelectorAll("[data-hidden-with-js]")) {
    element.hidden = true;
  }
  // <form data-confirm="question">: asks before submitting (signing out everywhere).
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

// A menu (<details class="menu">) closes when one clicks elsewhere or presses Escape.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});

enhance(document);
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) enhance(event.detail.elt);
});
