/* lapor /statistik: the figures of GET /stats as bar charts drawn here (inline SVG, no chart library),
 * each followed by a table of the same numbers for screen readers and for copying. */
(() => {
  "use strict";

  const S = JSON.parse(document.getElementById("strings").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const METRICS = ["received", "open", "responded", "closed", "overdue", "escalated", "median_first_response_working_days"];
  const WIDTH = 360;
  const ROW = 44;
  const NAME_ROOM = 17;

  const t = (key, vars) => Object.entries(vars || {}).reduce((text, [k, v]) => text.split(`{${k}}`).join(String(v)), S[key] ?? key);
  const number = (value) => (value === null || value === undefined ? "—" : value.toLocaleString(S._locale, { maximumFractionDigits: 1 }));

  function el(tag, attrs, ...children) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  const short = (name) => (name.length > 46 ? `${name.slice(0, 44)}…` : name);

  function chart(metric, agencies, index) {
    const values = agencies.map((a) => a[metric]);
    const top = Math.max(1, ...values.filter((v) => v !== null));
    const titleId = `chart-${index}-title`;
    const svg = el("svg:svg", {
      viewBox: `0 0 ${WIDTH} ${agencies.length * ROW + 4}`,
      // Drawn at its own size and only ever shrunk: stretched to a wide screen, the labels would grow too.
      width: WIDTH,
      role: "img",
      "aria-labelledby": titleId,
      class: "chart",
    });
    svg.append(el("svg:title", { id: titleId }, t(`stats.metric.${metric}`)));
    agencies.forEach((agency, row) => {
      const y = row * ROW;
      const value = agency[metric];
      const bar = value === null ? 0 : Math.max(value > 0 ? 2 : 0, Math.round(((WIDTH - 60) * value) / top));
      svg.append(
        el("svg:text", { x: 0, y: y + 13, "font-size": 13, fill: "#1b1b1b" }, short(agency.name)),
        el("svg:rect", { x: 0, y: y + NAME_ROOM + 2, width: bar, height: 18, fill: metric === "overdue" ? "#a4161a" : "#1d5fa8" }),
        el("svg:text", { x: bar + 6, y: y + NAME_ROOM + 16, "font-size": 13, "font-weight": 700, fill: "#1b1b1b" }, number(value)),
      );
    });
    const table = el(
      "table",
      {},
      el("caption", {}, t(`stats.metric.${metric}`)),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("stats.agency")), el("th", { scope: "col" }, t("stats.value")))),
      el("tbody", {}, ...agencies.map((a) => el("tr", {}, el("th", { scope: "row" }, a.name), el("td", {}, number(a[metric]))))),
    );
    return el(
      "section",
      { "aria-labelledby": `metric-${index}` },
      el("h2", { id: `metric-${index}` }, t(`stats.metric.${metric}`)),
      el("p", { class: "hint" }, t(`stats.explain.${metric}`)),
      svg,
      table,
    );
  }

  async function start() {
    const status = document.getElementById("stats-status");
    let data;
    try {
      const response = await fetch("stats", { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch {
      status.textContent = t("stats.failed");
      return;
    }
    const agencies = data.agencies.filter((a) => a.received > 0 || a.open > 0).sort((a, b) => b.received - a.received);
    if (!agencies.length) {
      status.textContent = t("stats.none");
      return;
    }
    status.textContent = t("stats.count", { count: agencies.length });
    document.getElementById("charts").append(...METRICS.map((metric, index) => chart(metric, agencies, index)));
  }

  start();
})();
