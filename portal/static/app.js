// Small progressive enhancements; the portal reads fine without JavaScript.
// No inline scripts anywhere (CSP script-src 'self'): behaviour hangs on data- attributes.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  }
});

// A TLD page keeps the version of the configuration it shows in #tld-version, which every
// saved change updates out of band. A form there carries the version it was rendered with
// (what a post without JavaScript sends); under HTMX the page's current version takes its
// place, so the version travels once and a change saved meanwhile from this page is no
// conflict. A form marked data-version-shown (accepting a bulk change) keeps its own: it names
// the configuration the change's difference was shown against, which is what is accepted.
document.addEventListener("htmx:configRequest", (event) => {
  const current = document.getElementById("tld-version");
  const params = event.detail.parameters;
  if (event.detail.elt.closest("[data-version-shown]")) return;
  if (current && params.has("version")) params.set("version", current.value);
});
