// Starts Swagger UI on /api/v1/docs. A file of our own, not an inline script, so the page
// keeps to a Content-Security-Policy of script-src 'self'.
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return; // the bundle failed to load: the "正在加载" line stays, with the JSON link above
  }
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    // No badge from validator.swagger.io: the page talks to this server only.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    docExpansion: "list",
    // 126 operations: a box that narrows them by tag
    filter: true,
    defaultModelsExpandDepth: 0,
    persistAuthorization: false,
  });
})();
