// Small behaviours of our admin pages, kept out of the HTML for the Content-Security-Policy.
"use strict";

// A read-only field to copy from (the support page's status link): one click selects all of it.
document.addEventListener("click", (event) => {
  const field = event.target.closest("input[data-select-on-click]");
  if (field) {
    field.select();
  }
});
