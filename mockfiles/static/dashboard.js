// The mockfiles dashboard: polls /_mock/state and renders it. No framework, no build.
// Every value from the mock is inserted as text (never as HTML): filenames and paths
// are whatever clients sent.
"use strict";

(() => {
  const POLL_MS = 1000;
  const STATE_URL = "/_mock/state";
  let state = null;
  let renderedTenants = "";
  let renderedJournal = "";
  let selected = null; // index of the journal entry shown in detail
  let timer = null;
  let inflight = null;
  let again = false;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // -- formatting -----------------------------------------------------------------

  function duration(seconds) {
    const s = Math.round(Math.abs(seconds));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
    const d = Math.floor(h / 24);
    return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
  }

  function relative(t, now) {
    if (t === null || t === undefined) return "never";
    const delta = t - now;
    if (Math.abs(delta) < 1) return "now";
    return delta < 0 ? `${duration(delta)} ago` : `in ${duration(delta)}`;
  }

  function absolute(t) {
    return new Date(t * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function bytes(n) {
    if (n < 1024) return `${n} B`;
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let value = n / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function timeNode(t) {
    if (t === null || t === undefined) return el("span", { text: "never" });
    return el("time", {
      datetime: new Date(t * 1000).toISOString(),
      title: absolute(t),
      "data-t": t,
      text: relative(t, state.clock.now),
    });
  }

  function cell(kind, value) {
    if (value === null || value === undefined) {
      return kind === "time" ? el("span", { text: "never" }) : el("span", { text: "—" });
    }
    switch (kind) {
      case "time":
        return timeNode(value);
      case "bytes":
        return el("span", { title: `${value} bytes`, text: bytes(value) });
      case "number":
        return el("span", { text: Number(value).toLocaleString("en") });
      case "file":
        return el("a", {
          href: `/_mock/files/${encodeURIComponent(value)}/content`,
          download: true,
          title: `Download the bytes of ${value}`,
          text: String(value),
        });
      default:
        return el("span", { text: String(value) });
    }
  }

  // -- talking to the mock ---------------------------------------------------------

  function setStatus(text, failed) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("failed", Boolean(failed));
  }

  async function request(method, path, body) {
    const response = await fetch(path, {
      method,
      cache: "no-store",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.error ? data.error.message : response.statusText;
      throw new Error(`${method} ${path}: ${response.status} ${message}`);
    }
    return data;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    if (inflight) {
      again = true;
      return inflight;
    }
    clearTimeout(timer);
    if (document.hidden && state) {
      schedule();
      return undefined;
    }
    inflight = (async () => {
      try {
        state = await request("GET", STATE_URL);
        render();
        setStatus(`Updated at ${new Date().toLocaleTimeString("en-GB")}; refreshes every second.`);
      } catch (error) {
        setStatus(`Cannot read the mock's state: ${error.message}`, true);
      }
    })();
    await inflight;
    inflight = null;
    if (again) {
      again = false;
      return poll();
    }
    schedule();
    return undefined;
  }

  async function act(button, method, path, body, done) {
    button.disabled = true;
    try {
      await request(method, path, body);
      if (done) done();
      await poll();
    } catch (error) {
      setStatus(error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // -- rendering --------------------------------------------------------------------

  function render() {
    $("profile").textContent = state.profile.name;
    $("base-path").textContent = state.profile.base_path || "/";
    $("clock-now").replaceChildren(
      el("span", { text: absolute(state.clock.now) }),
    );
    const offset = state.clock.offset;
    $("clock-offset").textContent =
      Math.abs(offset) < 1 ? "none (real time)" : `${offset > 0 ? "+" : "−"}${duration(offset)}`;
    const tenantsKey = JSON.stringify(state.tenants);
    if (tenantsKey !== renderedTenants) {
      renderedTenants = tenantsKey;
      renderTenants();
    }
    const journalKey = JSON.stringify([state.journal, selected]);
    if (journalKey !== renderedJournal) {
      renderedJournal = journalKey;
      renderJournal();
    }
    for (const node of document.querySelectorAll("[data-t]")) {
      node.textContent = relative(Number(node.dataset.t), state.clock.now);
    }
  }

  function table(captionText, columns, rows) {
    return el(
      "table",
      {},
      el("caption", { text: captionText }),
      el(
        "thead",
        {},
        el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c.label }))),
      ),
      el(
        "tbody",
        {},
        ...rows.map((row) =>
          el(
            "tr",
            {},
            ...columns.map((c) => el("td", { className: `kind-${c.kind}` }, cell(c.kind, row[c.key]))),
          ),
        ),
      ),
    );
  }

  function renderTenants() {
    const container = $("tenants");
    if (!state.tenants.length) {
      container.replaceChildren(el("p", { text: "No tenant yet: nothing has called the API." }));
      return;
    }
    container.replaceChildren(
      ...state.tenants.map((tenant, n) => {
        const heading = `tenant-${n}`;
        return el(
          "article",
          { className: "tenant", "aria-labelledby": heading, "data-tenant": tenant.label },
          el("h3", { id: heading }, el("code", { text: tenant.label })),
          el("p", { className: "who", text: tenant.who }),
          ...tenant.panels.map((panel) =>
            el(
              "section",
              { className: "panel", "data-panel": panel.title },
              el("h4", { text: `${panel.title} (${panel.rows.length}${panel.truncated ? "+" : ""})` }),
              panel.rows.length
                ? table(`${panel.title} of ${tenant.label}`, panel.columns, panel.rows)
                : el("p", { className: "empty", text: panel.empty }),
              panel.truncated
                ? el("p", { className: "hint", text: `Showing the newest ${panel.rows.length}.` })
                : null,
            ),
          ),
        );
      }),
    );
  }

  function renderJournal() {
    const { total, calls } = state.journal;
    $("journal-count").textContent = total
      ? `${total} call(s)${calls.length < total ? `, the newest ${calls.length} shown` : ""}. Click a row to see its request and response.`
      : "No call yet.";
    $("journal").querySelector("tbody").replaceChildren(
      ...calls.map((call) => {
        const path = call.query ? `${call.path}?${call.query}` : call.path;
        const open = el("button", {
          type: "button",
          className: "row-button",
          "aria-label": `Show call ${call.index}: ${call.method} ${path}`,
          text: path,
        });
        const row = el(
          "tr",
          {
            "data-index": call.index,
            className: call.index === selected ? "selected" : null,
            "aria-current": call.index === selected ? "true" : null,
          },
          el("td", { text: String(call.index) }),
          el("td", {}, timeNode(call.at)),
          el("td", { text: call.method }),
          el("td", {}, open),
          el("td", { className: call.status >= 400 || !call.status ? "bad" : "good", text: call.status ? String(call.status) : "dropped" }),
          el("td", {}, call.tenant ? el("code", { text: call.tenant }) : el("span", { text: "—" })),
        );
        row.addEventListener("click", () => showCall(call.index));
        return row;
      }),
    );
  }

  function keyValues(captionText, rows, labels) {
    return table(
      captionText,
      [{ key: 0, label: labels[0], kind: "text" }, { key: 1, label: labels[1], kind: "text" }],
      rows,
    );
  }

  function headersBlock(label, headers) {
    return el(
      "details",
      {},
      el("summary", { text: `${label} (${headers.length})` }),
      keyValues(label, headers, ["Header", "Value"]),
    );
  }

  function bodyBlock(label, part) {
    if (part.body === undefined) return null;
    if (part.body === null) return el("p", { text: `${label}: ${part.bytes} bytes of binary data.` });
    if (part.body === "") return el("p", { text: `${label}: empty.` });
    return el(
      "figure",
      {},
      el("figcaption", { text: `${label} (${part.bytes} bytes${part.truncated ? ", truncated" : ""})` }),
      el("pre", { tabindex: 0, text: part.body }),
    );
  }

  async function showCall(index) {
    selected = index;
    renderedJournal = "";
    if (state) render();
    let call;
    try {
      call = await request("GET", `/_mock/calls/${index}`);
    } catch (error) {
      setStatus(error.message, true);
      return;
    }
    if (selected !== index) return;
    const path = call.query ? `${call.path}?${call.query}` : call.path;
    const req = call.request;
    const res = call.response;
    $("detail-heading").textContent = `Call ${call.index}: ${call.method} ${path} → ${call.status || "dropped"}`;
    const parts = [
      el("p", {}, "At ", timeNode(call.at), call.tenant ? ` by tenant ` : " (not authenticated)",
        call.tenant ? el("code", { text: call.tenant }) : null, call.who ? ` (${call.who})` : null),
      el("h3", { text: "Request" }),
      Object.keys(req.form).length
        ? keyValues("Form fields", Object.entries(req.form), ["Field", "Value"])
        : null,
      req.files.length
        ? table(
            "Uploaded files",
            [
              { key: "filename", label: "Name", kind: "text" },
              { key: "content_type", label: "Type", kind: "text" },
              { key: "bytes", label: "Bytes", kind: "bytes" },
              { key: "sha256", label: "SHA-256", kind: "text" },
            ],
            req.files,
          )
        : null,
      bodyBlock("Body", req),
      headersBlock("Request headers", req.headers),
      el("h3", { text: "Response" }),
      bodyBlock("Body", res),
      headersBlock("Response headers", res.headers),
    ].filter((node) => node !== null);
    $("detail-body").replaceChildren(...parts);
    $("detail").hidden = false;
    $("detail-heading").setAttribute("tabindex", "-1");
    $("detail-heading").focus({ preventScroll: true });
  }

  function closeCall() {
    selected = null;
    $("detail").hidden = true;
    renderedJournal = "";
    if (state) render();
  }

  // -- wiring ------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("button[data-advance]")) {
      button.addEventListener("click", () =>
        act(button, "POST", "/_mock/clock", { advance: Number(button.dataset.advance) }),
      );
    }
    $("real-time").addEventListener("click", (event) =>
      act(event.currentTarget, "POST", "/_mock/clock", { real_time: true }),
    );
    $("reset").addEventListener("click", (event) =>
      act(event.currentTarget, "POST", "/_mock/reset", {}, closeCall),
    );
    $("detail-close").addEventListener("click", closeCall);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) poll();
    });
    poll();
  });
})();
