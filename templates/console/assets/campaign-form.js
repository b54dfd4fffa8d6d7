// ivr-deflect console: the campaign form's live SMS preview. The server measures the text
// (same code as the send path, same link length), so the counts are what will be billed.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var message = document.querySelector('textarea[data-preview]');
    var csrf = document.querySelector('input[name="_csrf"]');
    if (!message || !csrf || !window.fetch) return;
    var box = document.getElementById(message.getAttribute('data-preview'));
    var text = box.querySelector('[data-preview-text]');
    var counts = box.querySelector('[data-preview-counts]');
    var warnings = box.querySelector('[data-preview-warnings]');
    var timer = null;
    var latest = 0;

    function show(preview) {
      text.textContent = preview.text;
      counts.textContent = preview.characters + ' characters · ' + preview.encoding + ' · ' + preview.segments +
        (preview.segments === 1 ? ' segment' : ' segments');
      warnings.textContent = '';
      preview.warnings.forEach(function (w) {
        var li = document.createElement('li');
        li.textContent = w;
        warnings.appendChild(li);
      });
      box.classList.toggle('has-warnings', preview.warnings.length > 0);
    }

    function update() {
      var asked = ++latest;
      fetch('/admin/campaigns-preview', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf.value },
        body: JSON.stringify({ message: message.value }),
      })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (preview) { if (preview && asked === latest) show(preview); })
        .catch(function () { /* the preview is a help; the save still validates */ });
    }

    message.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    });
  });
})();
