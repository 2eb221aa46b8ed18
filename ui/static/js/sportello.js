// Sportello: small progressive enhancements. Every journey works without
// this file; with it, the page-clarity rating asks its follow-up question
// in place instead of on a second page.
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

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form.js-rating').forEach(setupRating);
  });
})();
