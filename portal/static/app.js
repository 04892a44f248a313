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
