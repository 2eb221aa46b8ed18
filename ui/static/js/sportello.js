// Sportello: small progressive enhancements. Every journey works without
// this file; with it, the page-clarity rating asks its follow-up question
// in place instead of on a second page, and online forms save their drafts
// by themselves.
(function () {
  'use strict';

  function setupRating(form) {
    var step = form.querySelector('.js-rating-step');
    var followup = form.querySelector('.js-rating-followup');
    var positive = form.querySelector('.js-rating-positive');
    var negative = form.querySelector('.js-rating-negative');
    if (!step || !followup || !positive || !negative) {
      return;
    }
    form.querySelectorAll('input[name="stars"]').forEach(function (input) {
      input.addEventListener('change', function () {
        var stars = parseInt(input.value, 10);
        var isPositive = stars >= 4;
        step.value = 'full';
        followup.classList.remove('d-none');
        positive.classList.toggle('d-none', !isPositive);
        negative.classList.toggle('d-none', isPositive);
        (isPositive ? negative : positive).querySelectorAll('input').forEach(function (a) {
          a.checked = false;
        });
      });
    });
  }

  // Autosave: a step of an online form saves the draft by itself two
  // seconds after the citizen stops typing, as the "save and continue
  // later" button would, without leaving the page and without files (those
  // go with the buttons). The server answers 204; a failure says so and
  // the buttons still work.
  function setupAutosave(form) {
    var status = form.querySelector('.js-autosave-status');
    if (!status || !window.fetch || !window.FormData) {
      return;
    }
    var timer = null;
    var inFlight = false;
    var again = false;
    function save() {
      if (inFlight) {
        again = true;
        return;
      }
      var data = new FormData(form);
      var keep = new FormData();
      data.forEach(function (value, key) {
        if (typeof value === 'string' && key !== '_action') {
          keep.append(key, value);
        }
      });
      keep.append('_action', 'save');
      inFlight = true;
      fetch(form.action, {
        method: 'POST', body: keep, credentials: 'same-origin',
        headers: { 'Sportello-Autosave': '1' }
      }).then(function (res) {
        if (res.status !== 204) {
          throw new Error('status ' + res.status);
        }
        var now = new Date();
        var hh = ('0' + now.getHours()).slice(-2);
        var mm = ('0' + now.getMinutes()).slice(-2);
        status.textContent = form.getAttribute('data-saved').replace('%s', hh + ':' + mm);
      }).catch(function () {
        status.textContent = form.getAttribute('data-failed');
      }).finally(function () {
        inFlight = false;
        if (again) {
          again = false;
          save();
        }
      });
    }
    function schedule(ev) {
      if (ev.target && ev.target.type === 'file') {
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(save, 2000);
    }
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
    form.addEventListener('submit', function () {
      clearTimeout(timer);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form.js-rating').forEach(setupRating);
    document.querySelectorAll('form.js-autosave').forEach(setupAutosave);
  });
})();
