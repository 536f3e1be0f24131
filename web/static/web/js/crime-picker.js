// The crime picker: <select multiple data-crime-picker> becomes a search box (an ARIA 1.2 combobox with a
// list box) that finds a crime of the Rome Statute by its title, in the page's language or in English, or
// by its article (8(2)(a)(i), or just "8(2)(b)"), and the list of the crimes chosen, each with a button
// that removes it. The select stays in the form, hidden, and holds the choice: without script it is the
// control itself. The crimes' codes and titles come from <script type="application/json" id="crime-options">.

// The words it says, in the page's language: <script type="application/json" id="crime-picker-text">, with
// {n} and {code} put in.
const TEXT = JSON.parse(document.getElementById("crime-picker-text")?.textContent || "{}");
const say = (key, values = {}) => (TEXT[key] || key).replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");

const words = (text) => text.toLowerCase().normalize("NFKC").split(/\s+/).filter(Boolean);
const compact = (text) => text.toLowerCase().replace(/\s+/g, "");

function matches(crime, query) {
  if (!query.trim()) return true;
  if (crime.code.startsWith(compact(query))) return true;
  const haystack = `${crime.code} ${crime.title} ${crime.english}`.toLowerCase().normalize("NFKC");
  return words(query).every((word) => haystack.includes(word));
}

function start(select, crimes) {
  const byCode = new Map(crimes.map((crime) => [crime.code, crime]));
  const id = select.id;
  const label = document.querySelector(`label[for="${id}"]`);

  const picker = document.createElement("div");
  picker.className = "crime-picker";
  const chosen = document.createElement("ul");
  chosen.className = "crime-chosen";
  chosen.setAttribute("aria-label", say("chosen"));
  const box = document.createElement("div");
  box.className = "crime-combobox";
  const input = document.createElement("input");
  input.type = "text";
  input.id = `${id}-search`;
  input.autocomplete = "off";
  input.placeholder = say("search");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", `${id}-listbox`);
  const described = select.getAttribute("aria-describedby");
  if (described) input.setAttribute("aria-describedby", described);
  const listbox = document.createElement("ul");
  listbox.id = `${id}-listbox`;
  listbox.setAttribute("role", "listbox");
  listbox.setAttribute("aria-multiselectable", "true");
  listbox.setAttribute("aria-label", label ? label.textContent.trim() : say("search"));
  listbox.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  box.append(input, listbox);
  picker.append(chosen, box, status);
  select.after(picker);
  select.hidden = true;
  if (label) label.htmlFor = input.id;

  let shown = [];
  let active = -1;
  const isChosen = (code) => [...select.selectedOptions].some((option) => option.value === code);

  const renderChosen = () => {
    chosen.replaceChildren();
    for (const option of select.selectedOptions) {
      const crime = byCode.get(option.value) || { code: option.value, title: option.textContent };
      const item = document.createElement("li");
      const name = document.createElement("span");
      const code = document.createElement("strong");
      code.textContent = crime.code;
      name.append(code, ` ${crime.title}`);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "crime-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", say("remove", { code: crime.code }));
      remove.addEventListener("click", () => {
        toggle(crime.code);
        input.focus();
      });
      item.append(name, remove);
      chosen.append(item);
    }
    chosen.hidden = select.selectedOptions.length === 0;
  };

  const renderList = () => {
    listbox.replaceChildren();
    shown.forEach((crime, index) => {
      const option = document.createElement("li");
      option.id = `${id}-option-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(isChosen(crime.code)));
      option.className = index === active ? "crime-active" : "";
      const code = document.createElement("span");
      code.className = "crime-code";
      code.textContent = crime.code;
      option.append(code, ` ${crime.title}`);
      option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
      option.addEventListener("click", () => toggle(crime.code));
      listbox.append(option);
    });
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `${id}-option-${active}`);
      listbox.children[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  const open = () => {
    shown = crimes.filter((crime) => matches(crime, input.value));
    active = Math.min(active, shown.length - 1);
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
    status.textContent = shown.length ? say("found", { n: shown.length }) : say("none");
    renderList();
  };
  const close = () => {
    listbox.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  function toggle(code) {
    const option = [...select.options].find((each) => each.value === code);
    if (!option) return;
    option.selected = !option.selected;
    status.textContent = option.selected ? say("added", { code }) : say("removed", { code });
    select.dispatchEvent(new Event("change", { bubbles: true }));
    renderChosen();
    if (!listbox.hidden) renderList();
  }

  input.addEventListener("input", () => {
    active = input.value.trim() ? 0 : -1;
    open();
  });
  input.addEventListener("focus", open);
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (listbox.hidden) open();
      if (!shown.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + shown.length) % shown.length;
      renderList();
    } else if (event.key === "Enter") {
      if (!listbox.hidden && active >= 0 && shown[active]) {
        event.preventDefault(); // choosing, not submitting the form
        toggle(shown[active].code);
      }
    } else if (event.key === "Escape") {
      if (!listbox.hidden) {
        event.preventDefault();
        close();
      }
    }
  });
  renderChosen();
}

const data = document.getElementById("crime-options");
if (data) {
  const crimes = JSON.parse(data.textContent);
  for (const select of document.querySelectorAll("select[data-crime-picker]")) start(select, crimes);
}
