// ivr-deflect console: small progressive enhancements. Every page works without this
// file; no inline scripts or handlers anywhere, so a strict CSP can allow only 'self'.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  document.addEventListener('DOMContentLoaded', function () {
    // Narrow screens: the nav folds behind a Menu button (without script it just wraps).
    var toggle = document.querySelector('.nav-toggle');
    var nav = document.getElementById('site-nav');
    if (toggle && nav) {
      toggle.hidden = false;
      toggle.addEventListener('click', function () {
        var open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        nav.classList.toggle('open', open);
      });
    }

    // Times are written in UTC; show them in the admin's own zone, UTC on hover.
    var format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    document.querySelectorAll('time[datetime]').forEach(function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) return;
      el.title = el.textContent;
      el.textContent = format.format(date);
    });
  });
})();
