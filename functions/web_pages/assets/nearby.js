/* "Sudah dilaporkan?" (issue 27): once the form has a point and a category (lapor.js writes them into the
 * form's data-at), the open public reports of that category within 250 m, nearest first. "Dukung laporan ini"
 * supports one and opens its tracking page; "Bukan, lanjutkan" goes on with the form. Fetched by lapor.js only
 * when the step can happen, so the form's own weight stays as it was; any failure skips the step silently.
 */
(() => {
  "use strict";

  const { t, h, call, root, langQuery, failureKey, redraws } = window.lapor;
  const form = document.getElementById("report");
  const step = h("section", { id: "nearby", class: "box", tabindex: "-1", "aria-labelledby": "nearby-heading", hidden: true });
  form.querySelector('[data-loc="location"]').after(step);
  let asked = "";
  let dismissed = "";
  let found = [];

  function item(report) {
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const button = h("button", { type: "button", class: "primary" }, t("nearby.support"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      const { status } = await call("POST", `reports/${encodeURIComponent(report.tracking_id)}/support`);
      if (status === 200) {
        location.href = `${root}track/${encodeURIComponent(report.tracking_id)}${langQuery()}`;
        return;
      }
      button.disabled = false;
      error.textContent = t(failureKey(status));
      error.hidden = false;
    });
    const facts = { distance: report.distance_m, status: t(`status.${report.status}`), supporters: report.support_count };
    return h(
      "li",
      {},
      h("h3", {}, report.title || report.tracking_id),
      h("p", { class: "hint" }, h("span", { class: "mono" }, report.tracking_id), " · ", t("nearby.facts", facts)),
      error,
      button,
    );
  }

  function draw() {
    const no = h("button", { type: "button", class: "secondary", id: "nearby-no" }, t("nearby.no"));
    no.addEventListener("click", () => {
      dismissed = asked;
      step.hidden = true;
      document.getElementById("anonymous").focus();
    });
    step.replaceChildren(
      h("h2", { id: "nearby-heading" }, t("nearby.heading")),
      h("p", {}, t("nearby.intro")),
      h("ul", { class: "nearby" }, found.map(item)),
      no,
    );
  }

  async function look() {
    const at = form.dataset.at || "";
    if (at === asked) return;
    asked = at;
    step.hidden = true;
    if (!at || at === dismissed) return;
    const [lat, lon, category] = at.split(",");
    const { status, data } = await call("GET", `reports/nearby?${new URLSearchParams({ lat, lon, category })}`);
    if (at !== asked || status !== 200 || !Array.isArray(data) || !data.length) return;
    found = data;
    draw();
    step.hidden = false;
  }

  redraws.push(() => found.length && draw());
  new MutationObserver(look).observe(form, { attributes: true, attributeFilter: ["data-at"] });
  look();
})();
