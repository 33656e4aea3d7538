// Initialises every GOV.UK Frontend component on the page (error summary focus, notification
// banners, service navigation menu, password reveal, accordions, ...). Loaded with type="module" at
// the end of <body>; the import is relative so it follows wherever the static folder is served.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

// "Print this case" on the print view: a button only where JavaScript can print (without it, the page
// says to use the browser's print command).
for (const button of document.querySelectorAll('[data-module="app-print-button"]')) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
