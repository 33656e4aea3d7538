// Loaded as the first thing in <body> as a classic, blocking script (the CSP forbids inline script).
// GOV.UK Frontend styles its JavaScript-enhanced components only when <body> has `js-enabled`, and
// initialises them only when it also has `govuk-frontend-supported` (browsers that run ES modules).
// Adding the classes before the page paints avoids a flash of the no-JavaScript layout.
(function () {
  "use strict";
  var classes = document.body.classList;
  classes.add("js-enabled");
  if ("noModule" in HTMLScriptElement.prototype) {
    classes.add("govuk-frontend-supported");
  }
})();
