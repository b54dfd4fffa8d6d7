// ivr-deflect console: the campaign form's prompt parts. Without script a prompt keeps the
// parts it has (clearing a part removes it); with it, parts are added and removed here.
// The server reads parts in their numbered order, so a removed part may leave a gap.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.querySelector('form.campaign-form');
    if (!form) return;
    form.querySelectorAll('[data-add-part], [data-script-only]').forEach(function (el) {
      el.hidden = false;
    });

    // "Remove part" only where a prompt has more than one: emptying the last one is the default.
    function showRemove(list) {
      var parts = list.querySelectorAll('[data-part]');
      parts.forEach(function (p) {
        p.querySelector('[data-remove-part]').hidden = parts.length < 2;
      });
    }
    form.querySelectorAll('[data-parts]').forEach(showRemove);

    function renumber(part, name, index) {
      part.querySelectorAll('[name], [id], label[for]').forEach(function (el) {
        ['name', 'id', 'for'].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/^prompts\.[A-Za-z]+\.\d+\./, 'prompts.' + name + '.' + index + '.'));
        });
      });
    }

    form.addEventListener('click', function (event) {
      var add = event.target.closest('[data-add-part]');
      var remove = event.target.closest('[data-remove-part]');
      if (add) {
        var name = add.getAttribute('data-add-part');
        var list = form.querySelector('[data-parts="' + name + '"]');
        var parts = list.querySelectorAll('[data-part]');
        var next = 0;
        parts.forEach(function (p) {
          var field = p.querySelector('textarea');
          var n = Number(/\.(\d+)\.text$/.exec(field.name)[1]);
          if (n >= next) next = n + 1;
        });
        var part = parts[parts.length - 1].cloneNode(true);
        renumber(part, name, next);
        part.querySelectorAll('textarea, input').forEach(function (el) {
          el.value = '';
          el.removeAttribute('placeholder');
          el.removeAttribute('aria-invalid');
        });
        var play = part.querySelector('[data-play]');
        if (play) play.remove();
        list.appendChild(part);
        showRemove(list);
        part.querySelector('textarea').focus();
      } else if (remove) {
        var item = remove.closest('[data-part]');
        var parent = item.parentNode;
        if (parent.querySelectorAll('[data-part]').length > 1) item.remove();
        showRemove(parent);
        // Focus goes on to the prompt's "Add a part", not to the top of the page.
        var next = form.querySelector('[data-add-part="' + parent.getAttribute('data-parts') + '"]');
        if (next) next.focus();
      }
    });
  });
})();
