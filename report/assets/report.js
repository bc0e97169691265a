// The report's interactions: a finding (property, trace) shows its details and draws its
// path on the state diagram; step rows draw their own edge; source links mark the line;
// tables with class "sortable" sort by a clicked column. No network, no library.
(function () {
  "use strict";
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function highlight(edges) {
    $$(".diagram .on").forEach(e => e.classList.remove("on"));
    edges.forEach(i => {
      const edge = document.getElementById("edge-" + i);
      if (!edge) return;
      edge.classList.add("on");
      const title = edge.querySelector("title").textContent;
      const m = title.match(/\((\S+) → (\S+),/);
      if (m) [m[1], m[2]].forEach(s => { const st = document.getElementById("state-" + s); if (st) st.classList.add("on"); });
    });
  }

  function edgesOf(el) {
    return (el.dataset.edges || el.dataset.edge || "").split(/\s+/).filter(Boolean);
  }

  function select(row) {
    $$("tr.finding.selected").forEach(r => r.classList.remove("selected"));
    row.classList.add("selected");
    $$(".detail").forEach(d => { d.hidden = true; });
    const detail = document.getElementById(row.dataset.target);
    if (detail) detail.hidden = false;
    highlight(edgesOf(row));
  }

  function markLine(id) {
    $$("tr.src-line.marked").forEach(r => r.classList.remove("marked"));
    const line = document.getElementById(id);
    if (line) { line.classList.add("marked"); line.scrollIntoView({ block: "center" }); }
  }

  document.addEventListener("click", ev => {
    const link = ev.target.closest("a.src-link");
    if (link) { ev.preventDefault(); ev.stopPropagation(); markLine(link.getAttribute("href").slice(1)); return; }
    const th = ev.target.closest("table.sortable th");
    if (th) { sortBy(th); return; }
    const finding = ev.target.closest("tr.finding");
    if (finding) { select(finding); return; }
    const step = ev.target.closest(".detail tr[data-edge], .detail tr[data-edges], .violation[data-edges]");
    if (step) highlight(edgesOf(step));
    const edge = ev.target.closest(".diagram .edge, .diagram .state");
    if (edge) markLine("src-L" + edge.dataset.line);
  });

  function sortBy(th) {
    const table = th.closest("table");
    const column = Array.from(th.parentNode.children).indexOf(th);
    const up = !th.classList.contains("asc");
    $$("th", table).forEach(h => h.classList.remove("asc", "desc"));
    th.classList.add(up ? "asc" : "desc");
    const key = row => {
      const cell = row.children[column];
      const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
      const n = Number(raw);
      return raw !== "" && !Number.isNaN(n) ? n : raw.toLowerCase();
    };
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(r => body.appendChild(r));
  }

  // open the first failing finding, so the page shows a path at once
  const first = $$("tr.finding").find(r => edgesOf(r).length && r.querySelector(".badge.violated, .badge.fail"));
  if (first) select(first);
})();
