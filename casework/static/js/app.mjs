// Initialises every GOV.UK Frontend component on the page (error summary focus, notification
// banners, service navigation menu, password reveal, accordions, ...). Loaded with type="module" at
// the end of <body>; the import is relative so it follows wherever the static folder is served.
import { initAll } from "../govuk/govuk-frontend.min.js";

// A second click within a second of the first does not send a form again (a double click on "Open
// case" would open two cases): every button, not only those whose template remembered to ask for it.
initAll({ button: { preventDoubleClick: true } });

// A table that scrolls inside its own box on a narrow screen (app.css) must be reachable by keyboard
// so that it can be scrolled without a mouse (WCAG 2.1.1): it takes the focus, named by its caption.
function focusScrollingTables() {
  for (const table of document.querySelectorAll(".govuk-table")) {
    if (table.scrollWidth > table.clientWidth) {
      table.setAttribute("tabindex", "0");
    } else if (table.getAttribute("tabindex") === "0") {
      table.removeAttribute("tabindex");
    }
  }
}
focusScrollingTables();
window.addEventListener("resize", focusScrollingTables);
// "Print this case" on the print view: a button only where JavaScript can print (without it, the page
// says to use the browser's print command).
for (const button of document.querySelectorAll('[data-module="app-print-button"]')) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
