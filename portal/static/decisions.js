// The Decisions tab's live table asks for news every few seconds (hx-trigger on
// [data-live-poll]); while the browser tab is hidden it does not ask, and it asks at once when
// the tab is shown again. Loaded with the tab, so it guards against being run twice.
if (!window.tlsauthDecisionsLive) {
  window.tlsauthDecisionsLive = true;
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (document.hidden && event.detail.elt.hasAttribute("data-live-poll")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    document.querySelectorAll("[data-live-poll]").forEach((element) => {
      element.dispatchEvent(new CustomEvent("decisions:refresh"));
    });
  });
}
