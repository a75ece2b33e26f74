/* lapor tracking page: the public view of a report; with the access code the reporter's view, answers,
 * rating and "Data Anda" (a copy of everything stored, the contact corrected or erased).
 *
 * Drawn with the helpers of assets/lapor.js (loaded first). The access code lives only in this page's memory.
 */
(() => {
  "use strict";

  const { $, t, say, h, when, call, failureKey, localize, spoken, redraws, contactFrom } = window.lapor;

  let id = "";
  try {
    id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  } catch {
    id = "";
  }
  let report = null; // the public view
  let mine = null; // the reporter's view, once the access code was accepted
  let code = null; // the access code: in memory only, never in a URL, cookie or storage
  let failure = null;
  let rated = false;
  let categories = {};
  $("tracking-id").textContent = id;

  const reportPath = () => `reports/${encodeURIComponent(report ? report.tracking_id : id)}`;
  const fact = (key, ...value) => [h("dt", {}, t(key)), h("dd", {}, ...value)];
  const actor = (name) => (name === "reporter" || name === "system" ? t(`actor.${name}`) : name);

  function place(location, approximate) {
    const parts = [];
    if (location.address) parts.push(h("span", {}, location.address));
    if (typeof location.lat === "number") {
      const text = `${location.lat}, ${location.lon}`;
      parts.push(h("a", { href: `geo:${location.lat},${location.lon}` }, text));
      if (approximate) parts.push(h("small", {}, t("track.location_approx")));
    }
    return h("p", {}, ...parts.flatMap((part, i) => (i ? [" · ", part] : [part])));
  }

  function content(view) {
    const section = h("section", { class: "box" }, h("h2", {}, t("track.content")));
    if (view.confidential) section.append(h("p", { class: "hint" }, t("track.confidential")));
    if (view.title) section.append(h("h3", {}, view.title));
    if (view.description) section.append(h("p", { class: "text" }, view.description));
    if (view.location) section.append(h("h3", {}, t("track.location")), place(view.location, !mine));
    return section;
  }

  function gallery(view) {
    const section = h("section", { class: "box" }, h("h2", {}, t("track.photos")));
    const list = h("ul", { class: "gallery" });
    let n = 0;
    for (const photo of view.photos) {
      if (photo.status === "stored") {
        n += 1;
        const image = h("img", { src: photo.url, width: photo.width, height: photo.height, alt: t("photo.alt", { n }) });
        const caption = photo.author === "agency" ? h("figcaption", {}, t("photo.by_agency")) : null;
        list.append(h("li", {}, h("figure", {}, image, caption)));
      } else if (photo.status === "pending") {
        section.append(h("p", { class: "hint" }, t("photo.pending")));
      } else {
        section.append(h("p", { class: "error" }, t(`photo.refused.${photo.reason}`)));
      }
    }
    section.append(list);
    return section;
  }

  function identity(view) {
    const who = view.reporter
      ? [view.reporter.name, view.reporter.email, view.reporter.phone].filter(Boolean).join(" · ")
      : t("access.anonymous");
    return h("section", { class: "box" }, h("h2", {}, t("access.reporter")), h("p", {}, who));
  }

  function entry(item) {
    return h(
      "li",
      { class: item.private ? "private" : null },
      h("p", { class: "hint" }, h("time", { datetime: item.at }, when(item.at)), " · ", actor(item.actor)),
      h("p", { class: "event" }, t(`event.${item.event}`)),
      item.private ? h("p", { class: "badge" }, t("track.private")) : null,
      item.message ? h("blockquote", { class: "text" }, item.message) : null,
    );
  }

  function render() {
    const view = mine || report;
    $("access").hidden = !view;
    if (!view) {
      $("report").replaceChildren(h("p", { class: failure ? "alert" : "hint" }, t(failure || "loading")));
      return;
    }
    $("tracking-id").textContent = view.tracking_id;
    const open = view.status !== "closed" && view.status !== "rejected";
    const overdue = open && view.due_at && new Date(view.due_at) < new Date();
    $("report").replaceChildren(
      h(
        "div",
        { class: `status status-${view.status}` },
        h("p", { class: "status-name" }, t(`status.${view.status}`)),
        h("p", {}, t(`status.${view.status}.explain`)),
      ),
      h(
        "dl",
        { class: "facts" },
        fact("track.kind", t(`kind.${view.kind}`)),
        fact("track.category", categories[view.category] || view.category),
        fact("track.agency", view.agency.name),
        fact("track.submitted", when(view.submitted_at)),
        fact("track.due", when(view.due_at), overdue ? h("strong", { class: "error" }, ` ${t("track.overdue")}`) : ""),
        fact(
          "track.escalation",
          view.escalation_level
            ? t("track.escalation_level", { n: view.escalation_level })
            : t("track.escalation_none"),
        ),
      ),
      view.confidential || view.title ? content(view) : "",
      view.photos && view.photos.length ? gallery(view) : "",
      mine ? identity(mine) : "",
      h("h2", {}, t("track.timeline")),
      h("ol", { class: "timeline" }, view.timeline.map(entry)),
    );
    $("access-form").hidden = Boolean(mine);
    $("reporter-view").hidden = !mine;
    if (mine) {
      $("reply-form").hidden = !open;
      const canRate = mine.status === "responded" || mine.status === "closed";
      const alreadyRated = Boolean(mine.rating) || mine.timeline.some((item) => item.event === "rated");
      $("rate-form").hidden = !canRate || alreadyRated;
      if (alreadyRated) say($("rate-status"), rated ? "rate.sent" : "rate.done");
      $("contact-form").hidden = !mine.reporter;
      if (!mine.reporter && !$("contact-status").textContent) say($("contact-status"), "data.no_contact");
    }
  }

  /* The contact form holds the contact as stored (after unlocking, and after each change). */
  function fillContact() {
    const reporter = (mine && mine.reporter) || {};
    $("contact-name").value = reporter.name || "";
    $("contact-email").value = reporter.email || "";
    $("contact-phone").value = reporter.phone || "";
  }

  async function load() {
    const [found, list] = await Promise.all([call("GET", `reports/${encodeURIComponent(id)}`), call("GET", "categories")]);
    if (list.status === 200) categories = Object.fromEntries(list.data.map((c) => [c.code, c.name]));
    if (found.status === 200) report = found.data;
    else failure = found.status === 404 ? "track.not_found" : failureKey(found.status);
    render();
  }

  /* The reporter's view; false when the code was refused (the reason is shown by the access form). */
  async function unlock(value) {
    const result = await call("GET", `${reportPath()}/private`, undefined, { "X-Access-Code": value });
    if (result.status === 200) {
      code = value;
      mine = result.data;
      say($("access-error"), null);
      fillContact();
      render();
      return true;
    }
    if (result.status === 403) say($("access-error"), "access.wrong");
    else if (result.status === 429) say($("access-error"), "access.limited", { n: result.retryAfter || 60 });
    else if (result.status === 404) say($("access-error"), "track.not_found");
    else say($("access-error"), failureKey(result.status));
    return false;
  }

  function lock() {
    code = null;
    mine = null;
    rated = false;
    const names = ["reply-status", "rate-status", "reply-error", "rate-error", "data-status", "data-error"];
    for (const name of [...names, "contact-status", "contact-error"]) say($(name), null);
    $("erase-confirm").hidden = true;
    fillContact();
    render();
  }

  /* A request with the code: its result when it answered `ok`, else null with the reason shown. */
  async function withCode(method, path, body, errorNode, ok) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const result = await call(method, `${reportPath()}/${path}`, payload, { "X-Access-Code": code });
    if (result.status === ok) {
      say(errorNode, null);
      return result;
    }
    if (result.status === 403) {
      lock();
      say($("access-error"), "access.wrong");
    } else if (result.status === 422 && result.data && result.data.errors && result.data.errors.length) {
      errorNode.textContent = localize(result.data.errors[0].msg);
      spoken.delete(errorNode);
      errorNode.hidden = false;
    } else {
      say(errorNode, failureKey(result.status));
    }
    return null;
  }

  /* A reporter action (reply, rating) with the code; the answer is the reporter's view as it now is. */
  async function act(path, body, errorNode) {
    const result = await withCode("POST", path, body, errorNode, 201);
    if (!result) return false;
    if (result.data && result.data.tracking_id) mine = result.data;
    else await unlock(code);
    render();
    return true;
  }

  /* "Data Anda": a copy of everything stored (saved as a file), and the contact corrected or erased. */
  $("data-export").addEventListener("click", async () => {
    say($("data-status"), null);
    const result = await withCode("GET", "private/export", undefined, $("data-error"), 200);
    if (!result) return;
    const file = new Blob([JSON.stringify(result.data, null, 1)], { type: "application/json" });
    const link = h("a", { href: URL.createObjectURL(file), download: `lapor-${result.data.tracking_id}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    mine = result.data.report;
    render();
    say($("data-status"), "data.exported");
  });

  $("contact-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("contact-status"), null);
    const contact = contactFrom($("contact-name"), $("contact-email"), $("contact-phone"));
    const result = await withCode("PATCH", "private/contact", contact, $("contact-error"), 200);
    if (!result) return;
    mine = result.data;
    fillContact();
    render();
    say($("contact-status"), "data.corrected");
  });

  $("erase-ask").addEventListener("click", () => {
    $("erase-confirm").hidden = false;
    $("erase-no").focus();
  });

  $("erase-no").addEventListener("click", () => {
    $("erase-confirm").hidden = true;
    $("erase-ask").focus();
  });

  $("erase-yes").addEventListener("click", async () => {
    say($("contact-status"), null);
    if (!(await withCode("DELETE", "private/contact", undefined, $("contact-error"), 204))) return;
    $("erase-confirm").hidden = true;
    await unlock(code);
    fillContact();
    say($("contact-status"), "data.erased");
    $("data-heading").setAttribute("tabindex", "-1");
    $("data-heading").focus();
  });

  $("access-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    // Header values must be printable ASCII; an access code is nothing else.
    const value = $("access-code").value.replace(/[^\x21-\x7e]/g, "");
    if (!value) {
      say($("access-error"), "err.required");
      return;
    }
    if (await unlock(value)) {
      $("access-code").value = "";
      $("lock").focus();
    }
  });

  $("lock").addEventListener("click", () => {
    lock();
    $("access-code").focus();
  });

  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("reply-status"), null);
    if (await act("messages", { message: $("reply-message").value }, $("reply-error"))) {
      $("reply-message").value = "";
      say($("reply-status"), "reply.sent");
    }
  });

  $("rate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const score = $("rate-form").elements.score.value;
    if (!score) {
      say($("rate-error"), "err.required");
      return;
    }
    const body = { score: Number(score) };
    const comment = $("rate-comment").value.trim();
    if (comment) body.comment = comment;
    rated = await act("rating", body, $("rate-error"));
    render();
  });

  redraws.push(render);
  render();
  load();
})();
