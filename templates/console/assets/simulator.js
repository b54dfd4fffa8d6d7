// ivr-deflect console: the call simulator's keypad. The call itself runs on the server
// (src/console/pages/simulator.ts); this script starts it, sends the caller's inputs and
// draws what comes back: the transcript, what the call expects next, and the text
// message at the end. Everything is written with textContent: no markup from the server.
(function () {
  'use strict';

  var API = '/admin/simulator/calls';
  var SPEAK_SETTING = 'ivr-deflect.simulator.speak';
  var MAX_KEYS = 64;
  // An expectation like "1 | 2": every answer is a single key, so one press is the answer.
  var ONE_KEY = /^\s*[0-9*#A-D](\s*\|\s*[0-9*#A-D])*\s*$/;
  var KEY = /^[0-9*#]$/;
  // A link in the text, without the punctuation that may follow it in a sentence.
  var LINK = /(https?:\/\/[^\s]*[^\s.,;:!?)'"])/;

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('sim-dial');
    if (!form || !window.fetch) return;
    var byId = function (id) { return document.getElementById(id); };
    var csrf = form.querySelector('input[name="_csrf"]').value;
    var dnis = byId('sim-dnis');
    var dnisOtherField = byId('sim-dnis-other-field');
    var dnisOther = byId('sim-dnis-other');
    var ani = byId('sim-ani');
    var callButton = byId('sim-call');
    var statusLine = byId('sim-status');
    var promptLine = byId('sim-prompt');
    var expecting = byId('sim-expecting');
    var keysOut = byId('sim-keys');
    var transcript = byId('sim-transcript');
    var sms = byId('sim-sms');
    var errorBox = byId('sim-error');
    var speak = byId('sim-speak');
    var sendButton = byId('sim-send');
    var clearButton = byId('sim-clear');
    var inCallControls = document.querySelectorAll('.sim-key, [data-input]');

    var callId = null; // the call on the line
    var listening = null; // what it is waiting for (an InputRequest)
    var busy = false; // a request is on its way
    var keys = ''; // keys collected for a multi-key answer
    var ourOrigin = null; // the start URL's origin, left out of fetched URLs to keep them short

    // In a call the keypad stays enabled (presses while a request is on its way are
    // ignored), so a keyboard user's focus is never thrown out of a disabled button.
    function updateControls() {
      var inCall = Boolean(callId);
      callButton.disabled = inCall || busy;
      inCallControls.forEach(function (button) { button.disabled = !inCall; });
      sendButton.disabled = !inCall || !keys;
      clearButton.disabled = !inCall || !keys;
      keysOut.textContent = keys;
    }

    // Focus follows the call: to the keypad when it starts, back to Call when it ends.
    function moveFocus(target) {
      var focused = document.activeElement;
      if (!focused || focused === document.body || focused.disabled) target.focus();
    }

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = !message;
    }

    // The API answers JSON; anything else means the console's own pages answered instead.
    function send(method, url, body) {
      return fetch(url, {
        method: method,
        credentials: 'same-origin',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: body ? JSON.stringify(body) : undefined,
      }).then(function (res) {
        if (res.type === 'opaqueredirect') throw new Error('Your sign-in has ended: reload the page and sign in again.');
        var json = (res.headers.get('Content-Type') || '').indexOf('application/json') === 0;
        if (!json) {
          if (res.status === 403) throw new Error('This page has expired: reload it and try again.');
          throw new Error('The server answered ' + res.status + '. Try again, or reload the page.');
        }
        return res.json().then(function (data) {
          if (!res.ok) {
            var error = new Error(data.error || 'The server answered ' + res.status + '.');
            error.status = res.status;
            throw error;
          }
          return data;
        });
      });
    }

    // --- The call -------------------------------------------------------------------------

    function startCall(event) {
      event.preventDefault();
      if (callId || busy) return;
      if (window.speechSynthesis) window.speechSynthesis.cancel();
      showError('');
      transcript.textContent = '';
      sms.textContent = '';
      sms.appendChild(paragraph('muted', 'When the call ends, the text the gateway received is shown here.'));
      ourOrigin = null;
      keys = '';
      busy = true;
      statusLine.textContent = 'Calling…';
      promptLine.textContent = '';
      expecting.textContent = '';
      updateControls();
      send('POST', API, { dnis: dnis.value || dnisOther.value, ani: ani.value })
        .then(show, failed);
    }

    function sendInput(input) {
      if (!callId || !listening || busy) return;
      if (window.speechSynthesis) window.speechSynthesis.cancel(); // the caller barges in
      showError('');
      keys = '';
      busy = true;
      statusLine.textContent = 'Sending…';
      updateControls();
      send('POST', API + '/' + encodeURIComponent(callId) + '/input', { input: input })
        .then(show, failed);
    }

    function show(step) {
      busy = false;
      step.entries.forEach(addEntry);
      // The phone's screen keeps what the caller heard last, beside the keypad.
      var prompts = step.entries.filter(function (e) { return e.kind === 'prompt'; });
      if (prompts.length) promptLine.textContent = prompts.map(function (e) { return e.text; }).join(' ');
      if (step.state === 'listening') {
        callId = step.id;
        listening = step.listening || null;
        statusLine.textContent = 'In a call: the IVR is listening.';
        expecting.textContent = listening ? 'It expects ' + listening.expecting.join(' or ') + '.' : '';
        updateControls();
        moveFocus(document.querySelector('.sim-key'));
      } else {
        ended('Call ended: ' + describeEnd(step.outcome) + '.');
        showMessages(step.messages || []);
        updateControls();
        moveFocus(callButton);
      }
    }

    function failed(error) {
      busy = false;
      showError(error.message);
      // The server no longer has the call (it was idle and hung up): start afresh.
      if (error.status === 404) ended('Not in a call.');
      else if (callId) statusLine.textContent = 'In a call: the last input was not delivered; try again.';
      else ended('Not in a call. Choose the numbers and press Call.');
      updateControls();
      if (!callId) moveFocus(callButton);
    }

    function ended(status) {
      callId = null;
      listening = null;
      keys = '';
      statusLine.textContent = status;
      expecting.textContent = '';
    }

    // --- Drawing entries ------------------------------------------------------------------

    function addEntry(entry) {
      var line = describe(entry);
      var item = document.createElement('li');
      item.className = 'sim-entry sim-entry-' + entry.kind + (line.muted ? ' sim-entry-muted' : '');
      var tag = document.createElement('span');
      tag.className = 'sim-tag';
      tag.textContent = line.tag;
      var text = document.createElement('span');
      text.className = 'sim-text';
      text.textContent = line.text;
      item.appendChild(tag);
      item.appendChild(text);
      transcript.appendChild(item);
      transcript.scrollTop = transcript.scrollHeight;
      if (entry.kind === 'prompt') say(entry.text);
    }

    function describe(e) {
      switch (e.kind) {
        case 'prompt':
          return { tag: 'IVR', text: e.text };
        case 'input':
          return { tag: 'You', text: describeInput(e.input) };
        case 'fetch':
          return {
            tag: e.method,
            muted: true,
            // A submit's namelist (e.g. answer=1) shows what the caller's key sent.
            text: shortUrl(e.url) + (e.body ? ' with ' + e.body : '') + (e.status ? ' → ' + e.status : '') + (e.error ? ' ✗ ' + e.error : '') + ' · ' + e.ms + ' ms',
          };
        case 'listen':
          return { tag: 'listen', muted: true, text: e.request.dialog + ' / ' + e.request.item + ' expects ' + e.request.expecting.join(' or ') };
        case 'recognition':
          return { tag: 'match', muted: true, text: e.item + ' = ' + JSON.stringify(e.interpretation) + ' (from “' + e.utterance + '”)' };
        case 'event':
          return { tag: 'event', muted: true, text: e.name + (e.message ? ': ' + e.message : '') };
        case 'log':
          return { tag: 'log', muted: true, text: (e.label ? e.label + ': ' : '') + e.text };
        case 'invalid':
          return { tag: 'invalid', text: 'Not valid VoiceXML: ' + shortUrl(e.url) + ': ' + e.errors.join('; ') };
        case 'end':
          return { tag: 'end', text: describeEnd(e) };
        default:
          return { tag: e.kind, muted: true, text: JSON.stringify(e) };
      }
    }

    function describeInput(input) {
      if (input.kind === 'dtmf') return 'pressed ' + input.keys;
      if (input.kind === 'noinput') return 'stayed silent';
      if (input.kind === 'help') return 'asked for help';
      return 'hung up';
    }

    // "disconnect (status=sent, reason=accepted, maskedNumber=+*******1234)"
    function describeEnd(end) {
      var values = end.values || {};
      var details = Object.keys(values).map(function (name) { return name + '=' + String(values[name]); });
      if (end.event) details.push('event ' + end.event);
      if (end.message) details.push(end.message);
      return end.reason + (details.length ? ' (' + details.join(', ') + ')' : '');
    }

    function shortUrl(url) {
      try {
        var parsed = new URL(url);
        ourOrigin = ourOrigin || parsed.origin;
        return parsed.origin === ourOrigin ? parsed.pathname + parsed.search : url;
      } catch (_) {
        return url;
      }
    }

    function showMessages(messages) {
      sms.textContent = '';
      if (messages.length === 0) {
        sms.appendChild(paragraph('', 'No text was sent on this call.'));
        return;
      }
      messages.forEach(function (m) {
        var bubble = paragraph('sms-bubble sim-sms-body', '');
        m.body.split(LINK).forEach(function (part, i) {
          if (i % 2 === 0) {
            bubble.appendChild(document.createTextNode(part));
            return;
          }
          var link = document.createElement('a');
          link.href = part;
          link.textContent = part;
          link.target = '_blank';
          link.rel = 'noopener noreferrer';
          bubble.appendChild(link);
        });
        sms.appendChild(bubble);
        sms.appendChild(paragraph('muted sim-sms-meta', 'To ' + m.to + ' · ' + m.status + ' · via ' + m.gateway));
      });
    }

    function paragraph(className, text) {
      var p = document.createElement('p');
      p.className = className;
      p.textContent = text;
      return p;
    }

    // --- Speech ---------------------------------------------------------------------------

    var canSpeak = Boolean(window.speechSynthesis && window.SpeechSynthesisUtterance);

    function say(text) {
      if (!canSpeak || !speak.checked) return;
      // Audio is shown as "[audio src]" before its fallback text: only the text is spoken.
      var words = text.replace(/\[audio [^\]]*\]\s*/g, '').trim();
      if (words) window.speechSynthesis.speak(new window.SpeechSynthesisUtterance(words));
    }

    function remembered() {
      try {
        return window.localStorage.getItem(SPEAK_SETTING) === 'on';
      } catch (_) {
        return false; // storage switched off: speech starts off
      }
    }

    if (canSpeak) {
      speak.disabled = false;
      speak.checked = remembered();
      speak.addEventListener('change', function () {
        try {
          window.localStorage.setItem(SPEAK_SETTING, speak.checked ? 'on' : 'off');
        } catch (_) { /* not remembered, still switched */ }
        if (!speak.checked) window.speechSynthesis.cancel();
      });
    } else {
      byId('sim-speak-hint').textContent = 'This browser cannot speak: prompts are shown as text only.';
    }

    // --- Keys -----------------------------------------------------------------------------

    function oneKeyAnswers() {
      return Boolean(listening && listening.expecting.length) && listening.expecting.every(function (e) { return ONE_KEY.test(e); });
    }

    function press(key) {
      if (!callId || !listening || busy) return;
      flash(key);
      if (oneKeyAnswers()) sendInput(key);
      // # ends a key sequence on a phone: what was collected goes with it.
      else if (key === '#') sendInput(keys + '#');
      else if (keys.length < MAX_KEYS) keys += key;
      updateControls();
    }

    // A keypad key lights up briefly when pressed, also from the keyboard.
    var flashTimers = {};
    function flash(key) {
      var button = document.querySelector('.sim-key[data-key="' + key + '"]');
      if (!button) return;
      button.classList.add('sim-key-pressed');
      clearTimeout(flashTimers[key]);
      flashTimers[key] = setTimeout(function () { button.classList.remove('sim-key-pressed'); }, 150);
    }

    document.querySelectorAll('.sim-key').forEach(function (button) {
      button.addEventListener('click', function () { press(button.getAttribute('data-key')); });
    });
    document.querySelectorAll('[data-input]').forEach(function (button) {
      button.addEventListener('click', function () { sendInput(button.getAttribute('data-input')); });
    });
    sendButton.addEventListener('click', function () { if (keys) sendInput(keys); });
    clearButton.addEventListener('click', function () {
      keys = '';
      updateControls();
      moveFocus(document.querySelector('.sim-key'));
    });

    // Typing on the keyboard presses the keypad, unless the focus is in a field of the form.
    document.addEventListener('keydown', function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey || !callId) return;
      if (target.closest && target.closest('input, select, textarea, [contenteditable]')) return;
      if (KEY.test(event.key)) {
        event.preventDefault();
        press(event.key);
      } else if (event.key === 'Enter' && keys && target.tagName !== 'BUTTON') {
        event.preventDefault();
        sendInput(keys);
      } else if (event.key === 'Backspace' && keys) {
        event.preventDefault();
        keys = keys.slice(0, -1);
        updateControls();
      }
    });

    // --- The dial form --------------------------------------------------------------------

    dnis.addEventListener('change', function () {
      dnisOtherField.hidden = dnis.value !== '';
      if (!dnisOtherField.hidden) dnisOther.focus();
    });
    document.querySelectorAll('.sim-preset').forEach(function (button) {
      button.addEventListener('click', function () { ani.value = button.getAttribute('data-ani'); });
    });
    form.addEventListener('submit', startCall);

    // Leaving the page hangs up, so the call does not wait out its idle time on the server.
    window.addEventListener('pagehide', function () {
      if (!callId) return;
      fetch(API + '/' + encodeURIComponent(callId), { method: 'DELETE', keepalive: true, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } });
    });

    callButton.disabled = false;
  });
})();
