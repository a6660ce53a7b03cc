// Starts Redoc on /api/redoc/ (templates/api/redoc.html). Redoc inserts <style> elements as it renders; it
// marks them with the nonce of this script's tag, which the page's Content-Security-Policy accepts.
(function () {
  "use strict";
  const tag = document.currentScript;
  const options = Object.assign(JSON.parse(tag.dataset.settings || "{}"), { nonce: tag.nonce });
  Redoc.init(tag.dataset.schemaUrl, options, document.getElementById("redoc-container"));
})();
