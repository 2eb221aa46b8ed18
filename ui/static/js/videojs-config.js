// Bootstrap Italia bundles video.js, which otherwise adds inline <style>
// elements at load that our Content Security Policy refuses.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
