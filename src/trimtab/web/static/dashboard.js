// trimtab dashboard: live updates and the actions (rebalance, pause, resume, resume buying a held asset). No inline script anywhere (the pages'
// Content-Security-Policy forbids it); no library; the token lives in sessionStorage only.
"use strict";

(function () {
  const TOKEN_KEY = "trimtab-token";
  const POLL_MS = 2500;      // /health is cheap: no venue is asked
  const REFRESH_MS = 30000;  // refetch the fragment at least this often (prices move)

  const main = document.getElementById("content");
  const flashBox = document.getElementById("flash");
  const liveNote = document.getElementById("live-note");
  let signature = null;
  let lastRefresh = Date.now();
  let refreshing = null;
  let swapped = null;  // the last fragment swapped in
  let busy = false;

  function flash(text, isError) {
    if (!flashBox) return;
    flashBox.className = isError ? "error" : "ok";
    const p = document.createElement("p");
    p.textContent = text;
    flashBox.replaceChildren(p);
  }

  function fragmentUrl() {
    const url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    url.hash = "";
    return url.toString();
  }

  // Replace <main>'s content with the page's fragment, keeping open <details> and the force box.
  function refresh() {
    if (!main || main.dataset.live !== "on") return Promise.resolve();
    if (refreshing) return refreshing;
    refreshing = fetch(fragmentUrl(), { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        lastRefresh = Date.now();
        // Nothing new (a run page; a page of older history): keep the DOM, and the reader's selection in it.
        if (html === swapped) {
          note("updated " + new Date().toLocaleTimeString());
          return;
        }
        swapped = html;
        const open = Array.from(main.querySelectorAll("details[open][id]")).map(function (d) { return d.id; });
        const force = document.getElementById("force");
        const forced = force ? force.checked : false;
        const focused = focusKey();
        const scrolled = [window.scrollX, window.scrollY];
        main.innerHTML = html;
        open.forEach(function (id) {
          const details = document.getElementById(id);
          if (details) details.open = true;
        });
        const again = document.getElementById("force");
        if (again) again.checked = forced;
        refocus(focused);
        // The reader stays where they were: no jump to the focused element or to the top.
        if (window.scrollX !== scrolled[0] || window.scrollY !== scrolled[1]) window.scrollTo(scrolled[0], scrolled[1]);
        note("updated " + new Date().toLocaleTimeString());
      })
      .catch(function () { note("could not update — retrying"); })
      .finally(function () { refreshing = null; });
    return refreshing;
  }

  // What has the keyboard focus inside <main>, said so that it can be found again in the new content
  // (a live update must not throw a keyboard user back to the top of the page).
  function focusKey() {
    const element = document.activeElement;
    if (!element || element === main || !main.contains(element)) return null;
    if (element.id) return "#" + CSS.escape(element.id);
    if (element.dataset.action) {
      const asset = element.dataset.asset ? '[data-asset="' + CSS.escape(element.dataset.asset) + '"]' : "";
      return 'button[data-action="' + CSS.escape(element.dataset.action) + '"]' + asset;
    }
    const href = element.getAttribute("href");
    if (element.tagName === "A" && href) return 'a[href="' + CSS.escape(href) + '"]';
    if (element.tagName === "SUMMARY" && element.parentElement && element.parentElement.id) {
      return "#" + CSS.escape(element.parentElement.id) + " > summary";
    }
    return null;
  }

  function refocus(key) {
    if (!key) return;
    const again = main.querySelector(key);
    if (again instanceof HTMLElement) again.focus({ preventScroll: true });
  }

  function note(text) {
    if (liveNote) liveNote.textContent = "updates live · " + text;
  }

  // Poll /health; when a portfolio's state, last run or next check changed, fetch the fragment.
  function poll() {
    if (document.hidden || busy) return;
    fetch("/health", { cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : Promise.reject(answer.status); })
      .then(function (health) {
        const now = JSON.stringify(health.portfolios);
        const changed = signature !== null && now !== signature;
        signature = now;
        if (changed || Date.now() - lastRefresh > REFRESH_MS) return refresh();
        return undefined;
      })
      .catch(function () { note("server unreachable — retrying"); });
  }

  function ask(dialog) {
    return new Promise(function (resolve) {
      dialog.returnValue = "";
      dialog.addEventListener("close", function () { resolve(dialog.returnValue); }, { once: true });
      dialog.showModal();
    });
  }

  // Enter in the token field saves it: the form's implicit submission would press its first button,
  // Cancel, and silently drop the action.
  const tokenDialog = document.getElementById("token");
  const tokenInput = tokenDialog ? tokenDialog.querySelector('input[name="token"]') : null;
  if (tokenInput) {
    tokenInput.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      if (tokenInput.value.trim()) tokenDialog.close("save");
      else tokenInput.reportValidity();
    });
  }

  function token() {
    const kept = window.sessionStorage.getItem(TOKEN_KEY);
    if (kept) return Promise.resolve(kept);
    const dialog = tokenDialog;
    const input = tokenInput;
    input.value = "";
    return ask(dialog).then(function (choice) {
      const given = input.value.trim();
      input.value = "";
      if (choice !== "save" || !given) return null;
      window.sessionStorage.setItem(TOKEN_KEY, given);
      return given;
    });
  }

  const WORDS = {
    rebalance: function (name, force) { return "Rebalance " + name + " now" + (force ? ", even if the policy says no" : "") + "?"; },
    pause: function (name) { return "Pause " + name + "? No scheduled check runs until it is resumed (also after a restart)."; },
    resume: function (name) { return "Resume " + name + "? Its checks run on schedule again (overriding a kill switch once)."; },
    "resume-guard": function (name, force, asset) { return "Resume buying " + asset + " in " + name + "? The crash guard no longer holds it back: the next run may buy it again."; },
  };

  // Where each action POSTs: the portfolio's own route, or (resume-guard) the held asset's.
  function actionPath(action, name, asset) {
    const base = "/api/portfolios/" + encodeURIComponent(name);
    if (action === "resume-guard") return base + "/guards/" + encodeURIComponent(asset) + "/resume";
    return base + "/" + action;
  }

  function done(action, name, body, asset) {
    if (action === "rebalance") {
      const orders = Array.isArray(body.results) ? body.results.length : 0;
      const reason = body.decision && body.decision.reason ? " — " + body.decision.reason : "";
      return name + ": run " + body.run_id + " " + body.status + ", " + orders + " order" + (orders === 1 ? "" : "s") + reason;
    }
    if (action === "resume-guard") {
      const resumed = Array.isArray(body.resumed) && body.resumed.length > 0;
      return resumed ? asset + " in " + name + " is no longer held back: the next run may buy it."
        : asset + " in " + name + " was not held back.";
    }
    return name + " is " + body.state + ".";
  }

  function act(button) {
    const action = button.dataset.action;
    const name = button.dataset.portfolio;
    const asset = button.dataset.asset;
    const forceBox = document.getElementById("force");
    const force = action === "rebalance" && forceBox !== null && forceBox.checked;
    const confirm = document.getElementById("confirm");
    document.getElementById("confirm-text").textContent = WORDS[action](name, force, asset);
    ask(confirm)
      .then(function (choice) { return choice === "confirm" ? token() : null; })
      .then(function (secret) {
        if (!secret) return;
        busy = true;
        flash(action === "rebalance" ? "Rebalancing " + name + "…" : "Sending…", false);
        const init = { method: "POST", headers: { Authorization: "Bearer " + secret } };
        if (action === "rebalance") {
          init.headers["Content-Type"] = "application/json";
          init.body = JSON.stringify({ force: force });
        }
        return fetch(actionPath(action, name, asset), init)
          .then(function (answer) {
            return answer.json().catch(function () { return {}; }).then(function (body) {
              if (answer.ok) {
                flash(done(action, name, body, asset), false);
                return;
              }
              if (answer.status === 401) {
                window.sessionStorage.removeItem(TOKEN_KEY);
                flash("The token was refused, and forgotten: enter it again with the next action.", true);
                return;
              }
              flash(body.error || "The server answered " + answer.status + ".", true);
            });
          })
          .catch(function () { flash("The server could not be reached.", true); })
          .finally(function () {
            busy = false;
            return refresh();
          });
      });
  }

  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
    if (!button || button.disabled) return;
    event.preventDefault();
    act(button);
  });

  if (main && main.dataset.live === "on") {
    poll();
    window.setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  }
})();
