/* The explorer's views, drawn from the JSON block #explorer-data with the inlined plotly.js.
 *
 * Corpus text (titles, sentences, outlet names, topic words) reaches the document only through textContent
 * (see `h`), and plotly's hover labels only with <, > and & as entities (see `plotText`); links are made only
 * of http(s) addresses (see `link`). Nothing is fetched: the page works from disk.
 */
(function () {
  "use strict";

  window.explorerReady = false;
  window.explorerErrors = [];
  const timings = window.explorerTimings = { script_start: performance.now() };
  function reportError(message) {
    window.explorerErrors.push(String(message));
    const box = document.getElementById("errors");
    if (box) {
      box.hidden = false;
      box.textContent = "The explorer hit an error: " + window.explorerErrors.join("; ");
    }
  }
  window.addEventListener("error", function (event) { reportError(event.message || "script error"); });
  window.addEventListener("unhandledrejection", function (event) { reportError(event.reason); });

  const D = JSON.parse(document.getElementById("explorer-data").textContent);
  timings.data_parsed = performance.now();
  const A = D.articles, T = D.topics, E = D.events, M = D.meta;
  const N = A.title.length, W = D.weeks.length, K = T.id.length;
  const OUTLIER = T.id.indexOf(-1);
  const GL = (function () {
    try {
      const canvas = document.createElement("canvas");
      return Boolean(canvas.getContext("webgl") || canvas.getContext("experimental-webgl"));
    } catch (error) {
      return false;
    }
  })();
  const CONFIG = { displaylogo: false, responsive: true, scrollZoom: true };
  const FADED = "#e3e3e3";
  const PER_OUTLET = 2;  // sentences shown per outlet before "show all"
  const REACH_COLOURS = { both: "#6a3d9a", neither: "#8c8c8c", all: "#2166ac" };
  const GROUP_COLOURS = ["#d6604d", "#2166ac", "#1b9e77", "#e6ab02"];

  // --- helpers ------------------------------------------------------------------------------------------------

  /* An element with attributes and children; strings become text nodes, never markup. */
  function h(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(function ([name, value]) {
      if (value === null || value === undefined || value === false) return;
      if (name === "onclick") node.addEventListener("click", value);
      else if (name === "style") node.setAttribute("style", value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function safeUrl(url) { return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null; }
  function link(text, url) {
    const target = safeUrl(url);
    return target ? h("a", { href: target, target: "_blank", rel: "noopener noreferrer" }, [text]) : h("span", {}, [text]);
  }
  /* Text for plotly labels: plotly reads a few tags in label text, so <, > and & go in as entities. */
  function plotText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function shorten(text, limit) {
    text = String(text).replace(/\s+/g, " ").trim();
    if (text.length <= limit) return text;
    const cut = text.slice(0, limit - 1);
    const space = cut.lastIndexOf(" ");
    return (space > limit / 2 ? cut.slice(0, space) : cut) + "\u2026";
  }
  function number(value) { return Number(value).toLocaleString("en-GB"); }
  function count(value, noun) { return number(value) + " " + noun + (Number(value) === 1 ? "" : "s"); }
  function percent(value) { return (100 * value).toFixed(1) + "%"; }
  function outletName(index) { return index >= 0 ? D.outlets[index] : "(unknown outlet)"; }
  function groupOfOutlet(index) { return index >= 0 ? D.outlet_group[index] : -1; }
  function topicName(k) {
    if (k < 0) return "no topic";
    return T.id[k] === -1 ? "outliers (no topic fits)" : T.id[k] + ": " + T.label[k];
  }
  function articleLine(i) {
    return h("span", {}, [link(A.title[i], A.url[i]),
      h("span", { class: "meta" }, [" \u2014 " + outletName(A.outlet[i]) + (A.date[i] ? ", " + A.date[i] : "")])]);
  }
  function scrollTo(id) {
    const node = document.getElementById(id);
    if (node) node.scrollIntoView({ block: "start" });
  }

  // --- summary --------------------------------------------------------------------------------------------------

  function summary() {
    const period = M.period ? M.period[0] + " to " + M.period[1] : "undated";
    const topics = T.id.filter(function (id) { return id !== -1; }).length;
    const named = D.outlets.filter(function (name) { return name && name !== "(unknown)"; }).length;
    document.getElementById("summary").textContent =
      count(M.articles, "article") + " from " + (named ? count(named, "outlet") : "no named outlet") + ", " +
      period + "; " + count(topics, "topic") + "; " + count(E.id.length, "event") + " reported by at least " +
      count(M.min_event_outlets, "outlet") + ".";
    const sampled = M.map_points < M.placed
      ? "a sample of " + number(M.map_points) + " of the " + number(M.placed) + " articles (within each topic, in proportion to its size)"
      : "all " + number(M.placed) + " articles";
    document.getElementById("map-note").textContent =
      "Each point is an article, placed by " + M.map.method + " of its embedding (seed " + M.map.seed + ", " +
      M.map.neighbors + " neighbours) and coloured by topic; the map shows " + sampled +
      ". Hover for title, outlet and date; click a point or a topic to list the topic's articles; drag to zoom, double-click to reset.";
  }

  // --- topic map ------------------------------------------------------------------------------------------------

  const state = { topic: null, article: null, event: null };
  const mapIndex = [];
  for (let i = 0; i < N; i += 1) if (A.x[i] !== null && A.y[i] !== null) mapIndex.push(i);
  // Outliers first, so the topics are drawn over them.
  mapIndex.sort(function (a, b) { return (A.topic[b] === OUTLIER) - (A.topic[a] === OUTLIER) || a - b; });

  function pointColour(i) {
    const k = A.topic[i];
    return k >= 0 ? T.colour[k] : "#c8c8c8";
  }
  function mapColours() {
    return mapIndex.map(function (i) {
      return state.topic === null || A.topic[i] === state.topic ? pointColour(i) : FADED;
    });
  }
  function topicCentres() {
    const sums = {};
    mapIndex.forEach(function (i) {
      const k = A.topic[i];
      if (k < 0 || k === OUTLIER) return;
      const entry = sums[k] || (sums[k] = { x: [], y: [] });
      entry.x.push(A.x[i]);
      entry.y.push(A.y[i]);
    });
    function median(values) {
      const sorted = values.slice().sort(function (a, b) { return a - b; });
      return sorted[Math.floor(sorted.length / 2)];
    }
    return Object.keys(sums).map(Number).filter(function (k) { return sums[k].x.length >= 3; })
      .sort(function (a, b) { return T.size[b] - T.size[a]; }).slice(0, 18)
      .map(function (k) { return { k: k, x: median(sums[k].x), y: median(sums[k].y) }; });
  }
  function mapAnnotations() {
    return topicCentres().map(function (centre) {
      const k = centre.k;
      return {
        x: centre.x, y: centre.y, showarrow: false,
        text: plotText(T.id[k] + ": " + T.words[k].slice(0, 2).join(", ")),
        font: { size: state.topic === k ? 13 : 11, color: state.topic === null || state.topic === k ? "#111" : "#999" },
        bgcolor: "rgba(255,255,255,0.72)", borderpad: 2,
      };
    });
  }
  function selectedTrace() {
    const i = state.article;
    const shown = i !== null && A.x[i] !== null;
    return {
      type: GL ? "scattergl" : "scatter", mode: "markers", hoverinfo: "skip", showlegend: false,
      x: shown ? [A.x[i]] : [], y: shown ? [A.y[i]] : [],
      marker: { size: 15, color: "rgba(0,0,0,0)", line: { color: "#000", width: 2 } },
    };
  }
  function drawMap() {
    const hover = mapIndex.map(function (i) {
      return plotText(shorten(A.title[i], 90)) + "<br>" + plotText(outletName(A.outlet[i])) +
        (A.date[i] ? " \u00b7 " + A.date[i] : "") + "<br>topic " + plotText(shorten(topicName(A.topic[i]), 60));
    });
    const points = {
      type: GL ? "scattergl" : "scatter", mode: "markers", showlegend: false,
      x: mapIndex.map(function (i) { return A.x[i]; }), y: mapIndex.map(function (i) { return A.y[i]; }),
      customdata: mapIndex, text: hover, hovertemplate: "%{text}<extra></extra>",
      marker: { size: mapIndex.length > 8000 ? 3.5 : 5, opacity: 0.8, color: mapColours() },
    };
    const layout = {
      margin: { l: 10, r: 10, t: 10, b: 10 }, hovermode: "closest", dragmode: "zoom", plot_bgcolor: "#fff",
      xaxis: { visible: false }, yaxis: { visible: false }, annotations: mapAnnotations(),
      hoverlabel: { align: "left" },
    };
    return Plotly.newPlot("map", [points, selectedTrace()], layout, CONFIG).then(function (plot) {
      plot.on("plotly_click", function (event) {
        const point = event.points && event.points[0];
        if (point && point.curveNumber === 0) selectArticle(point.customdata, false);
      });
      return plot;
    });
  }
  function restyleMap() {
    const plot = document.getElementById("map");
    return Plotly.restyle(plot, { "marker.color": [mapColours()] }, [0]).then(function () {
      const trace = selectedTrace();
      return Plotly.restyle(plot, { x: [trace.x], y: [trace.y] }, [1]);
    }).then(function () {
      return Plotly.relayout(plot, { annotations: mapAnnotations() });
    });
  }

  // --- topic panel ----------------------------------------------------------------------------------------------

  const topicArticles = {};
  function articlesOfTopic(k) {
    if (!topicArticles[k]) {
      const list = [];
      for (let i = 0; i < N; i += 1) if (A.topic[i] === k) list.push(i);
      list.sort(function (a, b) {
        const sa = A.score[a] === null ? -Infinity : A.score[a], sb = A.score[b] === null ? -Infinity : A.score[b];
        return sb - sa || String(A.date[b]).localeCompare(String(A.date[a])) || a - b;
      });
      topicArticles[k] = list;
    }
    return topicArticles[k];
  }
  function renderTopicList(filter) {
    const panel = clear(document.getElementById("topic-panel"));
    const input = h("input", { class: "topic-filter", type: "search", placeholder: "Filter topics by word",
      "aria-label": "Filter topics by word" });
    input.value = filter || "";
    panel.appendChild(h("h3", {}, ["Topics"]));
    panel.appendChild(h("p", { class: "meta" }, ["Largest first; click one for its words and articles."]));
    panel.appendChild(input);
    const list = h("div", { id: "topic-list" });
    panel.appendChild(list);
    function fill() {
      clear(list);
      const needle = input.value.trim().toLowerCase();
      for (let k = 0; k < K; k += 1) {
        const words = T.words[k].join(", ");
        if (needle && (T.label[k] + " " + words).toLowerCase().indexOf(needle) < 0) continue;
        list.appendChild(h("button", { class: "item topic-item", "data-topic": T.id[k], onclick: function () { selectTopic(k); } }, [
          h("span", { class: "swatch", style: "background:" + T.colour[k] }),
          topicName(k), h("span", { class: "count" }, [number(T.size[k])]),
        ]));
      }
    }
    input.addEventListener("input", fill);
    fill();
  }
  function renderTopic(k) {
    const panel = clear(document.getElementById("topic-panel"));
    panel.appendChild(h("button", { class: "back", onclick: function () { selectTopic(null); } }, ["\u2190 all topics"]));
    panel.appendChild(h("h3", { id: "topic-title" }, [
      h("span", { class: "swatch", style: "background:" + T.colour[k] }), topicName(k)]));
    panel.appendChild(h("p", { class: "meta" }, [number(T.size[k]) + " articles" +
      (T.share[k] !== null ? " (" + percent(T.share[k]) + " of the modelled articles)" : "")]));
    if (state.article !== null && A.topic[state.article] === k) {
      panel.appendChild(h("div", { class: "selected-article" }, [h("strong", {}, ["Selected: "]), articleLine(state.article)]));
    }
    panel.appendChild(h("h4", {}, ["Words"]));
    panel.appendChild(h("p", { class: "words", id: "topic-words" }, [T.words[k].join(", ") || "(none)"]));
    const list = articlesOfTopic(k);
    const shown = list.slice(0, M.topic_articles);
    panel.appendChild(h("h4", {}, ["Articles, closest to the topic first (" + number(shown.length) + " of " + number(list.length) + ")"]));
    panel.appendChild(h("ol", { class: "articles", id: "topic-articles" }, shown.map(function (i) {
      return h("li", {}, [articleLine(i)]);
    })));
  }
  function selectTopic(k) {
    state.topic = k;
    if (k === null || (state.article !== null && A.topic[state.article] !== k)) state.article = null;
    if (k === null) renderTopicList(""); else renderTopic(k);
    drawOverTime();
    return restyleMap();
  }
  function selectArticle(i, scroll) {
    state.article = i;
    state.topic = A.topic[i] >= 0 ? A.topic[i] : null;
    if (state.topic === null) {
      const panel = clear(document.getElementById("topic-panel"));
      panel.appendChild(h("button", { class: "back", onclick: function () { selectTopic(null); } }, ["\u2190 all topics"]));
      panel.appendChild(h("div", { class: "selected-article" }, [articleLine(i)]));
      panel.appendChild(h("p", { class: "meta" }, ["This article has no topic (it was not modelled)."]));
    } else {
      renderTopic(state.topic);
    }
    drawOverTime();
    if (scroll) scrollTo("map-section");
    return restyleMap();
  }

  // --- topics over time -----------------------------------------------------------------------------------------

  function fillFilters() {
    const groupSelect = document.getElementById("group-filter");
    groupSelect.appendChild(h("option", { value: "" }, ["all groups"]));
    D.groups.forEach(function (group, g) {
      groupSelect.appendChild(h("option", { value: String(g) }, [D.group_names[g]]));
    });
    const counts = new Array(D.outlets.length).fill(0);
    for (let i = 0; i < N; i += 1) if (A.outlet[i] >= 0) counts[A.outlet[i]] += 1;
    function fillOutlets() {
      const outletSelect = clear(document.getElementById("outlet-filter"));
      outletSelect.appendChild(h("option", { value: "" }, ["all outlets in the group"]));
      const g = groupSelect.value === "" ? null : Number(groupSelect.value);
      D.outlets.map(function (name, o) { return o; })
        .filter(function (o) { return g === null || D.outlet_group[o] === g; })
        .sort(function (a, b) { return counts[b] - counts[a] || D.outlets[a].localeCompare(D.outlets[b]); })
        .forEach(function (o) {
          outletSelect.appendChild(h("option", { value: String(o) }, [D.outlets[o] + " (" + number(counts[o]) + ")"]));
        });
    }
    fillOutlets();
    groupSelect.addEventListener("change", function () { fillOutlets(); drawOverTime(); });
    document.getElementById("outlet-filter").addEventListener("change", drawOverTime);
    document.getElementById("measure").addEventListener("change", drawOverTime);
  }
  function drawOverTime() {
    const groupValue = document.getElementById("group-filter").value;
    const outletValue = document.getElementById("outlet-filter").value;
    const measure = document.getElementById("measure").value;
    const g = groupValue === "" ? null : Number(groupValue), o = outletValue === "" ? null : Number(outletValue);
    const counts = new Float64Array(K * W), totals = new Float64Array(W), sizes = new Float64Array(K);
    for (let i = 0; i < N; i += 1) {
      const week = A.week[i], k = A.topic[i];
      if (week < 0 || k < 0) continue;
      if (o !== null && A.outlet[i] !== o) continue;
      if (g !== null && groupOfOutlet(A.outlet[i]) !== g) continue;
      counts[k * W + week] += 1;
      totals[week] += 1;
      sizes[k] += 1;
    }
    const chosen = [];
    for (let k = 0; k < K; k += 1) if (k !== OUTLIER && sizes[k] > 0) chosen.push(k);
    chosen.sort(function (a, b) { return sizes[b] - sizes[a] || a - b; });
    const shown = chosen.slice(0, 8);
    if (state.topic !== null && state.topic !== OUTLIER && shown.indexOf(state.topic) < 0) shown.push(state.topic);
    const selection = (o !== null ? D.outlets[o] : g !== null ? D.group_names[g] + " outlets" : "all outlets");
    const traces = [{
      type: "bar", x: D.weeks, y: Array.from(totals), name: "articles in the selection", yaxis: "y2",
      marker: { color: "rgba(120,120,120,0.18)" }, hovertemplate: "%{y} articles<extra></extra>",
    }];
    shown.forEach(function (k) {
      const y = [];
      for (let week = 0; week < W; week += 1) {
        const count = counts[k * W + week];
        if (measure === "count") y.push(count);
        else y.push(totals[week] >= M.min_week_articles ? count / totals[week] : null);
      }
      traces.push({
        type: "scatter", mode: "lines", x: D.weeks, y: y, name: plotText(shorten(topicName(k), 38)),
        line: { color: T.colour[k], width: state.topic === k ? 4 : 1.6 }, connectgaps: false,
        hovertemplate: plotText(shorten(topicName(k), 50)) + ": " + (measure === "count" ? "%{y}" : "%{y:.1%}") + "<extra></extra>",
      });
    });
    const total = totals.reduce(function (a, b) { return a + b; }, 0);
    document.getElementById("time-note").textContent =
      "The " + shown.length + " largest topics of " + selection + " (" + number(total) + " articles with a topic)" +
      (state.topic !== null ? ", with the selected topic drawn thick" : "") + "; " +
      (measure === "share" ? "weeks with fewer than " + M.min_week_articles + " articles show no share. " : "") +
      "Grey bars: the selection's articles per week (right axis). Click a legend entry to hide a line.";
    const layout = {
      margin: { l: 60, r: 60, t: 34, b: 30 }, hovermode: "x unified",
      legend: { font: { size: 11 }, orientation: "h", y: -0.12, yanchor: "top" },
      xaxis: { type: "date" },
      yaxis: { title: { text: measure === "share" ? "share of the week's articles" : "articles" },
        tickformat: measure === "share" ? ".0%" : "", rangemode: "tozero" },
      yaxis2: { overlaying: "y", side: "right", showgrid: false, title: { text: "articles" }, rangemode: "tozero" },
    };
    return Plotly.react("over-time", traces, layout, CONFIG);
  }

  // --- event timeline -------------------------------------------------------------------------------------------

  function fillEventFilters() {
    const minimum = document.getElementById("min-outlets");
    const largest = Math.max.apply(null, [M.min_event_outlets].concat(E.n_outlets));
    [1, 2, 3, 4, 5, 7, 10, 15, 20, 30].filter(function (n) { return n >= M.min_event_outlets && n <= largest; })
      .forEach(function (n) { minimum.appendChild(h("option", { value: String(n) }, [String(n)])); });
    if (!minimum.options.length) minimum.appendChild(h("option", { value: String(M.min_event_outlets) }, [String(M.min_event_outlets)]));
    const reach = document.getElementById("reach-filter");
    reach.appendChild(h("option", { value: "" }, ["any"]));
    reachCategories().forEach(function (category) {
      reach.appendChild(h("option", { value: category }, [M.reach_names[category] || category]));
    });
    minimum.addEventListener("change", drawTimeline);
    reach.addEventListener("change", drawTimeline);
  }
  function reachCategories() {
    const order = ["both"].concat(M.compare_groups, ["neither", "all"]);
    return order.filter(function (category) { return E.reach.indexOf(category) >= 0; });
  }
  function eventSize(n) { return 5 + 3.2 * Math.sqrt(n); }
  function jitter(e) { return Math.exp(0.22 * (((e * 7919) % 101) / 100 - 0.5)); }
  function drawTimeline() {
    const minimum = Number(document.getElementById("min-outlets").value || M.min_event_outlets);
    const wanted = document.getElementById("reach-filter").value;
    const traces = [];
    let count = 0;
    reachCategories().forEach(function (category, c) {
      if (wanted && category !== wanted) return;
      const rows = [];
      for (let e = 0; e < E.id.length; e += 1) {
        if (E.reach[e] === category && E.n_outlets[e] >= minimum) rows.push(e);
      }
      count += rows.length;
      const colour = REACH_COLOURS[category] || GROUP_COLOURS[c % GROUP_COLOURS.length];
      traces.push({
        type: "scatter", mode: "markers", name: plotText(M.reach_names[category] || category),
        x: rows.map(function (e) { return E.date[e]; }),
        y: rows.map(function (e) { return E.n_articles[e] * jitter(e); }),
        customdata: rows,
        text: rows.map(function (e) {
          return E.date[e] + " \u00b7 " + E.n_outlets[e] + " outlets, " + E.n_articles[e] + " articles<br>" +
            plotText(shorten(E.sentence[e], 110));
        }),
        hovertemplate: "%{text}<extra></extra>",
        marker: { size: rows.map(function (e) { return eventSize(E.n_outlets[e]); }), color: colour, opacity: 0.72,
          line: { color: "#fff", width: 0.5 } },
      });
    });
    const chosen = state.event;
    traces.push({
      type: "scatter", mode: "markers", hoverinfo: "skip", showlegend: false,
      x: chosen !== null ? [E.date[chosen]] : [], y: chosen !== null ? [E.n_articles[chosen] * jitter(chosen)] : [],
      marker: { size: chosen !== null ? eventSize(E.n_outlets[chosen]) + 8 : 0, color: "rgba(0,0,0,0)",
        line: { color: "#000", width: 2.5 } },
    });
    document.getElementById("events-note").textContent =
      number(count) + " events dated to the day within the corpus period, reported by at least " + minimum +
      " outlets (of " + number(M.events_in_period) + " dated events in the period). Marker size: outlets; height: " +
      "articles mentioning the event (log scale, spread slightly so that events of one day do not hide each other). " +
      "Drag to zoom (or pick a span top right, double-click to reset); click an event for its sources.";
    const layout = {
      margin: { l: 60, r: 20, t: 30, b: 30 }, hovermode: "closest", legend: { orientation: "h", x: 0, y: 1.1, yanchor: "bottom" },
      xaxis: { type: "date", rangeselector: { x: 0.55, xanchor: "left", y: 1.1, yanchor: "bottom", buttons: [
        { count: 1, label: "1 month", step: "month", stepmode: "backward" },
        { count: 3, label: "3 months", step: "month", stepmode: "backward" },
        { step: "all", label: "all" }] } },
      yaxis: { type: "log", title: { text: "articles mentioning it" }, tickvals: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
        ticktext: ["1", "2", "5", "10", "20", "50", "100", "200", "500", "1,000", "2,000", "5,000"] },
      hoverlabel: { align: "left" },
    };
    return Plotly.react("timeline", traces, layout, CONFIG);
  }
  function selectEvent(e, scroll) {
    state.event = e;
    renderEvent(e);
    if (scroll) scrollTo("events-section");
    return drawTimeline();
  }
  function renderEvent(e) {
    const panel = clear(document.getElementById("event-panel"));
    panel.appendChild(h("h3", { id: "event-title" }, [E.date[e] + " \u2014 reported by " + E.n_outlets[e] +
      " outlets in " + E.n_articles[e] + " articles"]));
    panel.appendChild(h("p", { class: "representative", id: "event-sentence" }, [E.sentence[e]]));
    const mentions = E.mentions[e];
    const firstSeen = {};
    mentions.forEach(function (mention) {
      const outlet = mention[1], day = mention[2];
      if (day && (!(outlet in firstSeen) || day < firstSeen[outlet])) firstSeen[outlet] = day;
    });
    panel.appendChild(h("h4", {}, ["Outlets, in order of first report"]));
    panel.appendChild(h("ol", { class: "outlets", id: "event-outlets" }, E.outlets[e].map(function (o, position) {
      const lag = E.lags[e][position];
      const group = groupOfOutlet(o);
      return h("li", {}, [
        outletName(o), h("span", { class: "meta" }, [group >= 0 ? " (" + D.group_names[group] + ")" : ""]),
        h("span", { class: "meta" }, [firstSeen[o] ? " \u2014 " + firstSeen[o] : ""]),
        h("span", { class: "lag" }, [lag === null || lag === undefined ? "" : position === 0 ? " (first to report)"
          : " (+" + lag + (lag === 1 ? " day)" : " days)")]),
      ]);
    })));
    // First the earliest sentences of each outlet, in order of first report; all of them on request.
    const byOutlet = {};
    mentions.forEach(function (mention) { (byOutlet[mention[1]] = byOutlet[mention[1]] || []).push(mention); });
    const first = [];
    E.outlets[e].forEach(function (o) { (byOutlet[o] || []).slice(0, PER_OUTLET).forEach(function (m) { first.push(m); }); });
    const heading = h("h4", {}, []);
    const list = h("ul", { class: "sentences", id: "event-mentions" });
    function show(shown, all) {
      heading.textContent = all || shown.length === mentions.length ? "Sentences (" + mentions.length + ", by date)"
        : "Sentences (" + shown.length + " of " + mentions.length + ": the first " + PER_OUTLET + " of each outlet)";
      clear(list);
      shown.forEach(function (mention) {
        const i = mention[0];
        list.appendChild(h("li", {}, [
          h("span", { class: "meta" }, [outletName(mention[1]) + (mention[2] ? ", " + mention[2] : "") + ": "]),
          mention[3], " ",
          i >= 0 ? h("span", { class: "meta" }, ["(", link(A.title[i], A.url[i]), ")"]) : null,
        ]));
      });
    }
    panel.appendChild(heading);
    if (first.length < mentions.length) {
      panel.appendChild(h("button", { class: "back", id: "all-sentences", onclick: function (event) {
        event.target.remove();
        show(mentions, true);
      } }, ["show all " + mentions.length + " sentences"]));
    }
    panel.appendChild(list);
    show(first.length < mentions.length ? first : mentions, false);
  }

  // --- search ---------------------------------------------------------------------------------------------------

  let titles = null, eventTexts = null;
  function search(query) {
    const box = document.getElementById("search-results");
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length || query.trim().length < 2) { box.hidden = true; clear(box); return; }
    if (titles === null) {
      titles = A.title.map(function (title) { return title.toLowerCase(); });
      eventTexts = E.sentence.map(function (sentence, e) {
        return (sentence + " " + E.mentions[e].map(function (mention) { return mention[3]; }).join(" ")).toLowerCase();
      });
    }
    function matches(text) { return terms.every(function (term) { return text.indexOf(term) >= 0; }); }
    const articleHits = [], eventHits = [];
    let articleCount = 0, eventCount = 0;
    for (let i = 0; i < N; i += 1) if (matches(titles[i])) { articleCount += 1; if (articleHits.length < 30) articleHits.push(i); }
    for (let e = 0; e < E.id.length; e += 1) if (matches(eventTexts[e])) { eventCount += 1; if (eventHits.length < 30) eventHits.push(e); }
    clear(box);
    box.hidden = false;
    box.appendChild(h("h4", {}, ["Articles: " + number(articleCount) + (articleCount > 30 ? " (first 30)" : "")]));
    articleHits.forEach(function (i) {
      box.appendChild(h("button", { class: "item result-article", onclick: function () { box.hidden = true; selectArticle(i, true); } }, [
        A.title[i], h("span", { class: "count" }, [outletName(A.outlet[i]) + (A.date[i] ? ", " + A.date[i] : "")])]));
    });
    box.appendChild(h("h4", {}, ["Events: " + number(eventCount) + (eventCount > 30 ? " (first 30)" : "")]));
    eventHits.forEach(function (e) {
      box.appendChild(h("button", { class: "item result-event", onclick: function () { box.hidden = true; selectEvent(e, true); } }, [
        E.date[e] + ": " + shorten(E.sentence[e], 140), h("span", { class: "count" }, [E.n_outlets[e] + " outlets"])]));
    });
  }
  function wireSearch() {
    const input = document.getElementById("search");
    let timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(input.value); }, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { document.getElementById("search-results").hidden = true; }
    });
    input.addEventListener("focus", function () { if (input.value.trim().length >= 2) search(input.value); });
  }

  // --- start ----------------------------------------------------------------------------------------------------

  function start() {
    summary();
    renderTopicList("");
    fillFilters();
    fillEventFilters();
    const panel = document.getElementById("event-panel");
    panel.appendChild(h("p", { class: "hint" }, ["Click an event for its sentences, its outlets in order of first report, and links to the articles."]));
    wireSearch();
    function timed(name, promise) {
      return promise.then(function (plot) { timings[name] = performance.now(); return plot; });
    }
    Promise.all([timed("map", drawMap()), timed("over_time", drawOverTime()), timed("timeline", drawTimeline()).then(function (plot) {
      plot.on("plotly_click", function (event) {
        const point = event.points && event.points[0];
        if (point && point.customdata !== undefined) selectEvent(point.customdata, false);
      });
      return plot;
    })]).then(function () {
      window.explorerLoadMs = performance.now();
      window.explorerReady = true;
      document.body.setAttribute("data-ready", "true");
    }).catch(reportError);
  }
  window.explorer = { selectTopic: selectTopic, selectEvent: selectEvent, selectArticle: selectArticle, search: search,
    webgl: GL, data: D, draw: { map: drawMap, overTime: drawOverTime, timeline: drawTimeline } };
  start();
})();
