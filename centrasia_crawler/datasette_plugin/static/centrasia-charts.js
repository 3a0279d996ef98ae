/* centrasia-crawler: the charts of the Datasette plugin's pages, drawn in the reader's
   browser with Observable Plot (vendor/plot.umd.min.js, on vendor/d3.min.js) from the
   numbers the page carries (pages.plot_context; charts.trend_plot, coverage_plot and
   sources_plot say what each kind holds). The server draws the same numbers with
   matplotlib for `centrasia trend --plot` and for a browser without scripts (.svg). */
(function () {
  "use strict";

  const WIDTH = 900;
  const DAY = 864e5;
  const day = (iso) => new Date(iso + "T00:00:00Z");
  const missing = (value) => (value === null ? NaN : value);

  /* One line per query (or entity), a point per period; a period without archived
     articles is a gap in the line, not a zero; incomplete periods shaded grey. */
  function trend(spec) {
    const points = spec.points.map((p) => ({ line: p.line, x: day(p.x), y: missing(p.y) }));
    const spans = spec.incomplete.map((s) => ({ x1: day(s.x1), x2: day(s.x2) }));
    const highest = Math.max(0, ...points.filter((p) => !isNaN(p.y)).map((p) => p.y));
    return Plot.plot({
      width: WIDTH,
      height: 420,
      title: spec.title,
      x: { type: "utc", label: null },
      y: { label: spec.y_label, domain: [0, highest > 0 ? highest * 1.05 : 1], grid: true },
      color: { legend: true, domain: spec.lines },
      marks: [
        Plot.rect(spans, { x1: "x1", x2: "x2", fill: "#999999", fillOpacity: 0.25 }),
        Plot.lineY(points, {
          x: "x",
          y: "y",
          stroke: "line",
          marker: spec.marks ? "circle" : null,
          tip: true,
        }),
        Plot.ruleY([0]),
      ],
    });
  }

  /* The articles archived per day (bars), the headlines listed (a line, missing on the
     days whose listing was never read), the gaps shaded red. */
  function coverage(spec) {
    const days = spec.days.map((d) => ({
      x: day(d.x),
      archived: d.archived,
      listed: missing(d.listed),
    }));
    const gaps = spec.gaps.map((g) => ({ x1: day(g.x1), x2: new Date(day(g.x2).getTime() + DAY) }));
    const names = ["archived", "listed on the site", "gap"];
    return Plot.plot({
      width: WIDTH,
      height: 420,
      title: spec.title,
      x: { type: "utc", label: null },
      y: { label: spec.y_label, grid: true },
      color: { legend: true, domain: names, range: [spec.color, "#222222", "#d9534f"] },
      marks: [
        Plot.rect(gaps, { x1: "x1", x2: "x2", fill: () => "gap", fillOpacity: 0.25 }),
        Plot.rectY(days, { x: "x", interval: "day", y: "archived", fill: () => "archived" }),
        Plot.lineY(days, { x: "x", y: "listed", stroke: () => "listed on the site" }),
        Plot.ruleY([0]),
        Plot.tip(days, Plot.pointerX({ x: "x", y: "archived", title: tipOfDay })),
      ],
    });
  }

  function tipOfDay(d) {
    const listed = isNaN(d.listed) ? "not read" : d.listed;
    return `${d.x.toISOString().slice(0, 10)}\narchived ${d.archived}\nlisted ${listed}`;
  }

  /* A bar per source, the most articles on top. */
  function bars(spec) {
    return Plot.plot({
      width: WIDTH,
      height: 70 + 22 * Math.max(spec.bars.length, 1),
      marginLeft: 240,
      title: spec.title,
      x: { label: spec.x_label, grid: true },
      y: { label: null },
      marks: [
        Plot.barX(spec.bars, { x: "n", y: "name", fill: spec.color, sort: { y: "-x" }, tip: true }),
        Plot.ruleX([0]),
      ],
    });
  }

  const KINDS = { trend: trend, coverage: coverage, bars: bars };

  function drawAll() {
    for (const figure of document.querySelectorAll("figure.centrasia-plot")) {
      const data = figure.querySelector("script.centrasia-plot-data");
      try {
        const spec = JSON.parse(data.textContent);
        figure.append(KINDS[spec.kind](spec));
      } catch (error) {
        const problem = document.createElement("p");
        problem.className = "message-error";
        problem.textContent = `The chart could not be drawn here (${error.message}); its numbers are below.`;
        figure.append(problem);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
