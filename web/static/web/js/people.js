// The chain of command as a tree (WAI-ARIA's navigation tree view): arrow keys move between units, right
// opens a unit's subordinates and left closes them, Home and End go to the first and last unit shown,
// Enter follows the link. A click on the marker before a name opens or closes it. Without this script
// the tree is a nested list of links, all open.

const ITEM = '[role="treeitem"]';

function groupOf(item) {
  const id = item.getAttribute("aria-owns");
  return id ? document.getElementById(id) : null;
}

function setOpen(item, open) {
  const group = groupOf(item);
  if (!group) return;
  item.setAttribute("aria-expanded", String(open));
  group.hidden = !open;
}

function visibleItems(tree) {
  return [...tree.querySelectorAll(ITEM)].filter((item) => !item.closest('[role="group"][hidden]'));
}

function parentItem(item) {
  const group = item.closest('[role="group"]');
  return group ? group.parentElement.querySelector(`:scope > ${ITEM}`) : null;
}

function focus(tree, item) {
  for (const other of tree.querySelectorAll(ITEM)) other.tabIndex = -1;
  item.tabIndex = 0;
  item.focus();
}

function enhance(tree) {
  const items = [...tree.querySelectorAll(ITEM)];
  for (const item of items) {
    item.tabIndex = -1;
    if (!groupOf(item)) continue;
    const marker = document.createElement("span");
    marker.className = "tree-toggle";
    marker.setAttribute("aria-hidden", "true");
    item.prepend(marker);
    marker.addEventListener("click", (event) => {
      event.preventDefault();
      setOpen(item, item.getAttribute("aria-expanded") !== "true");
    });
    if (item.hasAttribute("data-collapsed")) setOpen(item, false);
  }
  const start = tree.querySelector(`${ITEM}[aria-current]`) || items[0];
  if (start) start.tabIndex = 0;
  tree.classList.add("tree-enhanced");

  tree.addEventListener("keydown", (event) => {
    const item = event.target.closest(ITEM);
    if (!item) return;
    const shown = visibleItems(tree);
    const at = shown.indexOf(item);
    const open = item.getAttribute("aria-expanded");
    let next = null;
    switch (event.key) {
      case "ArrowDown": next = shown[at + 1]; break;
      case "ArrowUp": next = shown[at - 1]; break;
      case "Home": next = shown[0]; break;
      case "End": next = shown[shown.length - 1]; break;
      case "ArrowRight":
        if (open === "false") setOpen(item, true);
        else if (open === "true") next = groupOf(item).querySelector(ITEM);
        break;
      case "ArrowLeft":
        if (open === "true") setOpen(item, false);
        else next = parentItem(item);
        break;
      default:
        return;
    }
    event.preventDefault();
    if (next) focus(tree, next);
  });
}

for (const tree of document.querySelectorAll("[data-tree]")) enhance(tree);
