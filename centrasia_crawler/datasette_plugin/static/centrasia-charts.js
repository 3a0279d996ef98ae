/* centrasia-crawler: the charts of the Datasette plugin's pages, drawn in the reader's
   browser with Observable Plot (vendor/plot.umd.min.js, on vendor/d3.min.js) from the
   numbers the page carries (pages.plot_context; plots.py says what each kind holds).
   The server draws the same numbers with matplotlib for `centrasia trend --plot` and
   for a browser without scripts (.svg). */
(function () {
  "use strict";

  const WIDTH = 900;
  const DAY = 864e5;
  /* A tick a period when the chart has this many or fewer (d3's intervals by name). */
  const FEW = 16;
  const EVERY = { day: "day", week: "monday", month: "month", year: "year" };
  const day = (iso) => new Date(iso + "T00:00:00Z");
  const missing = (value) => (value === null ? NaN : value);
  const middle = (start, end) => new Date((start.getTime() + end.getTime()) / 2);

  /* A time axis from first to last (none: the marks' extent), a tick a period (an
     interval of d3's, by name) when the chart has FEW periods or fewer. */
  const timeAxis = (first, last, periods, interval) => ({
    type: "utc",
    label: null,
    domain: first && [first, last],
    ticks: periods <= FEW ? interval : undefined,
  });

  /* Whole numbers on a count's axis: under 10, a tick at each (Plot picks above). */
  function countTicks(top) {
    if (top >= 10) return undefined;
    const ticks = [];
    for (let n = 0; n <= Math.max(1, Math.ceil(top)); n += 1) ticks.push(n);
    return ticks;
  }

  /* One line per query (or entity), a point per period, drawn in the middle of it; a
     period without archived articles is a gap in the line, not a zero; incomplete
     periods shaded grey. */
  function trend(spec) {
    const points = spec.points.map((p) => ({
      line: p.line,
      x: middle(day(p.x), day(p.end)),
      y: missing(p.y),
    }));
    const spans = spec.incomplete.map((s) => ({ x1: day(s.x1), x2: day(s.x2) }));
    const highest = Math.max(0, ...points.filter((p) => !isNaN(p.y)).map((p) => p.y));
    const top = highest > 0 ? highest * 1.05 : 1;
    const periods = new Set(spec.points.map((p) => p.x));
    const first = spec.points.length ? day(spec.points[0].x) : undefined;
    const last = spec.points.length ? day(spec.points[spec.points.length - 1].end) : undefined;
    return Plot.plot({
      width: WIDTH,
      height: 420,
      title: spec.title,
      x: timeAxis(first, last, periods.size, EVERY[spec.by]),
      y: {
        label: spec.y_label,
        domain: [0, top],
        grid: true,
        ticks: spec.share ? undefined : countTicks(top),
        tickFormat: spec.share ? undefined : ",d",
      },
      color: { legend: true, domain: spec.lines },
      marks: [
        Plot.rect(spans, { x1: "x1", x2: "x2", fill: "#999999", fillOpacity: 0.25 }),
        Plot.lineY(points, {
          x: "x",
          y: "y",
          z: "line",
          stroke: "line",
          marker: spec.marks ? "circle" : null,
          tip: true,
        }),
        Plot.ruleY([0]),
      ],
    });
  }

  /* The articles archived per day (bars), the headlines listed (a line through the
     middle of each day, missing on the days whose listing was never read), the gaps
     shaded red. */
  function coverage(spec) {
    const days = spec.days.map((d) => ({
      x: day(d.x),
      noon: new Date(day(d.x).getTime() + DAY / 2),
      archived: d.archived,
      listed: missing(d.listed),
    }));
    const gaps = spec.gaps.map((g) => ({ x1: day(g.x1), x2: new Date(day(g.x2).getTime() + DAY) }));
    const names = ["archived", "listed on the site", "gap"];
    const highest = Math.max(0, ...days.map((d) => Math.max(d.archived, d.listed || 0)));
    const first = days.length ? days[0].x : undefined;
    const last = days.length ? new Date(days[days.length - 1].x.getTime() + DAY) : undefined;
    return Plot.plot({
      width: WIDTH,
      height: 420,
      title: spec.title,
      x: timeAxis(first, last, days.length, "day"),
      y: {
        label: spec.y_label,
        grid: true,
        nice: true,
        ticks: countTicks(highest),
        tickFormat: ",d",
      },
      color: { legend: true, domain: names, range: [spec.color, "#222222", "#d9534f"] },
      marks: [
        Plot.rect(gaps, { x1: "x1", x2: "x2", fill: () => "gap", fillOpacity: 0.25 }),
        Plot.rectY(days, { x: "x", interval: "day", y: "archived", fill: () => "archived" }),
        Plot.lineY(days, {
          x: "noon",
          y: "listed",
          stroke: () => "listed on the site",
          marker: days.length <= 60 ? "circle" : null,
        }),
        Plot.ruleY([0]),
        Plot.tip(days, Plot.pointerX({ x: "noon", y: "archived", title: tipOfDay })),
      ],
    });
  }

  function tipOfDay(d) {
    const listed = isNaN(d.listed) ? "not read" : d.listed;
    return `${d.x.toISOString().slice(0, 10)}\narchived ${d.archived}\nlisted ${listed}`;
  }

  /* A bar per source, the most articles on top; a name longer than LONGEST is
     shortened on the axis (whole in the numbers under the chart). */
  const LONGEST = 48;
  const shortened = (name) => (name.length > LONGEST ? name.slice(0, LONGEST - 1) + "…" : name);

  function bars(spec) {
    const longest = Math.max(1, ...spec.bars.map((b) => shortened(b.name).length));
    const highest = Math.max(0, ...spec.bars.map((b) => b.n));
    return Plot.plot({
      width: WIDTH,
      height: 70 + 22 * Math.max(spec.bars.length, 1),
      marginLeft: Math.min(360, 20 + 6.2 * longest),
      title: spec.title,
      x: { label: spec.x_label, grid: true, ticks: countTicks(highest), tickFormat: ",d" },
      y: { label: null, tickFormat: shortened },
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
