/* lapor citizen pages: the report form with its receipt, and what the tracking page shares (assets/track.js).
 *
 * No dependencies, no cookies, no storage: the access code lives only in this page's memory.
 * Every URL is relative to data-root, so the pages work under an API Gateway stage prefix too.
 */
(() => {
  "use strict";

  const root = document.body.dataset.root;
  const version = document.body.dataset.version;
  let S = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const redraws = []; // what to draw again after a language switch
  const spoken = new Map(); // nodes showing a translated message: node -> [key, vars]

  // ---------------------------------------------------------------- text

  function t(key, vars) {
    let text = S[key] === undefined ? key : S[key];
    for (const [name, value] of Object.entries(vars || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  /* Show a translated message in `node` (or clear it with a null key); it follows language switches. */
  function say(node, key, vars) {
    if (key) spoken.set(node, [key, vars]);
    else spoken.delete(node);
    node.textContent = key ? t(key, vars) : "";
    if (node.classList.contains("error") || node.classList.contains("alert")) node.hidden = !key;
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
    return node;
  }

  const ZONES = { "+07:00": "WIB", "+08:00": "WITA", "+09:00": "WIT" };

  /* A time as the API wrote it (the deployment's zone, e.g. WIB), whatever zone the phone is set to. */
  function when(iso, withTime = true) {
    if (!iso) return "—";
    const offset = (/([+-]\d\d:\d\d|Z)$/.exec(iso) || ["", "Z"])[1];
    const sign = offset[0] === "-" ? -1 : 1;
    const minutes = offset === "Z" ? 0 : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)));
    const wall = new Date(Date.parse(iso) + minutes * 60000);
    const date = { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" };
    if (!withTime) return wall.toLocaleDateString(S._locale, date);
    const zone = ZONES[offset] || (offset === "Z" ? "UTC" : `UTC${offset}`);
    return `${wall.toLocaleString(S._locale, { ...date, hour: "2-digit", minute: "2-digit" })} ${zone}`;
  }

  function langQuery() {
    return S._lang === "id" ? "" : `?lang=${S._lang}`;
  }

  function translatePage() {
    document.documentElement.lang = S._lang;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
    for (const [node, [key, vars]] of spoken) node.textContent = t(key, vars);
    const link = $("lang");
    const url = new URL(location.href);
    url.searchParams.set("lang", S._other);
    link.href = url.search;
    link.hreflang = S._other;
    link.lang = S._other;
    for (const notice of document.querySelectorAll("a.privacy")) notice.href = `${root}privasi?lang=${S._lang}`;
  }

  /* Switch language in place: what was typed, and an unlocked report, stay on the page. */
  $("lang").addEventListener("click", async (event) => {
    event.preventDefault();
    const target = $("lang").href;
    try {
      const response = await fetch(`${root}assets/strings/${S._other}?v=${version}`);
      if (!response.ok) throw new Error(String(response.status));
      S = await response.json();
    } catch {
      location.href = target;
      return;
    }
    const url = new URL(location.href);
    if (S._lang === "id") url.searchParams.delete("lang");
    else url.searchParams.set("lang", S._lang);
    history.replaceState(null, "", url);
    translatePage();
    for (const redraw of redraws) redraw();
  });

  // ---------------------------------------------------------------- API

  /* One API call: {status, data, retryAfter}; status 0 when the network failed. */
  async function call(method, path, body, headers) {
    const init = { method, headers: { Accept: "application/json", ...headers }, cache: "no-store" };
    if (body !== undefined) {
      init.body = body;
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(root + path, init);
    } catch {
      return { status: 0, data: null, retryAfter: 0 };
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { status: response.status, data, retryAfter: Number(response.headers.get("Retry-After")) || 0 };
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function failureKey(status) {
    if (status === 0) return "err.offline";
    if (status === 409) return "err.conflict";
    if (status === 429) return "err.busy";
    return "err.server";
  }

  /* API validation messages (English) in the reader's language, for the common cases. */
  function localize(msg) {
    let match;
    if ((match = /at least (\d+) char/i.exec(msg))) return t("err.min", { n: match[1] });
    if ((match = /at most (\d+) char/i.exec(msg))) return t("err.max", { n: match[1] });
    if (/^field required/i.test(msg)) return t("err.required");
    if (/email or phone/i.test(msg)) return t("err.contact");
    if (/\blat\b|an address/i.test(msg)) return t("err.location");
    if (/pattern|valid/i.test(msg)) return t("err.format");
    return msg;
  }

  async function copy(text, status) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = h("textarea", { readonly: true, class: "offscreen" }, text);
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    say(status, "copied");
  }

  /* A phone number as the API wants it (E.164): 0812... and 62812... become +62812... */
  function normalizePhone(value) {
    const compact = value.replace(/[\s().-]/g, "");
    if (/^0\d/.test(compact)) return `+62${compact.slice(1)}`;
    if (/^62\d/.test(compact)) return `+${compact}`;
    return compact;
  }

  /* A reporter's contact from a name, email and phone field (the empty ones left out). */
  function contactFrom(name, email, phone) {
    const contact = { name: name.value };
    if (email.value.trim()) contact.email = email.value.trim();
    if (normalizePhone(phone.value)) contact.phone = normalizePhone(phone.value);
    return contact;
  }

  // ---------------------------------------------------------------- the report form

  function formPage() {
    const form = $("report");
    const params = new URLSearchParams(location.search);
    const channel = params.get("channel") === "qr" ? "qr" : "web";
    let agencies = [];
    let categories = [];
    let coords = null;
    let problems = [];
    let receipt = null;
    let sending = false;
    // One Idempotency-Key per body sent: a retry of the same report never creates a second one.
    let lastBody = null;
    let idempotencyKey = null;

    // A random version-4 UUID (the API refuses guessable keys); randomUUID needs a secure context, this does not.
    const newKey = () => {
      const b = crypto.getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };

    const byName = (a, b) => a.name.localeCompare(b.name, S._locale);

    async function loadDirectory() {
      const [agencyList, categoryList] = await Promise.all([call("GET", "agencies"), call("GET", "categories")]);
      if (agencyList.status !== 200 || categoryList.status !== 200) {
        say($("form-notice"), "err.directory");
        return;
      }
      agencies = agencyList.data.slice().sort(byName);
      categories = categoryList.data.slice().sort(byName);
      $("category").append(...categories.map((c) => h("option", { value: c.code }, c.name)));
      $("agency").append(...agencies.map((a) => h("option", { value: a.id }, a.name)));
      const wanted = agencies.find((a) => a.id === params.get("agency"));
      if (wanted) {
        $("agency").value = wanted.id;
        say($("qr-agency"), "form.qr_agency", { name: wanted.name });
        $("qr-agency").hidden = false;
      }
      showTarget();
    }

    /* With the agency left automatic, say where the category sends the report. */
    function showTarget() {
      const category = categories.find((c) => c.code === $("category").value);
      const agency = category && !$("agency").value && agencies.find((a) => a.id === category.default_agency_id);
      say($("agency-target"), agency ? "agency.auto_target" : null, agency ? { name: agency.name } : undefined);
    }

    function showCount() {
      const n = $("description").value.trim().length;
      say($("description-count"), n < 20 ? "description.count_short" : "description.count", { n });
    }

    function showReporter() {
      $("reporter").hidden = $("anonymous").checked;
    }

    /* Area only: 3 decimals (~110 m), as the public sees it. */
    function point() {
      const area = (x) => Math.round(x * 1e3) / 1e3;
      return coords && $("area-only").checked ? { lat: area(coords.lat), lon: area(coords.lon) } : coords;
    }

    function showLocation() {
      const p = point();
      const n = $("area-only").checked ? 3 : 5;
      $("unlocate").hidden = !p;
      if (p) say($("location-status"), "location.found", { lat: p.lat.toFixed(n), lon: p.lon.toFixed(n) });
      else say($("location-status"), null);
    }

    function payload() {
      const anonymous = $("anonymous").checked;
      const body = {
        kind: form.elements.kind.value,
        title: $("title").value,
        description: $("description").value,
        anonymous,
        confidential: $("confidential").checked,
        channel,
      };
      if ($("category").value) body.category = $("category").value;
      if ($("agency").value) body.agency_id = $("agency").value;
      const address = $("address").value.trim();
      if (coords || address) body.location = { ...point(), ...(address ? { address } : {}) };
      if (!anonymous) body.reporter = contactFrom($("name"), $("email"), $("phone"));
      return body;
    }

    /* Field errors next to their fields (by the API's `loc`), and a summary that links to them. */
    function showErrors(focus) {
      for (const node of form.querySelectorAll("p.error")) node.remove();
      for (const node of form.querySelectorAll("[aria-invalid]")) {
        node.removeAttribute("aria-invalid");
        if (node.dataset.describedby !== undefined) node.setAttribute("aria-describedby", node.dataset.describedby);
      }
      const summary = $("form-errors");
      const list = summary.querySelector("ul");
      list.replaceChildren();
      summary.hidden = problems.length === 0;
      const messages = new Map();
      for (const problem of problems) {
        const path = (problem.loc || []).slice(1).map(String);
        let container = null;
        for (let n = path.length; n > 0 && !container; n--) {
          container = form.querySelector(`[data-loc="${CSS.escape(path.slice(0, n).join("."))}"]`);
        }
        const text = localize(problem.msg || "");
        const control = container && container.querySelector("input, select, textarea");
        if (!container || !control) {
          list.append(h("li", {}, text));
          continue;
        }
        if (!messages.has(container)) messages.set(container, []);
        messages.get(container).push(text);
        const label = container.querySelector("legend, label").textContent.trim();
        const link = h("a", { href: `#${control.id}` }, `${label}: ${text}`);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          control.focus();
        });
        list.append(h("li", {}, link));
      }
      for (const [container, texts] of messages) {
        const id = `error-${container.dataset.loc.replace(/\W/g, "-")}`;
        const control = container.querySelector("input, select, textarea");
        const holder = Array.from(container.children).find((child) => child === control || child.contains(control));
        container.insertBefore(h("p", { class: "error", id }, texts.join(" ")), holder);
        if (control.dataset.describedby === undefined) control.dataset.describedby = control.getAttribute("aria-describedby") || "";
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", `${id} ${control.dataset.describedby}`.trim());
      }
      if (focus && problems.length) summary.focus();
    }

    // ---------------------------------------------------------------- photos

    // Chosen before sending, uploaded straight to storage after the receipt (the access code opens the slots).
    const MAX_PHOTOS = 3;
    const MAX_SIDE = 2560;
    const TYPES = ["image/jpeg", "image/png", "image/webp"];
    const chosen = []; // {file, url}
    let uploads = [];

    function showPhotos() {
      $("photo-previews").replaceChildren(
        ...chosen.map((photo, i) => {
          const remove = h("button", { type: "button", class: "secondary" }, t("photos.remove"));
          remove.addEventListener("click", () => {
            URL.revokeObjectURL(photo.url);
            chosen.splice(i, 1);
            showPhotos();
            $("photo-input").focus();
          });
          return h("li", {}, h("img", { src: photo.url, alt: t("photos.preview_alt", { n: i + 1 }) }), remove);
        }),
      );
      $("photo-add").hidden = chosen.length >= MAX_PHOTOS;
      $("photo-input").disabled = chosen.length >= MAX_PHOTOS;
    }

    $("photo-input").addEventListener("change", () => {
      const files = Array.from($("photo-input").files);
      $("photo-input").value = "";
      const room = MAX_PHOTOS - chosen.length;
      say($("photos-error"), files.length > room ? "photos.too_many" : null);
      for (const file of files.slice(0, room)) chosen.push({ file, url: URL.createObjectURL(file) });
      showPhotos();
    });

    /* A JPEG with its long side at most MAX_SIDE: less to send on a weak line. The server strips every
       trace of the sender anyway; a picture this browser cannot decode is sent as it is, for the server to judge. */
    async function downscale(file) {
      try {
        const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
        const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        const canvas = h("canvas", {
          width: Math.max(1, Math.round(bitmap.width * scale)),
          height: Math.max(1, Math.round(bitmap.height * scale)),
        });
        const context = canvas.getContext("2d");
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        bitmap.close();
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
        if (blob) return blob;
      } catch {
        // not decodable here: the original goes
      }
      return file;
    }

    /* POST the file through the slot's presigned form; XMLHttpRequest because fetch reports no upload progress. */
    function postForm(slot, blob, onProgress) {
      return new Promise((resolve) => {
        const data = new FormData();
        for (const [name, value] of Object.entries(slot.upload.fields)) data.append(name, value);
        data.append("file", blob, "photo");
        const request = new XMLHttpRequest();
        request.open("POST", slot.upload.url);
        request.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        });
        request.addEventListener("load", () => resolve(request.status >= 200 && request.status < 300));
        request.addEventListener("error", () => resolve(false));
        request.addEventListener("abort", () => resolve(false));
        request.send(data);
      });
    }

    function uploadRow(item) {
      item.progress = h("progress", { max: 100, value: 0 });
      item.status = h("p", { role: "status" });
      item.retry = h("button", { type: "button", class: "secondary", hidden: true }, t("upload.retry"));
      item.retry.addEventListener("click", () => upload(item));
      return h("li", {}, item.status, item.progress, item.retry);
    }

    async function upload(item) {
      item.retry.hidden = true;
      item.progress.value = 0;
      say(item.status, "upload.sending", { n: item.n });
      if (!item.blob) item.blob = await downscale(item.file);
      // A slot is kept for a retry while it is still good: a new one would take another of the 3 places.
      if (!item.slot || Date.parse(item.slot.expires_at) - Date.now() < 30000) {
        const type = TYPES.includes(item.blob.type) ? item.blob.type : "image/jpeg";
        const result = await call(
          "POST",
          `reports/${encodeURIComponent(receipt.tracking_id)}/attachments`,
          JSON.stringify({ content_type: type }),
          { "X-Access-Code": receipt.access_code },
        );
        item.slot = result.status === 201 ? result.data : null;
      }
      const sent =
        item.slot && (await postForm(item.slot, item.blob, (part) => (item.progress.value = Math.round(part * 100))));
      if (sent) {
        item.progress.value = 100;
        say(item.status, "upload.done", { n: item.n });
      } else {
        say(item.status, "upload.failed", { n: item.n });
        item.retry.hidden = false;
      }
    }

    async function uploadPhotos() {
      uploads = chosen.map((photo, i) => ({ file: photo.file, n: i + 1, slot: null, blob: null }));
      $("receipt-photos").hidden = uploads.length === 0;
      $("uploads").replaceChildren(...uploads.map(uploadRow));
      for (const item of uploads) await upload(item);
    }

    function showReceipt(focus) {
      if (!receipt) return;
      const id = receipt.tracking_id;
      $("compose").hidden = true;
      $("lookup").hidden = true;
      $("receipt").hidden = false;
      $("receipt-id").textContent = id;
      $("receipt-code").textContent = receipt.access_code;
      $("receipt-agency").textContent = receipt.agency.name;
      $("receipt-due").textContent = when(receipt.due_at, false);
      $("receipt-qr").src = `${root}reports/${encodeURIComponent(id)}/qr.svg`;
      $("receipt-qr").alt = t("receipt.qr_alt");
      $("receipt-url").textContent = receipt.tracking_url;
      $("receipt-open").href = `${root}track/${encodeURIComponent(id)}${langQuery()}`;
      $("receipt-new").href = `./${location.search}`;
      if (focus) {
        window.scrollTo(0, 0);
        $("receipt").focus();
      }
    }

    /* POST the report, retrying (same key, same body) while the connection or the service falters. */
    async function send(body) {
      for (let attempt = 0; ; attempt++) {
        const result = await call("POST", "reports", body, { "Idempotency-Key": idempotencyKey });
        const retry = result.status === 0 || result.status === 409 || result.status === 429 || result.status >= 500;
        if (!retry || attempt === 2) return result;
        await sleep(Math.min(result.retryAfter || 2 ** attempt, 8) * 1000);
      }
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (sending) return;
      const body = JSON.stringify(payload());
      if (body !== lastBody) {
        lastBody = body;
        idempotencyKey = newKey();
      }
      sending = true;
      $("submit").disabled = true;
      say($("submit"), "submitting");
      say($("form-notice"), null);
      const result = await send(body);
      sending = false;
      $("submit").disabled = false;
      say($("submit"), "submit");
      if (result.status === 201) {
        receipt = result.data;
        lastBody = null;
        problems = [];
        showReceipt(true);
        uploadPhotos();
        return;
      }
      if (result.status === 422 && result.data && Array.isArray(result.data.errors)) {
        problems = result.data.errors;
        showErrors(true);
        return;
      }
      problems = [];
      showErrors(false);
      say($("form-notice"), result.status === 0 ? "err.network" : failureKey(result.status));
      $("form-notice").scrollIntoView();
    });

    $("category").addEventListener("change", showTarget);
    $("agency").addEventListener("change", showTarget);
    $("description").addEventListener("input", showCount);
    $("anonymous").addEventListener("change", showReporter);

    if (navigator.geolocation && window.isSecureContext) $("locate").hidden = $("area").hidden = false;
    $("area-only").addEventListener("change", showLocation);
    $("locate").addEventListener("click", () => {
      say($("location-status"), "location.locating");
      const round = (x) => Math.round(x * 1e5) / 1e5;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          coords = { lat: round(position.coords.latitude), lon: round(position.coords.longitude) };
          showLocation();
        },
        () => {
          coords = null;
          showLocation();
          say($("location-status"), "location.failed");
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
      );
    });
    $("unlocate").addEventListener("click", () => {
      coords = null;
      showLocation();
      $("locate").focus();
    });

    for (const button of document.querySelectorAll("[data-copy]")) {
      button.addEventListener("click", () => copy($(button.dataset.copy).textContent, $("copy-status")));
    }
    $("print").addEventListener("click", () => window.print());
    $("download").addEventListener("click", () => {
      const lines = [
        t("receipt.heading"),
        "",
        `${t("receipt.id")}: ${receipt.tracking_id}`,
        `${t("receipt.code")}: ${receipt.access_code}`,
        `${t("receipt.agency")}: ${receipt.agency.name}`,
        `${t("receipt.due")}: ${when(receipt.due_at, false)}`,
        receipt.tracking_url,
        "",
        t("receipt.code_warning"),
      ];
      const url = URL.createObjectURL(new Blob([lines.join("\r\n")], { type: "text/plain;charset=utf-8" }));
      const link = h("a", { href: url, download: t("receipt.file_name", { id: receipt.tracking_id }) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });

    $("lookup-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const id = $("lookup-id").value.trim();
      if (id) location.href = `${root}track/${encodeURIComponent(id)}${langQuery()}`;
    });

    redraws.push(() => {
      showErrors(false);
      showReceipt(false);
    });
    showCount();
    showReporter();
    loadDirectory();
  }

  translatePage();
  // The tracking page's own script (assets/track.js, loaded by that page only) draws it with these helpers.
  window.lapor = { $, t, say, h, when, call, failureKey, localize, spoken, redraws, contactFrom };
  if (document.body.dataset.page === "form") formPage();
})();
