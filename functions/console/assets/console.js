/* lapor agency console: sign-in, the inbox, one report with its actions, saved replies.
 *
 * No dependencies and no cookies. The officer's ID token lives in this tab's sessionStorage only (gone when
 * the tab closes or on sign-out); every call to the agency API carries it as a bearer token. Sign-in is the
 * OAuth 2.0 authorization-code flow with PKCE against the user pool's managed login (the local stack
 * offers the same endpoints). Every URL is relative to data-root: the console works under a stage prefix.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const { root, auth, client } = document.body.dataset;
  const S = JSON.parse($("strings").textContent);
  const TOKEN = "lapor.console.token";
  // The refresh token (the pool's RefreshTokenValidity, 12 hours) renews the one-hour ID token unseen.
  const REFRESH = "lapor.console.refresh";
  const PKCE = "lapor.console.pkce";
  const callbackUrl = new URL(`${root}console`, location.href).href;
  const STATUSES = ["submitted", "verified", "in_progress", "responded", "closed", "rejected"];
  // What each status allows (the API's transition table); anything else is not offered.
  const ALLOWED = {
    submitted: ["verify", "transfer", "not_responsible", "assign", "reject", "mark_duplicate"],
    verified: ["start", "respond", "extend", "transfer", "not_responsible", "assign", "reject", "mark_duplicate"],
    in_progress: ["respond", "extend", "transfer", "not_responsible", "assign", "mark_duplicate"],
    responded: ["close", "assign", "mark_duplicate"],
    closed: [],
    rejected: [],
  };
  // Roles that coordinate the agencies below them: they see those inboxes, assign and dispose in bulk.
  const COORDINATING = ["dispatcher", "admin"];
  const coordinates = (who) => !!who && COORDINATING.includes(who.role);
  // A desk: the inbox is a table with a checkbox per row; on a phone it stays the list.
  const desk = matchMedia("(min-width: 56.25rem)");
  const session = { me: null, officers: null };
  const MAX_TOTAL_DAYS = 60;

  // The system's own actors are words to translate; an agency is named by its own name.
  const ACTORS = new Set(["reporter", "system"]);

  function t(key, vars) {
    let text = S[key] === undefined ? key : S[key];
    for (const [name, value] of Object.entries(vars || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) node.append(child);
    return node;
  }

  function notice(key, vars, text) {
    $("notice").textContent = key ? t(key, vars) : text || "";
    $("notice").hidden = !key && !text;
  }

  const ZONES = { "+07:00": "WIB", "+08:00": "WITA", "+09:00": "WIT" };

  /* A time as the API wrote it (the deployment's zone), whatever zone this computer is set to. */
  function wall(iso) {
    const offset = (/([+-]\d\d:\d\d|Z)$/.exec(iso) || ["", "Z"])[1];
    const sign = offset[0] === "-" ? -1 : 1;
    const minutes = offset === "Z" ? 0 : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)));
    return { date: new Date(Date.parse(iso) + minutes * 60000), offset, minutes };
  }

  /* Now on the wall clock of the zone `iso` was written in. */
  const wallNow = (iso) => new Date(Date.now() + wall(iso).minutes * 60000);

  function when(iso, withTime = true) {
    if (!iso) return "—";
    const { date, offset } = wall(iso);
    const opts = { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
    if (!withTime) return date.toLocaleDateString(S._locale, opts);
    const zone = ZONES[offset] || (offset === "Z" ? "UTC" : `UTC${offset}`);
    return `${date.toLocaleString(S._locale, { ...opts, hour: "2-digit", minute: "2-digit" })} ${zone}`;
  }

  /* Working days (Monday to Friday) from today to the deadline's day; public holidays are left to the API,
   * which decides what is overdue. */
  function workingDaysLeft(iso) {
    const due = wall(iso).date;
    const now = wallNow(iso);
    const day = (d) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    let count = 0;
    for (let at = day(now) + 86400000; at <= day(due); at += 86400000) {
      const weekday = new Date(at).getUTCDay();
      if (weekday !== 0 && weekday !== 6) count += 1;
    }
    return day(due) < day(now) ? -1 : count;
  }

  // ---------------------------------------------------------------- sign-in

  const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

  async function signIn() {
    const verifier = random(48);
    const state = random(16);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, back: location.pathname + location.search }));
    const url = new URL(`${auth}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: client,
      redirect_uri: callbackUrl,
      scope: "openid email",
      state,
      code_challenge: b64url(new Uint8Array(digest)),
      code_challenge_method: "S256",
    });
    location.assign(url.href);
  }

  /* Back from the sign-in page with ?code=&state=: swap the code for tokens, keep the ID token. */
  async function finishSignIn(params) {
    const saved = JSON.parse(sessionStorage.getItem(PKCE) || "null");
    sessionStorage.removeItem(PKCE);
    history.replaceState(null, "", location.pathname);
    if (!saved || saved.state !== params.get("state")) return notice("signin.failed");
    let response;
    try {
      response = await fetch(`${auth}/oauth2/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: client,
          code: params.get("code"),
          redirect_uri: callbackUrl,
          code_verifier: saved.verifier,
        }),
        cache: "no-store",
      });
    } catch {
      return notice("err.offline");
    }
    if (!response.ok) return notice("signin.failed");
    const tokens = await response.json();
    sessionStorage.setItem(TOKEN, tokens.id_token);
    if (tokens.refresh_token) sessionStorage.setItem(REFRESH, tokens.refresh_token);
    location.replace(new URL(saved.back || `${root}console`, location.href).href);
  }

  /* The ID token's claims while it has a minute left, else null. */
  function claims() {
    const token = sessionStorage.getItem(TOKEN);
    if (!token) return null;
    try {
      const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return payload.exp * 1000 > Date.now() + 60_000 ? payload : null;
    } catch {
      return null;
    }
  }

  /* A usable ID token: the one kept, or a new one for the refresh token; null means sign in again. */
  async function currentToken() {
    if (claims()) return sessionStorage.getItem(TOKEN);
    const refresh = sessionStorage.getItem(REFRESH);
    sessionStorage.removeItem(TOKEN);
    if (!refresh) return null;
    try {
      const response = await fetch(`${auth}/oauth2/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: client, refresh_token: refresh }),
        cache: "no-store",
      });
      if (response.ok) {
        sessionStorage.setItem(TOKEN, (await response.json()).id_token);
        return claims() ? sessionStorage.getItem(TOKEN) : null;
      }
      if (response.status === 400) sessionStorage.removeItem(REFRESH); // expired or revoked
    } catch {
      /* offline: the next request tries again */
    }
    return null;
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(REFRESH);
    const url = new URL(`${auth}/logout`);
    url.search = new URLSearchParams({ client_id: client, logout_uri: callbackUrl });
    location.assign(url.href);
  }

  // ---------------------------------------------------------------- API

  /* One call: {status, data, headers}; status 0 when the network failed. A 401 asks for a new sign-in. */
  async function api(method, path, body, headers) {
    const init = { method, cache: "no-store", headers: { Accept: "application/json", ...headers } };
    const token = path.startsWith("agency/") ? await currentToken() : null;
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(root + path, init);
    } catch {
      return { status: 0, data: null };
    }
    if (response.status === 401 && init.headers.Authorization) {
      sessionStorage.removeItem(TOKEN);
      sessionStorage.removeItem(REFRESH);
      showSignIn("signin.expired");
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
    return { status: response.status, data, headers: response.headers };
  }

  function failure(status) {
    if (status === 0) return "err.offline";
    if (status === 403) return "report.not_yours";
    if (status === 404) return "report.not_found";
    if (status === 409) return "actions.conflict";
    if (status === 429) return "err.busy";
    return "err.generic";
  }

  const directory = { agencies: [], categories: [] };
  const agencyName = (id) => (directory.agencies.find((a) => a.id === id) || { name: id }).name;
  const categoryName = (code) => (directory.categories.find((c) => c.code === code) || { name: code }).name;

  async function loadDirectory() {
    const [agencies, categories] = await Promise.all([api("GET", "agencies"), api("GET", "categories")]);
    if (agencies.status === 200) directory.agencies = agencies.data;
    if (categories.status === 200) directory.categories = categories.data;
  }

  function options(select, entries, chosen) {
    select.replaceChildren(...entries.map(([value, label]) => h("option", { value, selected: value === chosen }, label)));
  }

  function showSignIn(key) {
    for (const id of ["inbox", "report", "settings", "history"]) if ($(id)) $(id).hidden = true;
    $("signin").hidden = false;
    $("sign-out").hidden = true;
    $("who").textContent = "";
    notice(key || null);
  }

  // ---------------------------------------------------------------- saved replies

  let replies = [];

  async function loadReplies() {
    const { status, data } = await api("GET", "agency/replies");
    replies = status === 200 ? data.items : [];
    return replies;
  }

  function editReply(reply) {
    $("reply-id").value = reply ? reply.reply_id : "";
    $("reply-title").value = reply ? reply.title : "";
    $("reply-text").value = reply ? reply.text : "";
    $("reply-form-heading").textContent = t(reply ? "replies.edit" : "replies.new");
    $("reply-cancel").hidden = !reply;
    $("reply-error").hidden = true;
    if (reply) $("reply-title").focus();
  }

  function drawReplies() {
    $("reply-list").replaceChildren(
      ...replies.map((reply) => {
        const edit = h("button", { type: "button", class: "link" }, t("replies.edit_one", { title: reply.title }));
        const remove = h("button", { type: "button", class: "link" }, t("replies.delete_one", { title: reply.title }));
        edit.addEventListener("click", () => editReply(reply));
        remove.addEventListener("click", async () => {
          const { status } = await api("DELETE", `agency/replies/${encodeURIComponent(reply.reply_id)}`);
          if (status !== 204) return notice(failure(status));
          await loadReplies();
          drawReplies();
        });
        return h("li", {}, h("strong", {}, reply.title), " ", h("span", { class: "hint" }, reply.text), h("div", { class: "buttons" }, edit, remove));
      }),
    );
    if (!replies.length) $("reply-list").append(h("li", { class: "hint" }, t("replies.none")));
  }

  async function saveReply(event) {
    event.preventDefault();
    const id = $("reply-id").value;
    const body = { title: $("reply-title").value.trim(), text: $("reply-text").value.trim() };
    if (!body.title || !body.text) {
      $("reply-error").textContent = t("replies.required");
      $("reply-error").hidden = false;
      return;
    }
    const { status, data } = id
      ? await api("PUT", `agency/replies/${encodeURIComponent(id)}`, body)
      : await api("POST", "agency/replies", body);
    if (status !== 200 && status !== 201) {
      $("reply-error").textContent = (data && data.detail) || t(failure(status));
      $("reply-error").hidden = false;
      return;
    }
    editReply(null);
    await loadReplies();
    drawReplies();
  }

  // ---------------------------------------------------------------- inbox

  const inbox = { items: [], cursor: null, who: null, picked: new Set(), asked: 0 };

  function filters() {
    return {
      status: $("f-status").value,
      category: $("f-category").value,
      agency: $("f-agency").value,
      overdue: $("f-overdue").checked,
      mine: $("f-mine").checked,
    };
  }

  function filterQuery(f) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(f)) if (value && name !== "mine") query.set(name, value === true ? "1" : value);
    return query;
  }

  const OPEN = ["submitted", "verified", "in_progress"]; // the agency owes the next step

  /* Flagged at the top of the hierarchy, or past its deadline before the schedule escalates it. */
  const late = (item) => item.overdue || (OPEN.includes(item.status) && !!item.due_at && Date.parse(item.due_at) < Date.now());

  /* Due within one working day: by the end of the next weekday. */
  function dueSoon(item) {
    return !late(item) && OPEN.includes(item.status) && !!item.due_at && workingDaysLeft(item.due_at) <= 1;
  }

  function drawInbox() {
    const f = filters();
    const shown = inbox.items
      .filter((item) => (!f.category || item.category === f.category) && (!f.agency || item.agency.id === f.agency) && (!f.overdue || late(item)))
      .sort((a, b) => (a.due_at || "9999").localeCompare(b.due_at || "9999"));
    const counts = STATUSES.map((status) => [status, inbox.items.filter((item) => item.status === status).length]).filter(([, n]) => n);
    $("counts").textContent = counts.length
      ? t("inbox.counts", { counts: counts.map(([status, n]) => `${t(`status.${status}`)} ${n}`).join(" · "), total: inbox.items.length })
      : "";
    drawTable(shown);
    $("list").hidden = desk.matches;
    $("list").replaceChildren(
      ...shown.map((item) => {
        const flags = [];
        if (late(item)) flags.push(h("span", { class: "flag overdue" }, t("inbox.overdue")));
        else if (dueSoon(item)) flags.push(h("span", { class: "flag soon" }, t("inbox.due_soon")));
        if (item.escalation_level > 0) flags.push(h("span", { class: "flag" }, t("report.level", { level: item.escalation_level })));
        return h(
          "li",
          { class: late(item) ? "card late" : "card" },
          h("a", { href: `${root}console/reports/${item.tracking_id}${location.search.includes("lang=en") ? "?lang=en" : ""}`, class: "mono" }, item.tracking_id),
          h("p", { class: "title" }, item.title || t(`kind.${item.kind}`)),
          h("p", { class: "meta" }, [t(`status.${item.status}`), categoryName(item.category), coordinates(inbox.who) ? item.agency.name : null].filter(Boolean).join(" · ")),
          h("p", { class: "meta" }, t("inbox.due", { when: when(item.due_at) }), " ", flags),
          item.assignee ? h("p", { class: "meta" }, t("inbox.assignee", { name: item.assignee.name })) : null,
        );
      }),
    );
    $("empty").hidden = shown.length > 0;
    $("more").hidden = !inbox.cursor;
  }

  const reportLink = (item) => h("a", { href: `${root}console/reports/${item.tracking_id}${location.search.includes("lang=en") ? "?lang=en" : ""}`, class: "mono" }, item.tracking_id);

  /* At a desk: one row per report (ID, title, category, status, deadline, escalation, assignee), with a
   * checkbox per row for a coordinator's bulk disposition. */
  function drawTable(shown) {
    const wrap = $("table-wrap");
    wrap.hidden = !desk.matches || shown.length === 0;
    const bulk = desk.matches && coordinates(inbox.who);
    $("bulk").hidden = !bulk || shown.length === 0;
    if (wrap.hidden) return wrap.replaceChildren();
    const selectAll = bulk ? h("input", { type: "checkbox", id: "select-all", "aria-label": t("table.select_all") }) : null;
    const header = ["col.id", "col.title", "col.category", "col.status", "col.deadline", "col.escalation", "col.assignee"];
    const rows = shown.map((item) => {
      const box = bulk ? h("input", { type: "checkbox", class: "pick", value: item.tracking_id, "aria-label": t("table.select", { id: item.tracking_id }), checked: inbox.picked.has(item.tracking_id) }) : null;
      if (box) box.addEventListener("change", () => pick(item.tracking_id, box.checked));
      const flags = late(item) ? [" ", h("span", { class: "flag overdue" }, t("inbox.overdue"))] : dueSoon(item) ? [" ", h("span", { class: "flag soon" }, t("inbox.due_soon"))] : [];
      return h(
        "tr",
        { class: late(item) ? "late" : null },
        bulk ? h("td", {}, box) : null,
        h("td", {}, reportLink(item)),
        h("td", {}, item.title || t(`kind.${item.kind}`)),
        h("td", {}, categoryName(item.category)),
        h("td", {}, t(`status.${item.status}`), coordinates(inbox.who) ? h("span", { class: "meta" }, ` · ${item.agency.name}`) : null),
        h("td", {}, when(item.due_at), flags),
        h("td", {}, item.escalation_level > 0 ? t("report.level", { level: item.escalation_level }) : "—"),
        h("td", {}, item.assignee ? item.assignee.name : "—"),
      );
    });
    if (selectAll) {
      selectAll.checked = shown.length > 0 && shown.every((item) => inbox.picked.has(item.tracking_id));
      selectAll.addEventListener("change", () => {
        for (const item of shown) pick(item.tracking_id, selectAll.checked);
        drawInbox();
      });
    }
    wrap.replaceChildren(
      h(
        "table",
        { class: "inbox-table" },
        h("caption", {}, t("table.caption")),
        h("thead", {}, h("tr", {}, bulk ? h("th", { scope: "col" }, selectAll) : null, header.map((key) => h("th", { scope: "col" }, t(key))))),
        h("tbody", {}, rows),
      ),
    );
    $("bulk-selected").textContent = t("bulk.selected", { n: inbox.picked.size });
  }

  function pick(id, on) {
    if (on) inbox.picked.add(id);
    else inbox.picked.delete(id);
    $("bulk-selected").textContent = t("bulk.selected", { n: inbox.picked.size });
  }

  /* The officers a coordinator can assign to (GET agency/officers), once per page. */
  async function officers() {
    if (session.officers) return session.officers;
    const { status, data } = await api("GET", "agency/officers");
    session.officers = status === 200 ? data.items : [];
    return session.officers;
  }

  async function prepareBulk() {
    const agencies = directory.agencies.filter((a) => a.id === inbox.who.agency || isBelow(a.id, inbox.who.agency));
    options($("bulk-agency"), [["", t("bulk.choose")], ...agencies.map((a) => [a.id, a.name])], "");
    const pool = await officers();
    options($("bulk-officer"), [["", t("bulk.choose")], ...pool.map((o) => [o.sub, `${o.name} (${agencyName(o.agency_id)})`])], "");
    $("bulk").addEventListener("submit", (event) => {
      event.preventDefault();
      bulkAct(event.submitter && event.submitter.id === "bulk-assign" ? "assign" : "transfer");
    });
  }

  /* One request for every selected report; each outcome is the single action's, failures named per report. */
  async function bulkAct(action) {
    const target = action === "assign" ? $("bulk-officer").value : $("bulk-agency").value;
    const ids = inbox.items.map((item) => item.tracking_id).filter((id) => inbox.picked.has(id));
    const result = $("bulk-result");
    if (!ids.length || !target) {
      result.replaceChildren(h("p", { class: "error" }, t("bulk.none")));
      return;
    }
    const body = { action, tracking_ids: ids.slice(0, 50), [action === "assign" ? "assignee_sub" : "agency_id"]: target };
    const { status, data } = await api("POST", "agency/bulk-actions", body);
    if (status !== 200) {
      result.replaceChildren(h("p", { class: "error" }, (data && data.detail) || t(failure(status))));
      return;
    }
    const failed = data.items.filter((item) => item.status !== 200);
    result.replaceChildren(...[
      h("p", {}, t("bulk.result", { done: data.items.length - failed.length, failed: failed.length })),
      failed.length ? h("ul", {}, failed.map((item) => h("li", {}, t("bulk.failed_one", { id: item.tracking_id, detail: (item.problem && item.problem.detail) || t(failure(item.status)) })))) : null,
    ].filter(Boolean));
    inbox.picked = new Set(failed.map((item) => item.tracking_id));
    await loadInbox(true);
  }

  async function loadInbox(reset) {
    const query = new URLSearchParams({ limit: "100" });
    if (filters().status) query.set("status", filters().status);
    if (filters().mine) query.set("mine", "1");
    if (!reset && inbox.cursor) query.set("cursor", inbox.cursor);
    const asked = ++inbox.asked; // a filter changed while a page was loading: only the newest answer is shown
    const { status, data } = await api("GET", `agency/reports?${query}`);
    if (asked !== inbox.asked) return;
    if (status !== 200) return notice(failure(status));
    inbox.items = reset ? data.items : inbox.items.concat(data.items);
    inbox.cursor = data.next_cursor;
    drawInbox();
  }

  function rememberFilters() {
    const query = filterQuery(filters());
    if (S._lang !== "id") query.set("lang", S._lang);
    history.replaceState(null, "", `${location.pathname}${query.size ? `?${query}` : ""}`);
  }

  async function exportCsv() {
    const f = filters();
    const { status, data } = await api("GET", `agency/reports.csv?${filterQuery(f)}`, undefined, { Accept: "text/csv" });
    if (status !== 200) return notice(failure(status));
    const link = h("a", { href: URL.createObjectURL(new Blob([data], { type: "text/csv" })), download: `lapor-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function showInbox(who) {
    inbox.who = who;
    const params = new URLSearchParams(location.search);
    options($("f-status"), [["", t("filter.all")], ...STATUSES.map((s) => [s, t(`status.${s}`)])], params.get("status") || "");
    options($("f-category"), [["", t("filter.all")], ...directory.categories.map((c) => [c.code, c.name])], params.get("category") || "");
    if (coordinates(who)) {
      const mine = directory.agencies.filter((a) => a.id === who.agency || isBelow(a.id, who.agency));
      options($("f-agency"), [["", t("filter.all")], ...mine.map((a) => [a.id, a.name])], params.get("agency") || "");
      $("f-agency-field").hidden = false;
    }
    $("f-overdue").checked = params.get("overdue") === "1";
    $("f-mine").checked = params.get("mine") === "1";
    $("inbox").hidden = false;
    $("filters").addEventListener("change", (event) => {
      rememberFilters();
      if (event.target.id === "f-status" || event.target.id === "f-mine") loadInbox(true);
      else drawInbox();
    });
    desk.addEventListener("change", drawInbox);
    if (coordinates(who)) await prepareBulk();
    $("refresh").addEventListener("click", () => loadInbox(true));
    $("more").addEventListener("click", () => loadInbox(false));
    $("export").addEventListener("click", exportCsv);
    $("search").addEventListener("submit", (event) => {
      event.preventDefault();
      const id = $("search-id").value.trim();
      if (id) location.assign(`${root}console/reports/${encodeURIComponent(id)}${S._lang === "id" ? "" : "?lang=en"}`);
    });
    $("reply-form").addEventListener("submit", saveReply);
    $("reply-cancel").addEventListener("click", () => editReply(null));
    await Promise.all([loadInbox(true), loadReplies().then(drawReplies)]);
  }

  function isBelow(id, ancestor) {
    let agency = directory.agencies.find((a) => a.id === id);
    while (agency && agency.parent_id) {
      if (agency.parent_id === ancestor) return true;
      agency = directory.agencies.find((a) => a.id === agency.parent_id);
    }
    return false;
  }

  // ---------------------------------------------------------------- one report

  const current = { id: null, report: null };

  function facts(pairs) {
    return h("dl", { class: "facts" }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
  }

  function mapLink(location_) {
    if (!location_) return null;
    const parts = [];
    if (location_.lat !== null && location_.lat !== undefined && location_.lon !== null && location_.lon !== undefined) {
      const { lat, lon } = location_;
      parts.push(h("a", { href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`, target: "_blank", rel: "noopener noreferrer" }, t("report.map", { lat, lon })));
    }
    if (location_.address) parts.push(h("span", {}, " ", location_.address));
    return parts.length ? h("span", {}, parts) : null;
  }

  function deadline(report) {
    if (!report.due_at) return "—";
    const left = workingDaysLeft(report.due_at);
    const text = late(report) || left < 0 ? t("report.overdue") : t("report.days_left", { days: left });
    return `${when(report.due_at)} (${text})`;
  }

  function drawReport(report) {
    current.report = report;
    $("report-heading").textContent = t("report.heading", { id: report.tracking_id });
    document.title = `${report.tracking_id} — ${t("brand")}`;
    const reporter = report.reporter && Object.keys(report.reporter).length
      ? facts(Object.entries(report.reporter).map(([key, value]) => [t(`reporter.${key}`), value]))
      : h("p", {}, t(report.anonymous ? "reporter.anonymous" : "reporter.none"));
    const rating = report.rating
      ? t("report.rating_value", { score: report.rating.score }) + (report.rating.comment ? ` — “${report.rating.comment}”` : "")
      : t("report.not_rated");
    // A duplicate points to its original (in the console too); an original counts what was merged into it.
    const [sameBefore, sameAfter] = t("report.duplicate_of").split("{id}");
    // (replaceChildren would write a missing one as the text "null")
    $("report-status").replaceChildren(...[
      h("p", { class: `status status-${report.status}` }, t(`status.${report.status}`)),
      report.duplicate_of ? h("p", {}, sameBefore, reportLink({ tracking_id: report.duplicate_of }), sameAfter) : null,
      report.merged_count ? h("p", {}, t(report.merged_count === 1 ? "report.merged_one" : "report.merged", { count: report.merged_count })) : null,
      facts([[t("report.assignee"), report.assignee ? report.assignee.name : t("report.unassigned")]]),
    ].filter(Boolean));
    $("report-body").replaceChildren(
      facts([
        [t("report.kind"), t(`kind.${report.kind}`)],
        [t("report.category"), categoryName(report.category)],
        [t("report.agency"), report.agency.name],
        [t("report.submitted"), when(report.submitted_at)],
        [t("report.deadline"), deadline(report)],
        [t("report.escalation"), report.escalation_level > 0 ? t("report.level", { level: report.escalation_level }) : t("report.level_none")],
        [t("report.support"), String(report.support_count)],
        [t("report.rating"), rating],
        [t("report.privacy"), [report.anonymous ? t("report.anonymous") : null, report.confidential ? t("report.confidential") : null].filter(Boolean).join(", ") || t("report.public")],
      ]),
      h("h2", {}, t("report.content")),
      h("p", { class: "title" }, report.title || "—"),
      h("p", { class: "description" }, report.description || ""),
      facts([[t("report.location"), mapLink(report.location)]]),
      ...photoSection(report),
      h("h2", {}, t("reporter.heading")),
      reporter,
      h("h2", {}, t("timeline.heading")),
      h(
        "ol",
        { class: "timeline" },
        report.timeline.map((entry) =>
          h(
            "li",
            {},
            h("span", { class: "when" }, when(entry.at)),
            h("strong", {}, t(`event.${entry.event}`)),
            entry.actor ? h("span", { class: "hint" }, ` — ${ACTORS.has(entry.actor) ? t(`actor.${entry.actor}`) : entry.actor}`) : null,
            entry.private ? h("span", { class: "flag" }, t("timeline.private")) : null,
            entry.message ? h("p", { class: "message" }, entry.message) : null,
          ),
        ),
      ),
    );
    drawActions(report);
  }

  /* The report's photos: each stored one with whether the public sees it, and the button that decides. */
  function photoSection(report) {
    const photos = report.photos || [];
    if (!photos.length) return [];
    const item = (photo, n) => {
      const label = t("photo.label", { n, author: t(`photo.author.${photo.author}`) });
      if (photo.status !== "stored") return h("li", {}, `${label}: ${t(`photo.${photo.status}`)}${photo.detail ? ` (${photo.detail})` : ""}`);
      const button = h("button", { type: "button", class: "secondary" }, t(photo.public ? "photo.hide" : "photo.show"));
      button.addEventListener("click", () => showPhoto(photo, !photo.public));
      return h(
        "li",
        {},
        h("a", { href: photo.url }, h("img", { src: photo.url, alt: label, width: "160", loading: "lazy" })),
        h("p", {}, `${label}: ${t(photo.public ? "photo.public" : "photo.not_public")}`),
        button,
      );
    };
    return [h("h2", {}, t("photo.heading")), h("ul", { class: "photos" }, photos.map((photo, i) => item(photo, i + 1)))];
  }

  async function showPhoto(photo, shown) {
    const path = `agency/reports/${encodeURIComponent(current.id)}/photos/${encodeURIComponent(photo.id)}/visibility`;
    const { status, data } = await api("PUT", path, { public: shown });
    if (status === 200) {
      drawReport(data);
      notice(shown ? "photo.shown" : "photo.hidden");
      return;
    }
    if (status !== 401) notice(failure(status));
  }

  function field(id, label, control, hint) {
    return h("div", { class: "field" }, h("label", { for: id }, label), hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null, control);
  }

  function actionForm(action, report) {
    const form = h("form", { class: "action", "data-action": action, novalidate: true, "aria-labelledby": `a-${action}-h` });
    const error = h("p", { class: "error", role: "alert", id: `a-${action}-error`, hidden: true });
    form.append(h("h3", { id: `a-${action}-h` }, t(`action.${action}`)), h("p", { class: "hint" }, t(`action.${action}.hint`)));
    const read = {};
    if (action === "transfer") {
      const select = h("select", { id: "a-transfer-agency" }, h("option", { value: "" }, t("action.transfer.choose")), directory.agencies.filter((a) => a.id !== report.agency.id).map((a) => h("option", { value: a.id }, a.name)));
      form.append(field("a-transfer-agency", t("action.transfer.agency"), select));
      read.agency_id = () => select.value || null;
    }
    if (action === "respond") {
      const text = h("textarea", { id: "a-respond-message", rows: "5", maxlength: "4000" });
      const saved = h("select", { id: "a-respond-saved" }, h("option", { value: "" }, t("action.respond.saved_choose")), replies.map((r) => h("option", { value: r.reply_id }, r.title)));
      saved.addEventListener("change", () => {
        const reply = replies.find((r) => r.reply_id === saved.value);
        if (reply) text.value = reply.text;
      });
      if (replies.length) form.append(field("a-respond-saved", t("action.respond.saved"), saved));
      form.append(field("a-respond-message", t("action.respond.message"), text));
      read.message = () => text.value.trim() || null;
    }
    if (action === "extend") {
      // The API allows at most MAX_TOTAL_DAYS after the submission moment: on the last day, that moment.
      const submitted = wall(report.submitted_at);
      const zone = submitted.offset === "Z" ? "+00:00" : submitted.offset;
      const capWall = new Date(submitted.date.getTime() + MAX_TOTAL_DAYS * 86400000).toISOString();
      const cap = capWall.slice(0, 10);
      const today = wallNow(report.submitted_at).toISOString().slice(0, 10);
      const date = h("input", { type: "date", id: "a-extend-date", min: today, max: cap, "aria-describedby": "a-extend-date-hint" });
      form.append(field("a-extend-date", t("action.extend.date"), date, t("action.extend.cap", { date: when(`${cap}T00:00:00+00:00`, false) })));
      read.due_at = () => {
        if (!date.value) return null;
        return date.value >= cap ? `${capWall.slice(0, 19)}${zone}` : `${date.value}T23:59:59${zone}`;
      };
    }
    if (action === "assign") {
      const me = session.me;
      const choices = [["", t("bulk.choose")], [me.sub, t("action.assign.me", { name: me.name })]];
      for (const o of session.officers || []) if (o.sub !== me.sub) choices.push([o.sub, `${o.name} (${agencyName(o.agency_id)})`]);
      const select = h("select", { id: "a-assign-officer" });
      options(select, choices, report.assignee ? report.assignee.sub : "");
      form.append(field("a-assign-officer", t("action.assign.officer"), select));
      read.assignee_sub = () => select.value || null;
    }
    if (action === "mark_duplicate") {
      // The open public reports of the same category within 1 km, of this console's scope, nearest first.
      const list = h("fieldset", { id: "a-duplicate-list" }, h("legend", {}, t("action.mark_duplicate.original")));
      const empty = h("p", { class: "hint" }, t("action.mark_duplicate.loading"));
      list.append(empty);
      form.append(list);
      api("GET", `agency/reports/${encodeURIComponent(report.tracking_id)}/nearby`).then(({ status, data }) => {
        const found = status === 200 && Array.isArray(data) ? data : [];
        empty.textContent = t(status === 200 ? "action.mark_duplicate.none" : failure(status));
        empty.hidden = found.length > 0;
        list.append(
          ...found.map((r, i) =>
            h(
              "div",
              { class: "choice" },
              h("input", { type: "radio", name: "duplicate_of", id: `a-duplicate-${i}`, value: r.tracking_id }),
              h("label", { for: `a-duplicate-${i}` }, `${r.tracking_id} · ${r.title || "—"} · ${t("action.mark_duplicate.distance", { m: r.distance_m })} · ${t(`status.${r.status}`)}`),
            ),
          ),
        );
      });
      read.duplicate_of = () => (list.querySelector("input:checked") || {}).value || null;
    }
    if (action === "extend" || action === "reject" || action === "not_responsible") {
      const reason = h("textarea", { id: `a-${action}-reason`, rows: "3", maxlength: "4000" });
      form.append(field(`a-${action}-reason`, t("action.reason"), reason));
      read.message = () => reason.value.trim() || null;
    }
    const secondary = action === "reject" || action === "not_responsible" || action === "mark_duplicate";
    form.append(error, h("button", { type: "submit", class: secondary ? "secondary" : "primary" }, t(`action.${action}.submit`)));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { action };
      for (const [name, value] of Object.entries(read)) body[name] = value();
      const missing = Object.entries(body).find(([, value]) => value === null);
      if (missing) {
        error.textContent = t(`action.required.${missing[0]}`);
        error.hidden = false;
        return;
      }
      await act(body, error);
    });
    return form;
  }

  /* What the status allows this caller: bukan wewenang by the responsible agency itself when a coordinator is
   * above it, an assignment by a coordinator. */
  function offered(action, report) {
    if (action === "not_responsible") {
      const here = directory.agencies.find((a) => a.id === report.agency.id);
      return report.agency.id === session.me.agency && !!(here && here.parent_id);
    }
    if (action === "assign") return coordinates(session.me);
    return true;
  }

  function drawActions(report) {
    // A confidential report is never marked as a duplicate: the pointer would be public.
    const allowed = (ALLOWED[report.status] || []).filter(
      (action) => offered(action, report) && (action !== "mark_duplicate" || !report.confidential),
    );
    $("actions").hidden = allowed.length === 0;
    $("action-forms").replaceChildren(...allowed.map((action) => actionForm(action, report)));
  }

  async function act(body, error) {
    const { status, data } = await api("POST", `agency/reports/${encodeURIComponent(current.id)}/actions`, body, { "If-Match": `"${current.report.version}"` });
    if (status === 200) {
      drawReport(data);
      notice("actions.done", { action: t(`action.${body.action}`) });
      $("notice").focus();
      return;
    }
    if (status === 409) {
      // Someone else changed the report first: show what it is now, and say why nothing happened.
      await loadReport();
      notice("actions.conflict");
      return;
    }
    error.textContent = status === 422 && data && data.detail ? data.detail : t(failure(status));
    error.hidden = false;
  }

  async function loadReport() {
    const { status, data } = await api("GET", `agency/reports/${encodeURIComponent(current.id)}`);
    if (status === 200) {
      drawReport(data);
      return;
    }
    if (status === 401) return;
    $("report-heading").textContent = t("report.heading", { id: current.id });
    $("report-body").replaceChildren(h("p", { class: "alert" }, t(failure(status))));
    $("actions").hidden = true;
  }

  async function showReport(id) {
    current.id = id;
    $("report").hidden = false;
    await Promise.all([loadReplies(), coordinates(session.me) ? officers() : null]);
    await loadReport();
  }

  // ---------------------------------------------------------------- settings (admins only; the API decides)

  const ROLES = ["officer", "dispatcher", "admin"];
  const LEVELS = ["national", "province", "regency", "office"];
  const admin = { directory: { agencies: [], categories: [] }, me: null };

  function formError(id, key, data, status) {
    const error = $(id);
    const problems = data && data.errors ? data.errors.map((e) => `${e.loc[e.loc.length - 1]}: ${e.msg}`).join("; ") : "";
    error.textContent = key ? t(key) : problems || (data && data.detail) || t(failure(status));
    error.hidden = false;
  }

  async function loadAdminDirectory() {
    const { status, data } = await api("GET", "agency/admin/directory");
    if (status !== 200) return status;
    admin.directory = data;
    const agencies = data.agencies.map((a) => [a.id, a.name]);
    options($("invite-agency"), agencies, admin.me.agency);
    options($("category-agency"), agencies, agencies.length ? agencies[agencies.length - 1][0] : "");
    options($("agency-parent"), agencies, admin.me.agency);
    options($("invite-role"), ROLES.map((r) => [r, t(`role.${r}`)]), "officer");
    options($("agency-level"), LEVELS.map((l) => [l, t(`level.${l}`)]), "office");
    $("category-list").replaceChildren(
      ...data.categories.map((c) => h("li", {}, h("span", { class: "title" }, c.name), " ", h("span", { class: "meta mono" }, c.code), h("p", { class: "meta" }, agencyName(c.default_agency_id)))),
    );
    $("agency-list").replaceChildren(
      ...data.agencies.map((a) => {
        const edit = h("button", { type: "button", class: "link" }, t("agencies.edit", { name: a.name }));
        edit.addEventListener("click", () => editAgency(a));
        const facts = [t(`level.${a.level}`), a.email, a.webhook_url].filter(Boolean).join(" · ");
        return h("li", {}, h("span", { class: "title" }, a.name), " ", h("span", { class: "meta mono" }, a.id), h("p", { class: "meta" }, facts), edit);
      }),
    );
    return status;
  }

  function editAgency(agency) {
    $("agency-form-heading").textContent = t("agencies.edit_heading", { name: agency.name });
    $("agency-version").value = String(agency.version);
    $("agency-id").value = agency.id;
    $("agency-id").readOnly = true;
    $("agency-name").value = agency.name;
    options($("agency-parent"), admin.directory.agencies.filter((a) => a.id !== agency.id).map((a) => [a.id, a.name]), agency.parent_id || "");
    $("agency-level").value = agency.level;
    $("agency-email").value = agency.email || "";
    $("agency-webhook").value = agency.webhook_url || "";
    $("agency-name").focus();
  }

  function officerCard(officer) {
    const state = [t(`role.${officer.role}`), agencyName(officer.agency_id), t(officer.enabled ? "officers.enabled" : "officers.disabled"), t(officer.mfa_enabled ? "officers.mfa_on" : "officers.mfa_off")];
    const change = (body) => officerChange(officer, "PATCH", "", body);
    const toggle = h("button", { type: "button", class: "secondary" }, t(officer.enabled ? "officers.disable" : "officers.enable", { email: officer.email }));
    toggle.addEventListener("click", () => change({ enabled: !officer.enabled }));
    const signOutAll = h("button", { type: "button", class: "secondary" }, t("officers.sign_out", { email: officer.email }));
    signOutAll.addEventListener("click", () => officerChange(officer, "POST", "/sign-out"));
    const resetMfa = h("button", { type: "button", class: "secondary" }, t("officers.reset_mfa", { email: officer.email }));
    resetMfa.addEventListener("click", () => officerChange(officer, "POST", "/reset-mfa"));
    const id = officer.id.replace(/[^A-Za-z0-9-]/g, "");
    const agency = h("select", { id: `o-${id}-agency` });
    options(agency, admin.directory.agencies.map((a) => [a.id, a.name]), officer.agency_id);
    const role = h("select", { id: `o-${id}-role` });
    options(role, ROLES.map((r) => [r, t(`role.${r}`)]), officer.role);
    const save = h("button", { type: "submit", class: "primary" }, t("officers.save"));
    const move = h("form", { class: "panel" },
      h("label", { for: agency.id }, t("officers.agency")), agency, h("label", { for: role.id }, t("officers.role")), role, save);
    move.addEventListener("submit", (event) => {
      event.preventDefault();
      change({ agency_id: agency.value, role: role.value });
    });
    const details = h("details", {}, h("summary", {}, t("officers.move", { email: officer.email })), move);
    return h("li", { class: "card" }, h("p", { class: "title" }, officer.name || officer.email), h("p", { class: "mono" }, officer.email),
      h("p", { class: "meta" }, state.join(" · ")), details, h("div", { class: "buttons" }, toggle, signOutAll, resetMfa));
  }

  async function officerChange(officer, method, suffix, body) {
    const { status, data } = await api(method, `agency/admin/officers/${encodeURIComponent(officer.id)}${suffix}`, body);
    if (status === 200) notice("officers.done", { email: officer.email });
    else if (status === 409) notice(null, null, (data && data.detail) || t("settings.conflict"));
    else notice(failure(status));
    await loadOfficers();
  }

  async function loadOfficers() {
    const { status, data } = await api("GET", "agency/admin/officers");
    if (status === 200) $("officer-list").replaceChildren(...data.items.map(officerCard));
  }

  async function invite(event) {
    event.preventDefault();
    $("invite-error").hidden = true;
    const body = { name: $("invite-name").value.trim(), email: $("invite-email").value.trim(), agency_id: $("invite-agency").value, role: $("invite-role").value };
    if (!body.name || !body.email) return formError("invite-error", "officers.required");
    const { status, data } = await api("POST", "agency/admin/officers", body);
    if (status !== 201) return formError("invite-error", null, data, status);
    $("invite-form").reset();
    notice("officers.invited", { email: data.email });
    await loadOfficers();
  }

  async function saveCategory(event) {
    event.preventDefault();
    $("category-error").hidden = true;
    const code = $("category-code").value.trim();
    const body = { name: $("category-name").value.trim(), default_agency_id: $("category-agency").value };
    if (!code || !body.name) return formError("category-error", "categories.required");
    const existing = admin.directory.categories.find((c) => c.code === code);
    const headers = existing ? { "If-Match": `"${existing.version}"` } : {};
    const { status, data } = await api("PUT", `agency/admin/categories/${encodeURIComponent(code)}`, body, headers);
    if (status === 409) await loadAdminDirectory();
    if (status !== 200) return formError("category-error", status === 409 ? "settings.conflict" : null, data, status);
    $("category-form").reset();
    notice("categories.saved", { name: body.name });
    await loadAdminDirectory();
  }

  async function saveAgency(event) {
    event.preventDefault();
    $("agency-error").hidden = true;
    const id = $("agency-id").value.trim();
    const body = { name: $("agency-name").value.trim(), parent_id: $("agency-parent").value, level: $("agency-level").value };
    if (!id || !body.name) return formError("agency-error", "agencies.required");
    const email = $("agency-email").value.trim();
    const webhook = $("agency-webhook").value.trim();
    if (email) body.email = email;
    if (webhook) body.webhook_url = webhook;
    const version = $("agency-version").value;
    const before = admin.directory.agencies.find((a) => a.id === id);
    if (before && before.region_code) body.region_code = before.region_code;
    const headers = version ? { "If-Match": `"${version}"` } : {};
    const { status, data } = await api("PUT", `agency/admin/agencies/${encodeURIComponent(id)}`, body, headers);
    if (status === 409) await loadAdminDirectory();
    if (status !== 200) return formError("agency-error", status === 409 ? "settings.conflict" : null, data, status);
    $("agency-form").reset();
    $("agency-version").value = "";
    $("agency-id").readOnly = false;
    $("agency-form-heading").textContent = t("agencies.new");
    notice("agencies.saved", { name: body.name });
    await loadAdminDirectory();
  }

  function addAdminPages() {
    $("main").append($("admin-pages").content.cloneNode(true));
  }

  async function showSettings(me) {
    addAdminPages();
    admin.me = me;
    $("settings").hidden = false;
    const status = await loadAdminDirectory();
    if (status !== 200) {
      $("settings").hidden = true;
      return notice(status === 403 ? "settings.not_admin" : failure(status));
    }
    $("invite-form").addEventListener("submit", invite);
    $("category-form").addEventListener("submit", saveCategory);
    $("agency-form").addEventListener("submit", saveAgency);
    await loadOfficers();
  }

  function described(value) {
    if (value === null || value === undefined) return "—";
    return Object.entries(value).map(([k, v]) => `${k}: ${v === null ? "—" : v}`).join(", ");
  }

  async function showHistory() {
    addAdminPages();
    $("history").hidden = false;
    const { status, data } = await api("GET", "agency/admin/history");
    if (status !== 200) {
      $("history").hidden = true;
      return notice(status === 403 ? "settings.not_admin" : failure(status));
    }
    $("history-empty").hidden = data.items.length > 0;
    $("history-list").replaceChildren(
      ...data.items.map((c) => h("li", {},
        h("p", {}, h("span", { class: "title" }, `${c.action} ${c.target}`)),
        h("p", { class: "meta" }, t("history.by", { at: when(c.at), by: c.by })),
        h("dl", { class: "facts" }, h("dt", {}, t("history.before")), h("dd", {}, described(c.before)), h("dt", {}, t("history.after")), h("dd", {}, described(c.after))))),
    );
  }

  // ---------------------------------------------------------------- start

  async function start() {
    $("notice").tabIndex = -1;
    $("sign-in").addEventListener("click", signIn);
    $("sign-out").addEventListener("click", signOut);
    const params = new URLSearchParams(location.search);
    if (params.has("code") && params.has("state")) return finishSignIn(params);
    const who = (await currentToken()) && claims();
    if (!who) return showSignIn(params.has("error") ? "signin.failed" : null);
    const me = { agency: who["custom:agency_id"], role: who["custom:role"] || "officer", sub: who.sub, name: who.email || who["cognito:username"] || who.sub };
    session.me = me;
    await loadDirectory();
    $("who").textContent = t("who", { agency: agencyName(me.agency), role: t(`role.${me.role}`) });
    $("sign-out").hidden = false;
    $("settings-link").hidden = me.role !== "admin";
    if (/\/console\/settings$/.test(location.pathname)) return showSettings(me);
    if (/\/console\/settings\/history$/.test(location.pathname)) return showHistory();
    const match = /\/console\/reports\/([^/]+)$/.exec(location.pathname);
    if (match) return showReport(decodeURIComponent(match[1]));
    return showInbox(me);
  }

  start();
})();
