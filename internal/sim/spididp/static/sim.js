// Posts the SAML message as soon as the page loads, as a real identity
// provider's page does; without JavaScript the visible "Continua" button
// does the same. An external file, so that a CSP without inline scripts holds.
(function () {
	'use strict';
	var form = document.querySelector('form[data-auto-submit]');
	if (form) {
		form.submit();
	}
})();
