/* chainmap page behaviour. Loaded as a file (no inline script: the pages run under a strict CSP). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    // htmx sends Django's CSRF token with every request it makes.
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
    // Filters left empty stay out of the query string, so pushed URLs are short and shareable.
    if (event.detail.verb === "get") {
      var params = event.detail.parameters;
      Object.keys(params).forEach(function (name) {
        if (params[name] === "") {
          delete params[name];
        }
      });
    }
  });

  // A select with data-resets="name" clears that field of its form when it changes
  // (a new chain makes the chosen node meaningless). Capture phase: runs before htmx sends the form.
  document.addEventListener(
    "change",
    function (event) {
      var target = event.target;
      if (!target || !target.form || !target.dataset || !target.dataset.resets) {
        return;
      }
      var field = target.form.elements.namedItem(target.dataset.resets);
      if (field && "value" in field) {
        field.value = "";
      }
    },
    true
  );

  // Filter forms that htmx submits need no submit button; without JS it stays visible.
  document.documentElement.classList.add("js");
})();
