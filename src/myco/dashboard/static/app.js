/* myco dashboard — vanilla JavaScript, no build step, no third-party code.
 *
 * Security rules this file keeps:
 *  - the token lives in sessionStorage and travels only in the Authorization header
 *    (the live feed is read with fetch(), because EventSource cannot send headers);
 *  - text from the swarm is inserted with textContent / createTextNode only; the one
 *    innerHTML is the message body, which the daemon renders from escaped markdown, and
 *    the page's Content-Security-Policy forbids inline scripts anyway.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "myco.dashboard.token";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var TIMELINE_SHOWN = 300;
  var EVENTS_KEPT = 3000;
  var WATCHDOG_MS = 45000;
  var BACKOFF_MIN = 400;
  var BACKOFF_MAX = 2000;
  var PLAIN_VERBS = { say: true, private: true };   // their object is just the first word

  var token = null;
  var snap = null;              // last /-/dashboard/state
  var clockOffset = 0;          // server clock - local clock, ms
  var events = new Map();       // seq -> event (timeline cache)
  var lastSeq = 0;
  var shownLimit = TIMELINE_SHOWN;
  var filters = { session: "", verb: "", channel: "" };
  var viewSession = "";
  var viewChosen = false;       // highlight a node only once the user picked a session
  var stream = { ctrl: null, backoff: BACKOFF_MIN, timer: null, connected: false };
  var refresh = { timer: null, running: false, again: false };

  // -- small DOM helpers ---------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function sv(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "on") Object.keys(v).forEach(function (ev) { node.addEventListener(ev, v[ev]); });
      else if (k === "dataset") Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
      else node.setAttribute(k, v === true ? "" : String(v));
    });
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  function replace(node) {
    var kids = Array.prototype.slice.call(arguments, 1);
    node.replaceChildren();
    append(node, kids);
  }

  function empty(text) { return el("li", { "class": "empty" }, text); }

  // -- time --------------------------------------------------------------------------------
  function now() { return Date.now() + clockOffset; }

  function ageLabel(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "min";
    if (s < 86400) return (s / 3600).toFixed(1) + "h";
    return Math.floor(s / 86400) + "d";
  }

  function age(tsMs, suffix) {
    if (tsMs === null || tsMs === undefined) return el("span", { "class": "age" }, "—");
    return el("time", { "class": "age", datetime: new Date(tsMs).toISOString(),
      title: new Date(tsMs).toLocaleString(), dataset: { ts: String(tsMs), suffix: suffix || "" } },
      ageLabel(now() - tsMs) + (suffix || ""));
  }

  function clockTime(tsMs) {
    var d = new Date(tsMs);
    function p(n) { return n < 10 ? "0" + n : "" + n; }
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }

  function tick() {
    document.querySelectorAll("[data-ts]").forEach(function (node) {
      node.textContent = ageLabel(now() - Number(node.dataset.ts)) + (node.dataset.suffix || "");
    });
    if (!snap) return;
    var changed = false;
    document.querySelectorAll("#sessions-table tbody tr[data-session]").forEach(function (row) {
      var seen = row.dataset.seen ? Number(row.dataset.seen) : null;
      if (isStale(row.dataset.status, row.dataset.session, seen) !== row.classList.contains("stale")) changed = true;
    });
    if (changed) { renderSummary(); renderSessions(); renderGraph(); }
  }

  function isStale(status, name, seenMs) {
    if (!snap || name === "DIRECTOR" || seenMs === null) return false;
    if (status !== "active" && status !== "blocked" && status !== "unknown") return false;
    return now() - seenMs > snap.stale_after_ms;
  }

  // -- HTTP ----------------------------------------------------------------------------------
  function headers(extra) {
    var h = { "Authorization": "Bearer " + token };
    if (extra) Object.keys(extra).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  function request(path, options) {
    options = options || {};
    return fetch(path, {
      method: options.method || "GET",
      headers: headers(options.headers),
      body: options.body,
      cache: "no-store",
      signal: options.signal
    }).then(function (resp) {
      if (resp.status === 401) {
        return resp.json().catch(function () { return {}; }).then(function (body) {
          signOut("The daemon refused the token: " + (body.error || "401"));
          throw new Error("unauthorised");
        });
      }
      return resp;
    });
  }

  function getJSON(path) {
    return request(path).then(function (resp) {
      if (!resp.ok) throw new Error(path + ": HTTP " + resp.status);
      return resp.json();
    });
  }

  // -- sign in / out -------------------------------------------------------------------------
  function showLogin(message) {
    $("main").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("token").focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    snap = null;
    events.clear();
    lastSeq = 0;
    stopStream();
    setStream("off", "offline");
    document.body.dataset.ready = "no";
    showLogin(message);
  }

  function signIn(candidate) {
    token = candidate;
    return getJSON("/-/dashboard/state").then(function (data) {
      sessionStorage.setItem(TOKEN_KEY, candidate);
      $("token").value = "";
      $("login").hidden = true;
      $("main").hidden = false;
      $("logout").hidden = false;
      applySnapshot(data);
      if (!document.body.dataset.renderMs) {   // time from navigation to the first full render
        document.body.dataset.renderMs = String(Math.round(performance.now()));
      }
      document.body.dataset.ready = "yes";
      connect();
    });
  }

  // -- snapshot ------------------------------------------------------------------------------
  function applySnapshot(data) {
    snap = data;
    clockOffset = data.now_ms - Date.now();
    data.events.forEach(remember);
    prune();
    lastSeq = Math.max(lastSeq, data.last_seq);
    if (!viewSession) viewSession = pickDefaultView(data);
    render();
  }

  function pickDefaultView(data) {
    var workers = data.sessions.filter(function (s) { return s.name !== "DIRECTOR"; });
    return workers.length ? workers[0].name : (data.sessions.length ? data.sessions[0].name : "");
  }

  function scheduleRefresh(delay) {
    if (refresh.timer) return;
    refresh.timer = setTimeout(function () {
      refresh.timer = null;
      loadSnapshot();
    }, delay === undefined ? 200 : delay);
  }

  function loadSnapshot() {
    if (!token) return Promise.resolve();
    if (refresh.running) { refresh.again = true; return Promise.resolve(); }
    refresh.running = true;
    return getJSON("/-/dashboard/state").then(applySnapshot).catch(function () {
      /* the stream's reconnection loop reports the outage */
    }).then(function () {
      refresh.running = false;
      if (refresh.again) { refresh.again = false; scheduleRefresh(0); }
    });
  }

  function remember(ev) {
    events.set(ev.seq, ev);
    if (ev.seq > lastSeq) lastSeq = ev.seq;
  }

  function prune() {   // after a batch: keep the newest EVENTS_KEPT
    if (events.size <= EVENTS_KEPT) return;
    var seqs = Array.from(events.keys()).sort(function (a, b) { return a - b; });
    for (var i = 0; i < seqs.length - EVENTS_KEPT; i++) events.delete(seqs[i]);
  }

  // -- rendering -----------------------------------------------------------------------------
  function render() {
    if (!snap) return;
    var focusKey = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.key : null;
    renderSummary();
    renderSessions();
    renderGraph();
    renderWork();
    renderShared();
    renderPlugins();
    renderMessages();
    renderSelects();
    renderTimeline();
    loadView();
    if (focusKey) {
      var again = document.querySelector('[data-key="' + CSS.escape(focusKey) + '"]');
      if (again) again.focus();
    }
  }

  function renderSummary() {
    var workers = snap.sessions.filter(function (s) { return s.name !== "DIRECTOR"; });
    function count(st) { return workers.filter(function (s) { return s.status === st; }).length; }
    var stale = workers.filter(function (s) { return isStale(s.status, s.name, s.last_seen_ms); }).length;
    var parts = [el("b", null, String(workers.length)), " sessions · ",
      el("b", null, String(count("active"))), " active · ",
      el("b", null, String(count("blocked"))), " blocked · ",
      el("b", null, String(snap.questions.open.length)), " open questions · ",
      el("b", null, String(snap.directives.open.length)), " open directives"];
    if (stale) parts.push(" · ", el("span", { "class": "warn" }, stale + " stale"));
    if (snap.graph.cycles.length) parts.push(" · ", el("span", { "class": "warn" }, snap.graph.cycles.length + " deadlock"));
    parts.push(" · seq ", el("b", null, String(snap.last_seq)));
    replace($("summary"), parts);
  }

  function statusBadge(status) { return el("span", { "class": "status " + status }, status); }

  var CHIPS_SHOWN = 4;
  var ITEMS_SHOWN = 40;

  function chips(list, warn) {
    if (!list || !list.length) return el("span", { "class": "hint" }, "—");
    var out = list.slice(0, CHIPS_SHOWN).map(function (x) { return el("span", { "class": "chip" + (warn ? " warn" : "") }, x); });
    if (list.length > CHIPS_SHOWN) {
      out.push(el("span", { "class": "chip extra", title: list.slice(CHIPS_SHOWN).join(", ") }, "+" + (list.length - CHIPS_SHOWN)));
    }
    return out;
  }

  function capped(items, what) {
    if (items.length <= ITEMS_SHOWN) return items;
    return items.slice(0, ITEMS_SHOWN).concat([empty("… " + (items.length - ITEMS_SHOWN) + " more " + what)]);
  }

  function byName(a, b) { return a.name.localeCompare(b.name, "en", { numeric: true }); }

  function renderSessions() {
    var body = $("sessions-table").tBodies[0];
    var rows = snap.sessions.slice().sort(byName).map(function (s) {
      var stale = isStale(s.status, s.name, s.last_seen_ms);
      var owed = [];
      if (s.questions) owed.push(el("span", null, el("b", null, String(s.questions)), " ask" + (s.questions > 1 ? "s" : "")));
      if (s.directives) owed.push(el("span", null, el("b", null, String(s.directives)), " directive" + (s.directives > 1 ? "s" : "")));
      if (s.inbox) owed.push(el("span", null, el("b", null, String(s.inbox)), " unread"));
      var joined = [];
      owed.forEach(function (o, i) { if (i) joined.push(" · "); joined.push(o); });
      return el("tr", { "class": stale ? "stale" : null,
        dataset: { session: s.name, status: s.status, seen: s.last_seen_ms === null ? "" : String(s.last_seen_ms) } },
        el("td", { "class": "name" },
          el("button", { type: "button", "class": "session-link", dataset: { key: "view-" + s.name },
            title: "see what " + s.name + " sees", on: { click: function () { showView(s.name, true); } } }, s.name),
          stale ? el("span", { "class": "tag stale", title: "claims to be working but silent for over " + ageLabel(snap.stale_after_ms) }, "stale") : null),
        el("td", null, statusBadge(s.status),
          s.liveness ? el("span", { "class": "hint liveness", title: "from the agent CLI's lifecycle hooks" }, " · " + s.liveness) : null),
        el("td", { "class": "action", title: s.action }, s.action || "—"),
        el("td", { "class": "age" }, s.last_seen_ms === null ? "never" : age(s.last_seen_ms, " ago")),
        el("td", null, chips(s.blockers, true)),
        el("td", null, chips(s.dependents, false)),
        el("td", { "class": "counts" }, joined.length ? joined : el("span", { "class": "hint" }, "—")));
    });
    if (!rows.length) rows = [el("tr", null, el("td", { colspan: "7", "class": "hint" }, "No session has posted yet."))];
    replace(body, rows);
    $("sessions-hint").textContent = "click a name to see its view · stale = working but silent for over " + ageLabel(snap.stale_after_ms);
  }

  // -- dependency picture --------------------------------------------------------------------
  function bezierAt(c, t) {
    var u = 1 - t, a = u * u * u, b = 3 * u * u * t, d = 3 * u * t * t, e = t * t * t;
    return [a * c[0][0] + b * c[1][0] + d * c[2][0] + e * c[3][0], a * c[0][1] + b * c[1][1] + d * c[2][1] + e * c[3][1]];
  }

  // Edge labels go where they hide neither a node nor another label: a few spots along
  // the curve, nudged up or down, first free one wins (the full text is in the tooltip).
  function placeLabel(curve, text, obstacles) {
    var w = text.length * 6.1 + 6, h = 14;
    var spots = [0.5, 0.38, 0.62, 0.28, 0.72];
    var nudges = [0, -12, 12, -24, 24];
    for (var i = 0; i < nudges.length; i++) {
      for (var j = 0; j < spots.length; j++) {
        var p = bezierAt(curve, spots[j]);
        var box = { x: p[0] - w / 2, y: p[1] - h + 2 + nudges[i], w: w, h: h };
        var clear = obstacles.every(function (o) {
          return box.x + box.w <= o.x || o.x + o.w <= box.x || box.y + box.h <= o.y || o.y + o.h <= box.y;
        });
        if (clear) { obstacles.push(box); return [p[0], box.y + h - 3]; }
      }
    }
    var mid = bezierAt(curve, 0.5);
    return [mid[0], mid[1] - 4];
  }

  function edgeGeometry(s, t, offset) {
    var sy = s.y + s.h / 2 + offset, ty = t.y + t.h / 2 + offset, p0, p1, p2, p3;
    if (t.x >= s.x + s.w) {                     // forward: right side to left side
      var dx = Math.max(40, (t.x - s.x - s.w) / 2);
      p0 = [s.x + s.w, sy]; p1 = [s.x + s.w + dx, sy]; p2 = [t.x - dx, ty]; p3 = [t.x - 2, ty];
    } else if (t.x + t.w <= s.x) {              // closing a cycle: loop back underneath
      var drop = Math.max(s.y + s.h, t.y + t.h) + 30 + Math.abs(offset) * 1.6;
      var sx = s.x + s.w / 2 + offset, tx = t.x + t.w / 2 - offset;
      p0 = [sx, s.y + s.h]; p1 = [sx, drop]; p2 = [tx, drop]; p3 = [tx, t.y + t.h + 2];
    } else {                                    // same column: an arc on one side
      var down = t.y > s.y, bulge = 46 + Math.abs(ty - sy) * 0.18;
      if (down) { p0 = [s.x + s.w, sy]; p1 = [s.x + s.w + bulge, sy]; p2 = [t.x + t.w + bulge, ty]; p3 = [t.x + t.w + 2, ty]; }
      else { p0 = [s.x, sy]; p1 = [s.x - bulge, sy]; p2 = [t.x - bulge, ty]; p3 = [t.x - 2, ty]; }
    }
    var d = "M" + p0.join(" ") + " C" + p1.join(" ") + " " + p2.join(" ") + " " + p3.join(" ");
    return { d: d, curve: [p0, p1, p2, p3] };
  }

  function marker(id) {
    return sv("marker", { id: "arrow-" + id, viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      sv("path", { d: "M0 0 L10 5 L0 10 z" }));
  }

  function fit(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text; }

  function renderGraph() {
    var g = snap.graph;
    var wrap = $("graph");
    var cycles = $("cycles");
    replace(cycles, g.cycles.map(function (c) {
      return el("div", { "class": "alert", role: "alert" }, "Deadlock: ",
        el("span", { "class": "path" }, c.join(" → ")),
        " — each waits for the next; someone has to give.");
    }));
    if (!g.nodes.length) { replace(wrap, el("p", { "class": "empty" }, "No session yet.")); return; }
    var byId = {};
    var sessionInfo = {};
    snap.sessions.forEach(function (s) { sessionInfo[s.name] = s; });
    g.nodes.forEach(function (n) { byId[n.id] = n; });
    var svg = sv("svg", { viewBox: "0 0 " + g.width + " " + g.height, width: g.width, height: g.height,
      role: "group", "aria-label": "dependency graph: " + g.edges.length + " edges" });
    svg.appendChild(sv("defs", null, ["need", "ask", "block", "direct", "met", "cycle"].map(marker)));
    if (g.grid_y !== null && g.grid_y !== undefined && g.edges.length) {
      svg.appendChild(sv("text", { "class": "gridlabel", x: 24, y: g.grid_y - 10 }, "no dependency"));
    }
    var pairCount = {};
    var obstacles = g.nodes.map(function (n) { return { x: n.x - 2, y: n.y - 2, w: n.w + 4, h: n.h + 4 }; });
    var edgeLayer = sv("g", { "class": "edges" });
    var labelLayer = sv("g", { "class": "labels" });
    g.edges.forEach(function (e) {
      var s = byId[e.from], t = byId[e.to];
      if (!s || !t) return;
      var key = e.from + ">" + e.to;
      var idx = pairCount[key] || 0;
      pairCount[key] = idx + 1;
      var offset = (idx % 2 ? 1 : -1) * Math.ceil(idx / 2) * 9;
      var geo = edgeGeometry(s, t, offset);
      var cls = e.cycle ? "cycle" : (e.kind === "need" && !e.open ? "met" : e.kind);
      var title = e.from + " " + ({ need: "needs", ask: "asks", block: "is blocked on", direct: "directs" }[e.kind] || e.kind) +
        " " + (t.kind === "session" ? e.to : t.label) + ": " + e.label + (e.kind === "need" && !e.open ? " (met)" : "");
      edgeLayer.appendChild(sv("path", { "class": "edge " + e.kind + " " + cls, d: geo.d,
        "marker-end": "url(#arrow-" + cls + ")", dataset: { from: e.from, to: e.to, kind: e.kind, cycle: e.cycle ? "yes" : "no" } },
        sv("title", null, title)));
      var text = fit(e.label, 17);
      var at = placeLabel(geo.curve, text, obstacles);
      labelLayer.appendChild(sv("text", { "class": "elabel" + (e.cycle ? " cycle" : ""), x: at[0], y: at[1],
        "text-anchor": "middle" }, text));
    });
    var nodeLayer = sv("g", { "class": "nodes" });
    g.nodes.forEach(function (n) {
      var info = sessionInfo[n.id];
      var stale = info ? isStale(info.status, info.name, info.last_seen_ms) : false;
      var cls = "node " + n.kind + (n.cycle ? " cycle" : "") + (stale ? " stale" : "") + (viewChosen && n.id === viewSession ? " selected" : "");
      var action = info ? info.action : "";
      var sub = n.kind === "session" ? (info ? (action.indexOf(info.status) === 0 ? action : info.status + (action ? " · " + action : "")) : n.status)
        : (n.kind === "item" ? "not provided yet" : "everyone");
      var label = n.label;
      var group = sv("g", { "class": cls, transform: "translate(" + n.x + "," + n.y + ")",
        dataset: { id: n.id, key: "node-" + n.id } },
        sv("title", null, n.label + (n.kind === "session" ? " — " + sub : "")),
        sv("rect", { width: n.w, height: n.h, rx: n.kind === "group" ? n.h / 2 : 8 }),
        n.kind === "session" ? sv("circle", { "class": "dot " + (info ? info.status : n.status), cx: 14, cy: 17, r: 4.5 }) : null,
        sv("text", { "class": "title", x: n.kind === "session" ? 25 : 12, y: 21 }, fit(label, n.kind === "session" ? 14 : 17)),
        sv("text", { "class": "sub", x: 12, y: 38 }, fit(sub, 22)));
      if (n.kind === "session") {
        group.setAttribute("tabindex", "0");
        group.setAttribute("role", "button");
        group.setAttribute("aria-label", n.label + ", " + sub + (n.cycle ? ", in a deadlock" : "") + ". Show its view and events.");
        group.addEventListener("click", function () { focusSession(n.id); });
        group.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); focusSession(n.id); }
        });
      }
      nodeLayer.appendChild(group);
    });
    svg.appendChild(edgeLayer);
    svg.appendChild(nodeLayer);
    svg.appendChild(labelLayer);
    replace(wrap, svg);
  }

  function focusSession(name) {
    filters.session = name;
    $("f-session").value = name;
    reloadTimeline();
    showView(name, false);
    renderGraph();
    var again = document.querySelector('[data-key="node-' + CSS.escape(name) + '"]');
    if (again) again.focus();   // keep the keyboard user where they were
  }

  // -- questions, directives, resources, artifacts, messages -----------------------------------
  function msgButton(spec) {
    if (!spec || spec.indexOf("msg/") !== 0) return spec ? el("code", null, spec) : null;
    var name = spec.slice(4);
    return el("button", { type: "button", "class": "link mono", dataset: { msg: name, key: "ref-" + name },
      on: { click: function () { openMessage(name); } } }, spec);
  }

  function renderWork() {
    var qs = snap.questions.open.map(function (q) {
      return el("li", { dataset: { seq: String(q.seq) } },
        el("div", { "class": "line" }, el("span", { "class": "who" }, q.asker), el("span", { "class": "arrow" }, "→"),
          el("span", { "class": "who" }, q.target), q.kind !== "ask" ? el("span", { "class": "chip" }, q.kind) : null,
          age(q.ts_ms)),
        el("div", { "class": "detail" }, q.text || q.detail || "(no text)"),
        q.spec ? el("div", { "class": "meta" }, "detail: ", msgButton(q.spec)) : null,
        q.in_views ? null : el("div", { "class": "meta" }, "older than " + ageLabel(snap.question_ttl_ms) + ": no longer in the target's view"));
    });
    replace($("questions"), qs.length ? capped(qs, "questions") : empty("No open question."));
    var ds = snap.directives.open.map(function (d) {
      return el("li", { dataset: { seq: String(d.seq) } },
        el("div", { "class": "line" }, el("span", { "class": "who" }, d.author), el("span", { "class": "arrow" }, "→"),
          el("span", { "class": "who" }, d.target), age(d.ts_ms)),
        el("div", { "class": "detail" }, d.detail),
        el("div", { "class": "meta" }, d.pending.length ? "waiting for " + d.pending.join(", ") : "",
          d.closed_by.length ? " · done: " + d.closed_by.join(", ") : "",
          d.obj ? [" · close with ", el("code", null, "re:" + d.obj)] : ""));
    });
    replace($("directives"), ds.length ? capped(ds, "directives") : empty("No open directive."));
    var closed = [];
    snap.directives.closed.forEach(function (d) {
      closed.push({ ts: d.closed_ts_ms || d.ts_ms, node: el("li", null,
        el("div", { "class": "line" }, el("span", { "class": "ok" }, "✓"), "directive",
          el("span", { "class": "who" }, d.target), el("code", null, d.obj || fit(d.detail, 30)),
          age(d.closed_ts_ms || d.ts_ms, " ago")),
        el("div", { "class": "meta" }, "closed by " + (d.closed_by.join(", ") || "?"))) });
    });
    snap.questions.closed.forEach(function (q) {
      closed.push({ ts: q.closed_ts_ms, node: el("li", null,
        el("div", { "class": "line" }, el("span", { "class": "ok" }, q.how === "answered" ? "✓" : "⌛"), "question",
          el("span", { "class": "who" }, q.asker), el("span", { "class": "arrow" }, "→"), el("span", { "class": "who" }, q.target),
          age(q.closed_ts_ms, " ago")),
        el("div", { "class": "meta" }, (q.how === "answered" ? "answered by " + q.closed_by : "expired") + ": " + fit(q.text || q.detail, 60))) });
    });
    closed.sort(function (a, b) { return b.ts - a.ts; });
    replace($("closed-list"), closed.length ? closed.map(function (c) { return c.node; }) : empty("Nothing closed recently."));
    $("closed").querySelector("summary").textContent = "Recently closed (" + closed.length + ")";
  }

  function address(addr) {
    if (!addr) return el("span", { "class": "hint" }, "no address");
    if (/^https?:\/\/[^\s]+$/i.test(addr)) {
      return el("a", { href: addr, target: "_blank", rel: "noopener noreferrer" }, addr);
    }
    return el("code", null, addr);
  }

  function renderFiles() {
    var sections = snap.sections || {};
    var cs = (sections.CONFLICTS || []).map(function (c) {
      return el("li", null,
        el("div", { "class": "line" }, el("code", null, c.path), el("span", { "class": "state down" }, c.kind === "lease" ? "leases overlap" : "edited by both")),
        el("div", { "class": "meta" }, c.sessions.join(" · ") + (c.repo ? " · " + c.repo : "")));
    });
    replace($("file-conflicts"), cs.length ? capped(cs, "conflicts") : empty("No file conflict."));
    var ls = (sections.LEASES || []).map(function (l) {
      return el("li", null,
        el("div", { "class": "line" }, el("span", { "class": "who" }, l.holder), el("code", null, l.glob), age(l.since_ms, " ago")),
        el("div", { "class": "meta" }, "until " + new Date(l.expires_ms).toISOString().slice(11, 16) + " UTC" + (l.why ? " · " + l.why : "")));
    });
    replace($("leases"), ls.length ? capped(ls, "leases") : empty("No lease."));
  }

  // Plugin view sections without a panel of their own, shown generically (an empty one is
  // left out): each item of a
  // section's data is a string (one line), or an object with `text` (the line), optional
  // `meta` (a second line) and `ts_ms` (an age); anything else is shown as JSON.
  var OWN_PANELS = { CONFLICTS: true, LEASES: true };

  function pluginItem(item) {
    if (typeof item === "string") return el("li", null, el("div", { "class": "line" }, el("span", { "class": "text" }, item)));
    if (item && typeof item === "object" && typeof item.text === "string") {
      var line = el("div", { "class": "line" }, el("span", { "class": "text" }, item.text));
      if (typeof item.ts_ms === "number") append(line, age(item.ts_ms, " ago"));
      return el("li", null, line,
        typeof item.meta === "string" ? el("div", { "class": "meta" }, item.meta) : null);
    }
    return el("li", null, el("div", { "class": "line" }, el("code", null, fit(JSON.stringify(item), 160))));
  }

  function isEmpty(data) {
    if (data === null || data === undefined || data === "") return true;
    if (Array.isArray(data)) return data.length === 0;
    return typeof data === "object" && Object.keys(data).length === 0;
  }

  function renderPlugins() {
    var sections = snap.sections || {};
    var nodes = [];
    Object.keys(sections).sort().forEach(function (heading) {
      var data = sections[heading];
      if (OWN_PANELS[heading] || isEmpty(data)) return;
      var items = (Array.isArray(data) ? data : [data]).map(pluginItem);
      nodes.push(el("h3", null, heading));
      nodes.push(el("ul", { "class": "items", "data-section": heading }, capped(items, "items")));
    });
    replace($("plugin-sections"), nodes.length ? nodes : el("ul", { "class": "items" }, empty("Nothing from plugins.")));
  }

  function renderShared() {
    renderFiles();
    var rs = snap.resources.map(function (r) {
      return el("li", null,
        el("div", { "class": "line" }, el("span", { "class": "who" }, r.name), el("span", { "class": "state " + r.state }, r.state), age(r.ts_ms, " ago")),
        el("div", { "class": "meta" }, address(r.addr), " · by " + r.session));
    });
    replace($("resources"), rs.length ? capped(rs, "resources") : empty("No shared resource."));
    var as = snap.artifacts.slice(0, 30).map(function (a) {
      var meta = [];
      if (a.ref) meta.push(/^https?:\/\//i.test(a.ref) ? address(a.ref) : el("code", null, a.ref));
      if (a.result) meta.push((meta.length ? " · " : "") + "result: " + a.result);
      if (a.spec) meta.push(meta.length ? " · " : "", msgButton(a.spec));
      return el("li", null,
        el("div", { "class": "line" }, el("span", { "class": "who" }, a.session), el("span", null, a.obj), age(a.ts_ms, " ago")),
        meta.length ? el("div", { "class": "meta" }, meta) : null);
    });
    replace($("artifacts"), as.length ? as : empty("No artifact published."));
  }

  function renderMessages() {
    var ms = snap.messages.map(function (m) {
      var who = (m.from || "?") + (m.to.length ? " → " + m.to.join(", ") : "");
      var status = m.unread_by.length ? el("span", { "class": "unread" }, "unread by " + m.unread_by.join(", "))
        : (m.read_by.length ? "read by " + m.read_by.join(", ") : "");
      return el("li", null, el("button", { type: "button", "class": "msg-open", dataset: { msg: m.name, key: "msg-" + m.name },
        on: { click: function () { openMessage(m.name); } } },
        el("span", { "class": "name" }, m.name),
        el("span", { "class": "hint" }, who, status ? " · " : "", status, m.ts_ms ? " · " : "", m.ts_ms ? age(m.ts_ms, " ago") : null)));
    });
    replace($("messages"), ms.length ? capped(ms, "messages") : empty("No message."));
  }

  function openMessage(name) {
    var dialog = $("msg-dialog");
    $("msg-title").textContent = "msg/" + name;
    $("msg-meta").textContent = "loading…";
    replace($("msg-body"));
    $("msg-text").textContent = "";
    setRaw(false);
    if (!dialog.open) dialog.showModal();
    getJSON("/-/dashboard/msg/" + encodeURIComponent(name)).then(function (m) {
      var meta = m.meta || {};
      $("msg-meta").textContent = [meta.from ? "from " + meta.from : "", meta.to && meta.to.length ? "to " + meta.to.join(", ") : "",
        meta.read_by && meta.read_by.length ? "read by " + meta.read_by.join(", ") : "", m.bytes + " bytes"]
        .filter(Boolean).join(" · ");
      // Safe: the daemon escaped every character of the message and wrote only its own tags.
      $("msg-body").innerHTML = m.html;
      $("msg-text").textContent = m.text;
    }).catch(function (err) {
      $("msg-meta").textContent = "Could not load the message (" + err.message + ").";
    });
  }

  function setRaw(raw) {
    $("msg-raw").setAttribute("aria-pressed", raw ? "true" : "false");
    $("msg-body").hidden = raw;
    $("msg-text").hidden = !raw;
  }

  // -- selects (filters, composer target, view) ---------------------------------------------
  function fillSelect(select, values, keepFirst, current) {
    var have = Array.prototype.map.call(select.options, function (o) { return o.value; });
    if (keepFirst) have = have.slice(1);
    if (have.join("\n") === values.join("\n")) {      // unchanged: leave an open list alone
      if (current !== undefined && select.value !== current && values.indexOf(current) >= 0) select.value = current;
      return;
    }
    var first = keepFirst ? select.options[0] : null;
    var opts = values.map(function (v) { return el("option", { value: v }, v); });
    replace(select, first, opts);
    select.value = values.indexOf(current) >= 0 || (keepFirst && current === "") ? current : (keepFirst ? "" : (values[0] || ""));
  }

  function renderSelects() {
    var names = snap.sessions.slice().sort(byName).map(function (s) { return s.name; });
    var workers = names.filter(function (n) { return n !== "DIRECTOR"; });
    if (filters.session && names.indexOf(filters.session) < 0) names = names.concat([filters.session]);
    fillSelect($("f-session"), names, true, filters.session);
    fillSelect($("f-verb"), snap.verbs, true, filters.verb);
    fillSelect($("f-channel"), snap.channels, true, filters.channel);
    var target = $("c-target").value;
    fillSelect($("c-target"), ["ALL"].concat(workers), false, target || (workers[0] || "ALL"));
    fillSelect($("view-session"), names, false, viewSession);
  }

  // -- timeline ------------------------------------------------------------------------------
  function matches(ev) {
    if (filters.session && ev.session !== filters.session && (ev.obj || "").toUpperCase() !== filters.session) return false;
    if (filters.verb && ev.verb !== filters.verb) return false;
    if (filters.channel && ev.channels.indexOf(filters.channel) < 0) return false;
    return true;
  }

  function eventRow(ev, fresh) {
    return el("li", { "class": (fresh ? "fresh " : "") + (ev.private ? "private" : ""), dataset: { seq: String(ev.seq) } },
      el("time", { datetime: ev.ts, title: ev.ts + " · seq " + ev.seq }, clockTime(ev.ts_ms)),
      el("span", { "class": "who", title: ev.session }, ev.session),
      el("span", { "class": "verb " + ev.verb }, ev.verb),
      el("span", { "class": "what" }, ev.obj ? el("span", { "class": PLAIN_VERBS[ev.verb] ? null : "obj" }, ev.obj) : null, ev.obj && ev.detail ? " " : "",
        ev.detail, ev.channels.filter(function (c) { return c !== "global"; }).map(function (c) { return el("span", { "class": "ch" }, "#" + c); })));
  }

  var timelineShown = null;

  function renderTimeline(freshSeqs) {
    var list = Array.from(events.values()).filter(matches).sort(function (a, b) { return b.seq - a.seq; });
    var shown = list.slice(0, shownLimit);
    var signature = shown.map(function (ev) { return ev.seq; }).join(",");
    if (signature === timelineShown && !freshSeqs) return;   // same rows: keep highlights running
    timelineShown = signature;
    replace($("timeline"), shown.length ? shown.map(function (ev) { return eventRow(ev, freshSeqs && freshSeqs.has(ev.seq)); })
      : el("li", { "class": "empty" }, "No event matches."));
    $("timeline-more").hidden = Boolean(snap) && list.length < shownLimit && events.size >= snap.events_window;
    var hint = shown.length + " event" + (shown.length === 1 ? "" : "s") + " shown";
    if (snap) hint += " · the daemon keeps the latest " + snap.events_window + " in memory (full history: GET /events)";
    $("timeline-hint").textContent = hint;
  }

  function reloadTimeline() {
    shownLimit = TIMELINE_SHOWN;
    if (!filters.session && !filters.verb && !filters.channel) { renderTimeline(); return Promise.resolve(); }
    return fetchEvents(null).then(function () { renderTimeline(); });
  }

  function fetchEvents(before) {
    var q = new URLSearchParams();
    ["session", "verb", "channel"].forEach(function (k) { if (filters[k]) q.set(k, filters[k]); });
    if (before) q.set("before", String(before));
    q.set("limit", "200");
    return getJSON("/-/dashboard/events?" + q.toString()).then(function (data) {
      data.events.forEach(remember);
      prune();
      return data;
    });
  }

  function loadOlder() {
    var shown = Array.from(events.values()).filter(matches);
    var oldest = shown.reduce(function (m, ev) { return Math.min(m, ev.seq); }, Infinity);
    fetchEvents(oldest === Infinity ? null : oldest).then(function () {
      shownLimit += 200;
      renderTimeline();
    });
  }

  // -- session view ------------------------------------------------------------------------------
  var viewRequest = 0;

  function showView(name, scroll) {
    viewSession = name;
    viewChosen = true;
    $("view-session").value = name;
    loadView();
    if (scroll) $("view-panel").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function loadView() {
    if (!viewSession || !token) { $("view-text").textContent = ""; return; }
    var mine = ++viewRequest;
    request("/view/" + encodeURIComponent(viewSession)).then(function (resp) {
      return resp.text().then(function (text) { return { ok: resp.ok, text: text }; });
    }).then(function (r) {
      if (mine !== viewRequest) return;
      $("view-text").textContent = r.ok ? r.text : "Could not load the view: " + r.text;
      $("view-text").dataset.session = viewSession;
    }).catch(function () { /* offline: keep what is shown */ });
  }

  // -- director console ------------------------------------------------------------------------
  function composeKind() {
    var checked = document.querySelector('#compose input[name="kind"]:checked');
    return checked ? checked.value : "direct";
  }

  function updateCompose() {
    var direct = composeKind() === "direct";
    $("c-target").disabled = !direct;
    $("c-target").hidden = !direct;
    $("c-target-label").hidden = !direct;
    $("c-hint").hidden = !direct;
    $("c-text").placeholder = direct ? "refresh-tokens: add refresh tokens before logout" : "deploy freeze at 17:00";
  }

  function postCompose(ev) {
    ev.preventDefault();
    var result = $("c-result");
    var text = $("c-text").value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
    var channel = $("c-channel").value.trim();
    if (!text) { result.className = "result err"; result.textContent = "Write something first."; return; }
    if (channel && !/^[A-Za-z0-9_.,-]+$/.test(channel)) {
      result.className = "result err"; result.textContent = "A channel is letters, digits, '_', '.', '-' (comma between several)."; return;
    }
    var kind = composeKind();
    var line = kind === "direct" ? "direct " + $("c-target").value + " " + text : "say " + text;
    if (channel) line += " channel:" + channel;
    var id = "dash-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    result.className = "result"; result.textContent = "posting…";
    request("/events", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: "DIRECTOR", events: [line], id: id }) })
      .then(function (resp) { return resp.json().then(function (body) { return { ok: resp.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) { result.className = "result err"; result.textContent = "Refused: " + (r.body.error || "error"); return; }
        var warn = (r.body.warnings || []).join(" ");
        result.className = "result ok";
        result.textContent = (kind === "direct" ? "Directive posted" : "Broadcast posted") +
          (r.body.seq ? " (seq " + r.body.seq[0] + ")" : "") + "." + (warn ? " Note: " + warn : "");
        $("c-text").value = "";
        scheduleRefresh(0);
      })
      .catch(function (err) { result.className = "result err"; result.textContent = "Not posted: " + err.message; });
  }

  // -- live stream (fetch + SSE parsing) ------------------------------------------------------------
  function setStream(state, label) {
    document.body.dataset.stream = state;
    $("stream-status").textContent = label;
  }

  function stopStream() {
    if (stream.timer) { clearTimeout(stream.timer); stream.timer = null; }
    if (stream.ctrl) { stream.ctrl.abort(); stream.ctrl = null; }
  }

  function retry() {
    if (!token) return;
    setStream(stream.connected ? "connecting" : "down", "reconnecting…");
    stream.timer = setTimeout(connect, stream.backoff);
    stream.backoff = Math.min(stream.backoff * 2, BACKOFF_MAX);
  }

  function connect() {
    stopStream();
    if (!token) return;
    var ctrl = new AbortController();
    stream.ctrl = ctrl;
    if (document.body.dataset.stream !== "live") setStream("connecting", "connecting…");
    var watchdog = null;
    function arm() {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(function () { ctrl.abort(); }, WATCHDOG_MS);
    }
    fetch("/-/dashboard/stream", { headers: headers({ "Accept": "text/event-stream", "Last-Event-ID": String(lastSeq) }),
      cache: "no-store", signal: ctrl.signal })
      .then(function (resp) {
        if (resp.status === 401) { signOut("The daemon refused the token."); return null; }
        if (!resp.ok || !resp.body) throw new Error("HTTP " + resp.status);
        var reader = resp.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        arm();
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return null;
            arm();
            buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
            var cut;
            while ((cut = buffer.indexOf("\n\n")) >= 0) {
              var block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              dispatch(block);
            }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { /* refused, dropped or aborted: reconnect below */ })
      .then(function () {
        if (watchdog) clearTimeout(watchdog);
        if (stream.ctrl === ctrl) { stream.ctrl = null; retry(); }
      });
  }

  function dispatch(block) {
    var type = "message", data = [];
    block.split("\n").forEach(function (line) {
      if (!line || line.charAt(0) === ":") return;
      var i = line.indexOf(":");
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
    });
    if (!data.length) return;
    var payload;
    try { payload = JSON.parse(data.join("\n")); } catch (e) { return; }
    if (type === "hello") {
      var reconnected = stream.connected;
      stream.connected = true;
      stream.backoff = BACKOFF_MIN;
      setStream("live", "live");
      if (payload.last_seq < lastSeq) { resetAll(); return; }   // another store: start over
      if (reconnected) scheduleRefresh(0);
    } else if (type === "events") {
      var fresh = new Set();
      payload.forEach(function (ev) { if (!events.has(ev.seq)) fresh.add(ev.seq); remember(ev); });
      prune();
      if (fresh.size) renderTimeline(fresh);
      scheduleRefresh();
    } else if (type === "reset") {
      resetAll();
    }
  }

  function resetAll() {
    events.clear();
    lastSeq = 0;
    loadSnapshot();
  }

  // -- wiring ------------------------------------------------------------------------------------
  function init() {
    $("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var candidate = $("token").value.trim();
      if (!candidate) return;
      $("login-error").textContent = "checking…";
      signIn(candidate).catch(function (err) {
        if (token === candidate) token = null;
        if (err.message !== "unauthorised") {
          $("login-error").textContent = "Could not reach the daemon: " + err.message;
        }
      });
    });
    $("logout").addEventListener("click", function () { signOut(""); });
    $("compose").addEventListener("submit", postCompose);
    document.querySelectorAll('#compose input[name="kind"]').forEach(function (r) { r.addEventListener("change", updateCompose); });
    ["session", "verb", "channel"].forEach(function (k) {
      $("f-" + k).addEventListener("change", function () { filters[k] = this.value; reloadTimeline(); if (k === "session") renderGraph(); });
    });
    $("f-clear").addEventListener("click", function () {
      filters = { session: "", verb: "", channel: "" };
      ["session", "verb", "channel"].forEach(function (k) { $("f-" + k).value = ""; });
      reloadTimeline();
    });
    $("timeline-more").addEventListener("click", loadOlder);
    $("view-session").addEventListener("change", function () { showView(this.value, false); renderGraph(); });
    $("msg-close").addEventListener("click", function () { $("msg-dialog").close(); });
    $("msg-raw").addEventListener("click", function () { setRaw(this.getAttribute("aria-pressed") !== "true"); });
    $("msg-dialog").addEventListener("click", function (ev) { if (ev.target === this) this.close(); });
    updateCompose();
    setInterval(tick, 1000);

    var saved = sessionStorage.getItem(TOKEN_KEY);
    if (!saved) { showLogin(""); return; }
    signIn(saved).catch(function (err) {
      if (err.message !== "unauthorised") {
        // The daemon may be restarting: keep the token and keep trying.
        setStream("down", "daemon unreachable");
        $("main").hidden = true;
        setTimeout(init2, 1000);
      }
    });
    function init2() {
      signIn(saved).catch(function (err) { if (err.message !== "unauthorised") setTimeout(init2, 1500); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
