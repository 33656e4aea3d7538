// Initialises every GOV.UK Frontend component on the page (error summary focus, notification
// banners, service navigation menu, password reveal, accordions, ...). Loaded with type="module" at
// the end of <body>; the import is relative so it follows wherever the static folder is served.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
