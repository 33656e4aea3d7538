// Keeps the statistics compilation page up to date while the job runs, without reloading the page:
// a <meta http-equiv="refresh"> reloads the whole page, moving the reader's focus and scroll position
// (WCAG 2.2.1, axe's "meta-refresh" rule). Progressive enhancement: without JavaScript the page has a
// "Check again" link; with it, the page is fetched again every few seconds and its parts marked
// data-job-part are copied in place, so the polite live region announces the new status. Polling stops
// once the job has finished, after the "Stop checking" link is followed (the server then leaves out
// data-refresh-seconds), or after ten minutes.
const region = document.querySelector("[data-job-status][data-refresh-seconds]");

if (region) {
  const seconds = Math.max(Number(region.dataset.refreshSeconds) || 3, 1);
  const url = region.dataset.refreshUrl || window.location.href;
  const stopAt = Date.now() + 10 * 60 * 1000;

  const poll = async () => {
    let next = null;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        next = page.querySelector("[data-job-status]");
      }
    } catch {
      // A network blip: try again at the next tick.
    }
    if (next) {
      for (const part of next.querySelectorAll("[data-job-part]")) {
        const here = region.querySelector(`[data-job-part="${part.dataset.jobPart}"]`);
        if (here && here.innerHTML !== part.innerHTML) {
          here.innerHTML = part.innerHTML;
        }
      }
      if (next.dataset.finished === "true") {
        region.dataset.finished = "true";
        return;
      }
    }
    if (Date.now() < stopAt) {
      window.setTimeout(poll, seconds * 1000);
    }
  };

  window.setTimeout(poll, seconds * 1000);
}
