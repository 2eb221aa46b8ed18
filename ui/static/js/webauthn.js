// Sportello: security keys (WebAuthn) for operators. Every page works
// without this file with the TOTP code; with it, the second step of the
// login offers the operator's key, and the security page can add one.
// The server speaks JSON with base64url strings where the browser's API
// wants ArrayBuffers; the messages come from the page's data-msg-*
// attributes, so they are in the page's language.
(function () {
  'use strict';

  function toBuffer(b64url) {
    var b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) {
      b64 += '=';
    }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toBase64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = { type: d.type, id: toBuffer(d.id) };
      if (d.transports) {
        out.transports = d.transports;
      }
      return out;
    });
  }

  // creationOptions and requestOptions turn the server's JSON into what
  // navigator.credentials.create() and get() take.
  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    pk.user.id = toBuffer(pk.user.id);
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    return { publicKey: pk };
  }

  // credentialJSON is the browser's answer as the server parses it.
  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      clientExtensionResults: {},
      response: { clientDataJSON: toBase64url(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) {
      out.authenticatorAttachment = cred.authenticatorAttachment;
    }
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      if (typeof r.getTransports === 'function') {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      if (r.userHandle) {
        out.response.userHandle = toBase64url(r.userHandle);
      }
    }
    return out;
  }

  // Problem is a refusal with the sentence to show.
  function Problem(message) {
    this.message = message;
  }

  function message(el, name) {
    return el.getAttribute('data-msg-' + name) || el.getAttribute('data-msg-generic') || '';
  }

  // post sends JSON and returns the JSON answer, or throws a Problem: the
  // server's sentence, or the page's when the half-way login or the
  // session ended (the server then redirects to the login page).
  function post(el, url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      if (res.type === 'opaqueredirect' || res.status === 0) {
        throw new Problem(message(el, 'session'));
      }
      return res.json().then(function (data) {
        if (!res.ok) {
          throw new Problem(data.error || message(el, 'generic'));
        }
        return data;
      }, function () {
        throw new Problem(message(el, 'generic'));
      });
    }, function () {
      throw new Problem(message(el, 'generic'));
    });
  }

  // explain turns what went wrong into the sentence to show.
  function explain(el, err) {
    if (err instanceof Problem) {
      return err.message;
    }
    switch (err && err.name) {
      case 'NotAllowedError':
      case 'AbortError':
        return message(el, 'cancelled');
      case 'InvalidStateError':
        return message(el, 'exists');
      case 'NotSupportedError':
      case 'SecurityError':
        return message(el, 'unsupported');
    }
    return message(el, 'generic');
  }

  function say(status, text, problem) {
    status.textContent = text;
    status.classList.toggle('text-danger', !!problem);
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  }

  // setupLogin fetches the options as soon as the page opens: the button
  // appears only if the operator has a key for this site, and get() then
  // runs straight from the click, as Safari requires.
  function setupLogin(box) {
    var button = box.querySelector('.js-webauthn-start');
    var status = box.querySelector('.js-webauthn-status');
    var form = box.closest('form');
    var next = form ? form.querySelector('input[name="next"]') : null;
    var options = null;

    function prepare() {
      return post(box, box.getAttribute('data-begin')).then(function (o) {
        options = o;
        box.classList.remove('d-none');
      });
    }

    button.addEventListener('click', function () {
      if (!options) {
        return;
      }
      var o = options;
      options = null;
      button.disabled = true;
      say(status, message(box, 'waiting'));
      navigator.credentials.get(requestOptions(o)).then(function (cred) {
        say(status, message(box, 'working'));
        return post(box, box.getAttribute('data-finish'), {
          credential: credentialJSON(cred),
          next: next ? next.value : ''
        });
      }).then(function (reply) {
        window.location.assign(reply.redirect || '/ufficio');
      }).catch(function (err) {
        say(status, explain(box, err), true);
        // The ceremony is used up: fetch a new challenge for a new try.
        prepare().catch(function () {}).then(function () {
          button.disabled = false;
        });
      });
    });
    prepare().catch(function () {
      // No key for this site, or no longer half-way: the code is enough.
    });
  }

  function setupRegister(form) {
    var status = form.querySelector('.js-webauthn-status');
    var name = form.querySelector('input[name="name"]');
    var button = form.querySelector('button[type="submit"]');
    var nojs = document.querySelector('.js-webauthn-nojs');
    form.classList.remove('d-none');
    if (nojs) {
      nojs.classList.add('d-none');
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var label = name.value.trim();
      if (label === '' || label.length > 64) {
        say(status, message(form, 'name'), true);
        name.focus();
        return;
      }
      button.disabled = true;
      say(status, message(form, 'waiting'));
      post(form, form.getAttribute('data-begin')).then(function (o) {
        return navigator.credentials.create(creationOptions(o));
      }).then(function (cred) {
        say(status, message(form, 'working'));
        return post(form, form.getAttribute('data-finish'), { name: label, credential: credentialJSON(cred) });
      }).then(function (reply) {
        window.location.assign(reply.redirect || window.location.pathname);
      }).catch(function (err) {
        say(status, explain(form, err), true);
        button.disabled = false;
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var boxes = document.querySelectorAll('.js-webauthn-login, .js-webauthn-register');
    if (!supported()) {
      boxes.forEach(function (el) {
        var status = el.querySelector('.js-webauthn-status');
        if (el.classList.contains('js-webauthn-register') && status) {
          // Say why nothing can be added here; the login stays quiet.
          var nojs = document.querySelector('.js-webauthn-nojs');
          if (nojs) {
            nojs.classList.add('d-none');
          }
          el.classList.remove('d-none');
          el.querySelectorAll('input, button').forEach(function (c) {
            c.disabled = true;
          });
          say(status, message(el, 'unsupported'), true);
        }
      });
      return;
    }
    document.querySelectorAll('.js-webauthn-login').forEach(setupLogin);
    document.querySelectorAll('.js-webauthn-register').forEach(setupRegister);
  });
})();
