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

// The limits and variants rows, and the availability kinds (templates/console/campaign-form/).
// Without script a spare blank row adds one and an emptied row is removed, and every kind's
// fields show; with it, Add and Remove buttons replace the spare rows and only the chosen
// kind's fields (and the chosen LivePerson authentication's secret names) show.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-rows]'), function (group) {
      var list = group.querySelector('[data-row-list]');
      var template = group.querySelector('template[data-row-template]');
      var add = group.querySelector('[data-add-row]');
      if (!list || !template || !add) return;
      Array.prototype.forEach.call(list.querySelectorAll('[data-spare]'), function (row) { row.remove(); });
      var next = list.querySelectorAll('[data-row]').length;
      function wire(row) {
        var remove = row.querySelector('[data-remove-row]');
        if (!remove) return;
        remove.hidden = false;
        remove.addEventListener('click', function () {
          row.remove();
          shares();
        });
      }
      Array.prototype.forEach.call(list.querySelectorAll('[data-row]'), wire);
      add.hidden = false;
      add.addEventListener('click', function () {
        // The server renumbers rows on save, so a fresh index only has to be unused.
        var html = template.innerHTML.replace(/__i__/g, String(next++));
        var holder = document.createElement('div');
        holder.innerHTML = html;
        var row = holder.querySelector('[data-row]');
        list.appendChild(row);
        wire(row);
        shares();
        var first = row.querySelector('input');
        if (first) first.focus();
      });

      // The variants' shares in words, as the server writes them (variants-form.ts shareInWords).
      function words(weight, total) {
        if (!(weight > 0) || !(total > 0)) return 'paused: no calls';
        var share = weight / total;
        if (share >= 1) return 'every call';
        var best = { n: 1, d: 1, error: Infinity };
        for (var d = 2; d <= 20; d++) {
          var n = Math.max(1, Math.min(d - 1, Math.round(share * d)));
          var error = Math.abs(n / d - share);
          if (error < best.error - 1e-9) best = { n: n, d: d, error: error };
        }
        return (best.error < 1e-9 ? '' : 'about ') + best.n + (best.n === 1 ? ' call' : ' calls') + ' in ' + best.d;
      }
      function shares() {
        if (!group.hasAttribute('data-share-words')) return;
        var rows = list.querySelectorAll('[data-row]');
        var weights = Array.prototype.map.call(rows, function (row) {
          var w = row.querySelector('[data-weight]');
          return w && /^\d+$/.test(w.value) ? Number(w.value) : 0;
        });
        var total = weights.reduce(function (a, b) { return a + b; }, 0);
        Array.prototype.forEach.call(rows, function (row, i) {
          var out = row.querySelector('[data-share]');
          if (out) out.textContent = words(weights[i], total);
        });
      }
      group.addEventListener('input', function (event) {
        if (event.target && event.target.hasAttribute && event.target.hasAttribute('data-weight')) shares();
      });
    });

    var kind = document.querySelector('[data-kind-select]');
    if (kind) {
      var showKind = function () {
        Array.prototype.forEach.call(document.querySelectorAll('[data-kind]'), function (box) {
          box.hidden = box.getAttribute('data-kind').split(' ').indexOf(kind.value) < 0;
        });
      };
      kind.addEventListener('change', showKind);
      showKind();
    }
    var auth = document.querySelector('[data-auth-select]');
    if (auth) {
      var showAuth = function () {
        Array.prototype.forEach.call(document.querySelectorAll('[data-auth]'), function (box) {
          box.hidden = box.getAttribute('data-auth') !== auth.value;
        });
      };
      auth.addEventListener('change', showAuth);
      showAuth();
    }
  });
})();
