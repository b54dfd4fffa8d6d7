// ivr-deflect console, API tokens page: a button that copies a new token's secret. The
// page works without it (the secret sits in a read-only field to select and copy).
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-copy]').forEach(function (button) {
      var field = document.getElementById(button.getAttribute('data-copy'));
      if (!field) return;
      field.addEventListener('focus', function () {
        field.select();
      });
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(field.value).then(
          function () {
            button.textContent = 'Copied';
          },
          function () {
            field.focus();
          },
        );
      });
    });
  });
})();
