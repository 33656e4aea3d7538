// The GOV.UK timeout warning: shortly before the idle timeout signs a member of staff out, a modal
// dialog says how long is left, with "Stay signed in" (which keeps the session alive) and "Sign out".
// The dialog is templates/layouts/_timeout_warning.html; without this script it never opens and the
// idle timeout still applies on the server.
//
// The page's own timer can be wrong: another tab, or a request this page made, may have kept the
// session alive. So before warning, and before giving up, it asks the server how long is left
// (a request that does not count as activity).

const ANNOUNCE_EVERY_SECONDS = 20;

export function formatDuration(seconds) {
  const whole = Math.max(0, Math.ceil(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  const parts = [];
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  if (rest || !minutes) parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
  return parts.join(" ");
}

class TimeoutWarning {
  constructor(dialog) {
    this.dialog = dialog;
    this.idleSeconds = Number(dialog.dataset.idleSeconds);
    this.warningSeconds = Number(dialog.dataset.warningSeconds);
    this.statusUrl = dialog.dataset.statusUrl;
    this.signedOutUrl = dialog.dataset.signedOutUrl;
    this.countdown = dialog.querySelector("[data-timeout-countdown]");
    this.announcement = dialog.querySelector("[data-timeout-announcement]");
    this.keepAliveForm = dialog.querySelector("[data-timeout-keep-alive]");
    this.timer = null;
    this.ticker = null;
    this.deadline = 0;
    this.lastAnnounced = null;
    this.returnFocusTo = null;

    this.keepAliveForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.staySignedIn();
    });
    // Escape closes a modal dialog: take it as "stay signed in", as the pattern does.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.staySignedIn();
    });
  }

  start() {
    this.schedule(this.idleSeconds);
  }

  schedule(remainingSeconds) {
    window.clearTimeout(this.timer);
    this.deadline = Date.now() + remainingSeconds * 1000;
    const warnIn = Math.max(0, remainingSeconds - this.warningSeconds);
    this.timer = window.setTimeout(() => this.check(), warnIn * 1000);
  }

  // { ended: true } once the server has signed the user out; otherwise the seconds it says are left
  // (null when it could not be asked). Redirects are not followed: the sign-in page it redirects to
  // would use up the message saying why the user was signed out, which the user should see.
  async remaining() {
    try {
      const response = await fetch(this.statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.type === "opaqueredirect" || response.status === 401) return { ended: true };
      if (!response.ok) return { ended: false, seconds: null };
      return { ended: false, seconds: (await response.json()).remaining_seconds };
    } catch {
      return { ended: false, seconds: null }; // the network failed: trust the page's own timer
    }
  }

  async check() {
    const left = await this.remaining();
    if (left.ended) {
      this.signedOut();
      return;
    }
    const remaining = left.seconds === null ? (this.deadline - Date.now()) / 1000 : left.seconds;
    if (remaining > this.warningSeconds + 5) {
      this.close(); // kept alive elsewhere: wait again
      this.schedule(remaining);
      return;
    }
    this.deadline = Date.now() + remaining * 1000;
    this.open();
    if (remaining <= 0) {
      // The server ends a session once the idle time is over, not at the very second: ask again.
      window.clearInterval(this.ticker);
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.check(), 1500);
    }
  }

  open() {
    if (!this.dialog.open) {
      this.returnFocusTo = document.activeElement;
      this.lastAnnounced = null;
      this.dialog.showModal();
    }
    window.clearInterval(this.ticker);
    this.tick();
    this.ticker = window.setInterval(() => this.tick(), 1000);
  }

  tick() {
    const remaining = (this.deadline - Date.now()) / 1000;
    const words = formatDuration(remaining);
    this.countdown.textContent = words;
    if (this.lastAnnounced === null || this.lastAnnounced - remaining >= ANNOUNCE_EVERY_SECONDS) {
      this.lastAnnounced = remaining;
      this.announcement.textContent = `We will sign you out in ${words}.`;
    }
    if (remaining <= 0) {
      window.clearInterval(this.ticker);
      this.check();
    }
  }

  close() {
    window.clearInterval(this.ticker);
    if (this.dialog.open) {
      this.dialog.close();
      if (this.returnFocusTo && typeof this.returnFocusTo.focus === "function") this.returnFocusTo.focus();
    }
  }

  async staySignedIn() {
    try {
      const response = await fetch(this.keepAliveForm.action, {
        method: "POST",
        body: new FormData(this.keepAliveForm),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.ok) {
        const { remaining_seconds: remaining } = await response.json();
        this.close();
        this.schedule(remaining);
        return;
      }
    } catch {
      return; // the network failed: leave the warning up, so the user can try again
    }
    this.signedOut(); // the session had already ended
  }

  signedOut() {
    window.clearTimeout(this.timer);
    window.clearInterval(this.ticker);
    window.location.assign(this.signedOutUrl);
  }
}

const dialog = document.querySelector('[data-module="app-timeout-warning"]');
if (dialog && typeof dialog.showModal === "function") {
  new TimeoutWarning(dialog).start();
}
