/* narrowcast's dashboard and report: plain JavaScript, no libraries, nothing from a network.
 *
 * The same code draws the live dashboard (body data-mode="live", data from the local server's
 * /api/ endpoints) and the self-contained report (data-mode="report", data embedded in the
 * page as JSON). Handles, names and texts are strangers' data: they only ever enter the page
 * as text nodes (textContent, createTextNode), never as markup.
 */
(function () {
  "use strict";

  var SVGNS = "http://www.w3.org/2000/svg";

  // The map's quadrants, split at 50 on each score (narrowcast.faces.data.QUADRANTS).
  var QUADRANTS = [
    { name: "connectors", b: false, r: true },
    { name: "pillars", b: true, r: true },
    { name: "broadcasters", b: true, r: false },
    { name: "quiet listeners", b: false, r: false },
  ];

  var COMPONENT_WORDS = {
    reach: "reach",
    amplification: "amplification",
    reception: "reception",
    silent_audience: "silent audience",
    discussion: "discussion",
    network_weight: "network weight",
    generosity: "generosity",
    listening: "listening",
    reciprocity: "reciprocity",
    dialogue: "dialogue",
    appreciated_giving: "appreciated giving",
    initiative: "initiative",
    consistency: "consistency",
    circle: "circle",
    relational_weight: "relational weight",
  };

  var REASONS = ["support", "feedback", "amplification", "conversation"];

  // -- building the page ---------------------------------------------------------------

  /* An HTML element. props: class, text, href, title, id, type, value, hidden, attrs {},
   * on {event: handler}. children: nodes, or strings (added as text, never parsed). */
  function h(tag, props, children) {
    var node = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "on") {
        Object.keys(value).forEach(function (ev) {
          node.addEventListener(ev, value[ev]);
        });
      } else if (key === "attrs") {
        Object.keys(value).forEach(function (a) {
          node.setAttribute(a, value[a]);
        });
      } else if (key === "hidden") node.hidden = !!value;
      else node[key] = value;
    });
    append(node, children);
    return node;
  }

  function append(node, children) {
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  /* An SVG element with attributes; text (if given) as a text node. */
  function s(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (a) {
      node.setAttribute(a, attrs[a]);
    });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function fmt(x, digits) {
    if (x === null || x === undefined || x !== x) return "–";
    if (digits === undefined) digits = Number.isInteger(x) || Math.abs(x) >= 10 ? 0 : 2;
    return Number(x).toLocaleString("en", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  }

  function day(iso) {
    return iso ? String(iso).slice(0, 10) : "–";
  }

  function label(person, handle) {
    return handle || person;
  }

  function quadrantOf(b, r) {
    for (var i = 0; i < QUADRANTS.length; i++) {
      var q = QUADRANTS[i];
      if (b >= 50 === q.b && r >= 50 === q.r) return q;
    }
    return QUADRANTS[3];
  }

  function slug(name) {
    return name.replace(/[^a-z]+/g, "-");
  }

  /* A small deterministic nudge in [-0.6, 0.6) from a person's id, so that people with
   * equal scores do not hide each other on the map. */
  function nudge(id, salt) {
    var x = 2166136261 ^ salt;
    for (var i = 0; i < id.length; i++) {
      x ^= id.charCodeAt(i);
      x = Math.imul(x, 16777619);
    }
    return (((x >>> 0) % 1000) / 1000 - 0.5) * 1.2;
  }

  function clamp(v) {
    return Math.max(0, Math.min(100, v));
  }

  // -- the map -------------------------------------------------------------------------

  /* The broadcast-versus-relational map. opts.open(id): what a click on a person does
   * (none: not clickable); opts.highlight: a person id to ring. */
  function drawMap(map, opts) {
    opts = opts || {};
    var W = 640,
      H = 560,
      M = { l: 56, r: 16, t: 14, b: 50 };
    var pw = W - M.l - M.r,
      ph = H - M.t - M.b;
    var X = function (b) {
      return M.l + (b / 100) * pw;
    };
    var Y = function (r) {
      return M.t + (1 - r / 100) * ph;
    };
    var svg = s("svg", {
      viewBox: "0 0 " + W + " " + H,
      class: "map",
      role: "img",
      "aria-label": "Community map: broadcast across, relational up",
    });
    QUADRANTS.forEach(function (q) {
      svg.appendChild(
        s("rect", {
          x: q.b ? X(50) : X(0),
          y: q.r ? Y(100) : Y(50),
          width: pw / 2,
          height: ph / 2,
          class: "quad q-" + slug(q.name),
        })
      );
    });
    if (map.density) {
      var bins = map.density.bins,
        cw = pw / bins,
        ch = ph / bins;
      var most = 1;
      map.density.cells.forEach(function (c) {
        most = Math.max(most, c[2]);
      });
      var dens = s("g", { class: "density" });
      map.density.cells.forEach(function (c) {
        var rect = s("rect", {
          x: M.l + c[0] * cw,
          y: M.t + ph - (c[1] + 1) * ch,
          width: cw,
          height: ch,
          "fill-opacity": (0.03 + 0.4 * Math.sqrt(c[2] / most)).toFixed(3),
        });
        rect.appendChild(s("title", {}, fmt(c[2]) + " people"));
        dens.appendChild(rect);
      });
      svg.appendChild(dens);
    }
    var axes = s("g", { class: "axes" });
    [0, 25, 50, 75, 100].forEach(function (t) {
      axes.appendChild(s("line", { x1: X(t), x2: X(t), y1: Y(0), y2: Y(100), class: t === 50 ? "mid" : "grid" }));
      axes.appendChild(s("line", { x1: X(0), x2: X(100), y1: Y(t), y2: Y(t), class: t === 50 ? "mid" : "grid" }));
      axes.appendChild(s("text", { x: X(t), y: Y(0) + 16, "text-anchor": "middle" }, t));
      axes.appendChild(s("text", { x: X(0) - 8, y: Y(t) + 4, "text-anchor": "end" }, t));
    });
    axes.appendChild(
      s("text", { x: X(50), y: H - 8, "text-anchor": "middle", class: "axis-title" }, "broadcast → (percentile in the community)")
    );
    axes.appendChild(
      s(
        "text",
        { x: 14, y: Y(50), "text-anchor": "middle", class: "axis-title", transform: "rotate(-90 14 " + Y(50) + ")" },
        "relational → (percentile)"
      )
    );
    svg.appendChild(axes);
    var cols = map.points.columns;
    var at = {};
    cols.forEach(function (c, i) {
      at[c] = i;
    });
    var rows = map.points.rows;
    var dots = s("g", { class: "points" + (opts.open ? " clickable" : "") });
    rows.forEach(function (row, i) {
      var id = row[at.person],
        b = row[at.broadcast],
        r = row[at.relational];
      var q = quadrantOf(b, r);
      var dot = s("circle", {
        cx: X(clamp(b + nudge(id, 1))).toFixed(1),
        cy: Y(clamp(r + nudge(id, 7))).toFixed(1),
        r: id === opts.highlight ? 7 : 3.4,
        class: "point q-" + slug(q.name) + (id === opts.highlight ? " highlight" : ""),
        "data-i": i,
      });
      dots.appendChild(dot);
    });
    svg.appendChild(dots);
    var names = s("g", { class: "quad-labels" });
    QUADRANTS.forEach(function (q) {
      var n = map.quadrants ? map.quadrants[q.name] : null;
      var x = q.b ? X(100) - 8 : X(0) + 8;
      var y = q.r ? Y(100) + 18 : Y(0) - 10;
      var t = s("text", { x: x, y: y, "text-anchor": q.b ? "end" : "start", class: "q-" + slug(q.name) });
      t.appendChild(s("tspan", { class: "quad-name" }, q.name));
      if (n !== null && n !== undefined) t.appendChild(s("tspan", { class: "quad-count" }, "  " + fmt(n)));
      names.appendChild(t);
    });
    svg.appendChild(names);


    var tip = h("div", { class: "tooltip", hidden: true });
    var figure = h("figure", { class: "map-figure" }, [h("div", { class: "map-wrap" }, [svg, tip])]);

    function pointAt(ev) {
      var t = ev.target;
      if (!t || !t.classList || !t.classList.contains("point")) return null;
      return rows[Number(t.getAttribute("data-i"))];
    }
    svg.addEventListener("mousemove", function (ev) {
      var row = pointAt(ev);
      if (!row) {
        tip.hidden = true;
        return;
      }
      clear(tip);
      append(tip, [
        h("strong", { text: label(row[at.person], row[at.handle]) }),
        h("span", { text: "broadcast " + fmt(row[at.broadcast], 0) + " · relational " + fmt(row[at.relational], 0) }),
        h("span", { class: "muted", text: row[at.platform] }),
      ]);
      var box = figure.querySelector(".map-wrap").getBoundingClientRect();
      tip.style.left = Math.min(ev.clientX - box.left + 12, box.width - 180) + "px";
      tip.style.top = ev.clientY - box.top + 12 + "px";
      tip.hidden = false;
    });
    svg.addEventListener("mouseleave", function () {
      tip.hidden = true;
    });
    if (opts.open) {
      svg.addEventListener("click", function (ev) {
        var row = pointAt(ev);
        if (row) opts.open(row[at.person]);
      });
    }
    var caption = map.sampled
      ? "Showing " + fmt(rows.length) + " of " + fmt(map.total) + " people: the top of each score and a random sample of the rest; the shading counts everyone."
      : fmt(map.total) + " " + (map.total === 1 ? "person" : "people") + ".";
    caption += " Scores as of " + day(map.as_of) + (map.month ? " (end of " + map.month + ")" : "") + ".";
    var zero = map.at_zero || {};
    var edges = [];
    if (zero.relational > 1) edges.push(fmt(zero.relational) + " have a relational score of 0 (no mutual relationship yet) and lie along the bottom edge");
    if (zero.broadcast > 1) edges.push(fmt(zero.broadcast) + " a broadcast score of 0 (nothing received), along the left edge");
    if (edges.length) caption += " " + edges.join("; ") + ".";
    caption += " Points are nudged by under a point so that equal scores do not hide each other.";
    figure.appendChild(h("figcaption", { text: caption }));
    return figure;
  }

  // -- a person ------------------------------------------------------------------------

  function bar(value, cls) {
    var fill = h("span", { class: "bar-fill " + (cls || "") });
    fill.style.width = clamp(Number(value) || 0) + "%";
    return h("span", { class: "bar" }, [fill]);
  }

  function reasonBars(reasons) {
    return h(
      "div",
      { class: "reasons" },
      REASONS.map(function (k) {
        return h("span", { class: "reason", title: k + " " + fmt(reasons[k], 2) }, [
          h("span", { class: "reason-name", text: k }),
          bar((reasons[k] || 0) * 100, "r-" + k),
        ]);
      })
    );
  }

  function historyChart(points) {
    var W = 640,
      H = 200,
      M = { l: 40, r: 110, t: 12, b: 28 };
    var pw = W - M.l - M.r,
      ph = H - M.t - M.b;
    var n = points.length;
    var X = function (i) {
      return M.l + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
    };
    var Y = function (v) {
      return M.t + (1 - (v || 0) / 100) * ph;
    };
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "history", role: "img", "aria-label": "Scores month by month" });
    [0, 50, 100].forEach(function (t) {
      svg.appendChild(s("line", { x1: M.l, x2: M.l + pw, y1: Y(t), y2: Y(t), class: "grid" }));
      svg.appendChild(s("text", { x: M.l - 6, y: Y(t) + 4, "text-anchor": "end" }, t));
    });
    var step = Math.max(1, Math.ceil(n / 8));
    points.forEach(function (p, i) {
      if (i % step === 0 || i === n - 1) svg.appendChild(s("text", { x: X(i), y: H - 8, "text-anchor": "middle" }, p.month));
    });
    ["broadcast", "relational"].forEach(function (k) {
      var d = points
        .map(function (p, i) {
          return (i ? "L" : "M") + X(i).toFixed(1) + " " + Y(p[k]).toFixed(1);
        })
        .join(" ");
      svg.appendChild(s("path", { d: d, class: "line " + k }));
      points.forEach(function (p, i) {
        var c = s("circle", { cx: X(i), cy: Y(p[k]), r: 3, class: "dot " + k });
        c.appendChild(s("title", {}, k + " " + fmt(p[k], 0) + " as of " + day(p.as_of)));
        svg.appendChild(c);
      });
    });
    var last = points[n - 1];
    var yb = Y(last.broadcast) + 4,
      yr = Y(last.relational) + 4;
    if (Math.abs(yb - yr) < 14) {
      // Labels of close values are pushed apart, the higher value's label above.
      var mid = (yb + yr) / 2,
        up = last.broadcast >= last.relational;
      yb = mid + (up ? -7 : 7);
      yr = mid + (up ? 7 : -7);
    }
    svg.appendChild(s("text", { x: X(n - 1) + 8, y: yb, class: "legend broadcast" }, "broadcast " + fmt(last.broadcast, 0)));
    svg.appendChild(s("text", { x: X(n - 1) + 8, y: yr, class: "legend relational" }, "relational " + fmt(last.relational, 0)));
    return svg;
  }

  function eventsTable(result) {
    if (!result || !result.events || !result.events.length) {
      return h("p", { class: "muted", text: "No public events between them up to the scored moment." });
    }
    var body = result.events.map(function (e) {
      return h("tr", {}, [
        h("td", { text: day(e.ts) }),
        h("td", { text: label(e.actor, e.actor_handle) + " → " + label(e.target, e.target_handle) }),
        h("td", { text: e.kind + (e.visibility === "private" ? " (private)" : "") }),
        h("td", { class: "text", text: e.text || "" }),
      ]);
    });
    var note = result.total > result.events.length ? "The latest " + fmt(result.events.length) + " of " + fmt(result.total) + " events." : fmt(result.total) + " events.";
    return h("div", { class: "events" }, [
      h("p", { class: "muted", text: note }),
      h("table", {}, [
        h("thead", {}, [h("tr", {}, ["when", "who → whom", "what", "text"].map(function (t) { return h("th", { text: t }); }))]),
        h("tbody", {}, body),
      ]),
    ]);
  }

  function personLink(opts, id, handle) {
    var href = opts.personHref ? opts.personHref(id) : null;
    return href ? h("a", { href: href, text: label(id, handle) }) : h("span", { text: label(id, handle) });
  }

  /* A person's page. opts.events(otherId) -> Promise of a tie's events; opts.personHref(id). */
  function drawPerson(page, opts) {
    var p = page.person;
    var root = h("article", { class: "person" });
    var sub = [];
    if (p.display_name && p.display_name !== p.handle) sub.push(p.display_name);
    sub.push((p.accounts || [p.person]).join(", "));
    sub.push("scores as of " + day(p.as_of) + ", half-life " + fmt(p.half_life_days, 0) + " days, " + p.weights + " weights");
    append(root, [
      h("h2", { class: "person-name", text: label(p.person, p.handle) }),
      h("p", { class: "muted", text: sub.join(" · ") }),
      h("div", { class: "scores" }, [
        h("div", { class: "score broadcast" }, [h("span", { class: "value", text: fmt(p.broadcast, 0) }), h("span", { class: "what", text: "broadcast" })]),
        h("div", { class: "score relational" }, [h("span", { class: "value", text: fmt(p.relational, 0) }), h("span", { class: "what", text: "relational" })]),
        h("p", { class: "explanation", text: p.explanation }),
      ]),
    ]);

    var families = h("div", { class: "families" });
    ["broadcast", "relational"].forEach(function (fam) {
      var rows = Object.keys(p.components)
        .filter(function (c) {
          return p.components[c].family === fam;
        })
        .map(function (c) {
          var comp = p.components[c];
          return h("tr", {}, [
            h("th", { scope: "row", text: COMPONENT_WORDS[c] || c }),
            h("td", {}, [bar(comp.score, fam)]),
            h("td", { class: "num", text: fmt(comp.score, 0) }),
            h("td", { class: "expl", text: comp.explanation }),
          ]);
        });
      families.appendChild(
        h("section", { class: "family" }, [h("h3", { text: fam === "broadcast" ? "Broadcast: what they receive" : "Relational: how they relate" }), h("table", { class: "components" }, [h("tbody", {}, rows)])])
      );
    });
    root.appendChild(families);

    root.appendChild(h("h3", { text: "History" }));
    if (page.history && page.history.length > 1) {
      root.appendChild(historyChart(page.history));
      root.appendChild(h("p", { class: "muted", text: "Each score as of the end of each month kept, then as of the scored moment (percentiles in the community as it was then)." }));
    } else {
      root.appendChild(h("p", { class: "muted", text: "Only the scored moment is kept. Run 'narrowcast score --history 12' to see each month." }));
    }

    root.appendChild(h("h3", { text: "Their circle" }));
    root.appendChild(h("p", { class: "muted", text: "The connections that matter most to them: what each gives them (support, feedback, amplification, conversation), strongest first." }));
    if (!page.circle.length) root.appendChild(h("p", { text: "Nobody gives them anything yet." }));
    var list = h("ol", { class: "circle" });
    page.circle.forEach(function (t) {
      var holder = h("div", { class: "tie-events", hidden: true });
      var button = h("button", {
        type: "button",
        class: "link",
        text: "events behind it",
        on: {
          click: function () {
            if (!holder.hidden) {
              holder.hidden = true;
              return;
            }
            holder.hidden = false;
            clear(holder).appendChild(h("p", { class: "muted", text: "Loading…" }));
            opts.events(t.person).then(
              function (result) {
                clear(holder).appendChild(eventsTable(result));
              },
              function (err) {
                clear(holder).appendChild(h("p", { class: "error", text: String(err.message || err) }));
              }
            );
          },
        },
      });
      list.appendChild(
        h("li", { class: "tie" }, [
          h("div", { class: "tie-head" }, [
            personLink(opts, t.person, t.handle),
            h("span", { class: "muted", text: " value to them " + fmt(t.value_to_me, 2) + " · tie strength " + fmt(t.strength, 2) }),
          ]),
          reasonBars(t.reasons),
          h("p", { class: "why", text: t.why }),
          button,
          holder,
        ])
      );
    });
    root.appendChild(list);

    root.appendChild(h("h3", { text: "What they give, and to whom" }));
    if (!page.gives.length) {
      root.appendChild(h("p", { text: "They have not given to anyone yet." }));
    } else {
      var rows = page.gives.map(function (g) {
        var mostly = REASONS.slice().sort(function (a, b) {
          return (g.reasons[b] || 0) - (g.reasons[a] || 0);
        })[0];
        return h("tr", {}, [
          h("td", {}, [personLink(opts, g.person, g.handle)]),
          h("td", { class: "num", text: fmt(g.given, 2) }),
          h("td", { class: "num", text: fmt(g.value_to_them, 2) }),
          h("td", { text: (g.reasons[mostly] || 0) > 0 ? mostly : "–" }),
          h("td", { text: g.mutual ? "yes" : "no" }),
        ]);
      });
      root.appendChild(
        h("table", { class: "gives" }, [
          h("thead", {}, [h("tr", {}, ["to", "given (decayed)", "value to them", "mostly", "mutual"].map(function (t) { return h("th", { text: t }); }))]),
          h("tbody", {}, rows),
        ])
      );
    }
    root.appendChild(
      h("p", {
        class: "privacy",
        text: page.include_private
          ? "Private-channel figures are included: this view was asked for with --include-private."
          : "Private-channel figures are never shown here: every figure is from public events.",
      })
    );
    return root;
  }

  // -- top lists -----------------------------------------------------------------------

  function drawTop(lists, opts) {
    var root = h("div", { class: "top-lists" });
    function section(title, note, entries, line) {
      var ol = h("ol", {});
      entries.forEach(function (e) {
        ol.appendChild(h("li", {}, [personLink(opts, e.person, e.handle), h("span", { class: "muted", text: " " + line(e) }), e.why ? h("p", { class: "why", text: e.why }) : null]));
      });
      return h("section", { class: "top-list" }, [h("h3", { text: title }), h("p", { class: "muted", text: note }), entries.length ? ol : h("p", { text: "Nobody yet." })]);
    }
    var both = function (e) {
      return "relational " + fmt(e.relational, 0) + " · broadcast " + fmt(e.broadcast, 0);
    };
    append(root, [
      section("Connectors to thank", "Highest relational score: they give, answer and keep ties mutual.", lists.connectors, both),
      section("Broadcasters", "Highest broadcast score: what they receive.", lists.broadcasters, function (e) {
        return "broadcast " + fmt(e.broadcast, 0) + " · relational " + fmt(e.relational, 0);
      }),
    ]);
    var rising = lists.rising;
    if (!rising.since) {
      root.appendChild(
        h("section", { class: "top-list" }, [
          h("h3", { text: "Rising" }),
          h("p", { class: "muted", text: "Rising needs a history: run 'narrowcast score --history 6' to keep monthly scores." }),
        ])
      );
    } else {
      root.appendChild(
        section(
          "Rising",
          "Largest rise in relational score since " + day(rising.since) + " (a percentile: a rise against the community), among people scored then.",
          rising.people,
          function (e) {
            return "relational " + fmt(e.relational_then, 0) + " → " + fmt(e.relational, 0) + " (+" + fmt(e.change, 0) + ")";
          }
        )
      );
    }
    return root;
  }

  // -- the community at a glance -------------------------------------------------------

  function describe(summary) {
    var plats = Object.keys(summary.platforms);
    var run = summary.run;
    return (
      fmt(summary.scored_people) + " people scored (" + fmt(summary.events) + " events, " +
      (plats.length === 1 ? "platform " + plats[0] : plats.length + " platforms") + "), " +
      day(summary.first_ts) + " to " + day(summary.last_ts) + "; scores as of " + day(run.as_of) +
      ", half-life " + fmt(run.half_life_days, 0) + " days, " + run.weights + " weights."
    );
  }

  function quadrantLegend(summary) {
    return h(
      "ul",
      { class: "legend-list" },
      summary.quadrants.map(function (q) {
        return h("li", {}, [h("span", { class: "swatch q-" + slug(q.name) }), h("strong", { text: q.name }), " " + q.means]);
      })
    );
  }

  // -- the live dashboard --------------------------------------------------------------

  function api(path, params) {
    var q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined && params[k] !== "") q.set(k, params[k]);
    });
    var url = path + (q.toString() ? "?" + q.toString() : "");
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.statusText);
        return body;
      });
    });
  }

  function personHash(id) {
    return "#/person/" + encodeURIComponent(id);
  }

  function parseHash() {
    var hash = location.hash.replace(/^#/, "") || "/";
    var qi = hash.indexOf("?");
    var path = qi < 0 ? hash : hash.slice(0, qi);
    var params = new URLSearchParams(qi < 0 ? "" : hash.slice(qi + 1));
    if (path.indexOf("/person/") === 0) return { view: "person", id: decodeURIComponent(path.slice(8)) };
    if (path === "/top") return { view: "top" };
    return { view: "map", platform: params.get("platform") || "", active: params.get("active") || "", month: params.get("month") || "" };
  }

  function select(name, options, value, onChange) {
    var sel = h("select", { name: name, on: { change: onChange } });
    options.forEach(function (o) {
      sel.appendChild(h("option", { value: o[0], text: o[1], selected: o[0] === value }));
    });
    return sel;
  }

  function live() {
    var view = document.getElementById("view");
    var context = document.getElementById("context");
    var summary = api("/api/summary");
    var ticket = 0;
    var opts = {
      personHref: personHash,
      events: function (other) {
        return api("/api/events", { a: current.id, b: other });
      },
    };
    var current = {};

    summary.then(
      function (sm) {
        context.textContent = describe(sm);
        document.title = "narrowcast · " + sm.store;
      },
      function (err) {
        context.textContent = String(err.message || err);
      }
    );

    function show(nodes) {
      clear(view);
      append(view, nodes);
    }

    function failed(err) {
      show([h("p", { class: "error", text: String(err.message || err) })]);
    }

    function mapView(route, mine) {
      summary.then(function (sm) {
        var state = { platform: route.platform, active: route.active, month: route.month };
        function go() {
          var q = new URLSearchParams();
          Object.keys(state).forEach(function (k) {
            if (state[k]) q.set(k, state[k]);
          });
          location.hash = "#/" + (q.toString() ? "?" + q.toString() : "");
        }
        var plats = [["", "all platforms"]].concat(
          Object.keys(sm.platforms).map(function (p) {
            return [p, p + " (" + fmt(sm.platforms[p]) + ")"];
          })
        );
        var controls = h("form", { class: "controls", on: { submit: function (e) { e.preventDefault(); } } }, [
          h("label", {}, ["Platform ", select("platform", plats, state.platform, function (e) { state.platform = e.target.value; go(); })]),
          h("label", {}, [
            "Active ",
            select("active", [["", "any time"], ["30", "in the last 30 days"], ["90", "in the last 90 days"], ["365", "in the last year"]], state.active, function (e) {
              state.active = e.target.value;
              go();
            }),
          ]),
          sm.months.length
            ? h("label", {}, [
                "Scores as of ",
                select("month", [["", "the scored moment"]].concat(sm.months.map(function (m) { return [m, "end of " + m]; })), state.month, function (e) {
                  state.month = e.target.value;
                  go();
                }),
              ])
            : null,
        ]);
        var holder = h("div", { class: "map-holder" }, [h("p", { class: "muted", text: "Loading the map…" })]);
        show([h("h2", { text: "Broadcast and relational, everyone" }), controls, holder, quadrantLegend(sm)]);
        return api("/api/map", { platform: state.platform, active: state.active, month: state.month }).then(function (map) {
          if (mine !== ticket) return;
          clear(holder).appendChild(
            drawMap(map, {
              open: function (id) {
                location.hash = personHash(id);
              },
            })
          );
        });
      }).catch(failed);
    }

    function route() {
      var r = parseHash();
      var mine = ++ticket;
      Array.prototype.forEach.call(document.querySelectorAll("[data-nav]"), function (a) {
        a.classList.toggle("active", a.getAttribute("data-nav") === r.view);
      });
      if (r.view === "person") {
        current = r;
        show([h("p", { class: "muted", text: "Loading…" })]);
        api("/api/person", { id: r.id })
          .then(function (page) {
            if (mine !== ticket) return;
            current = { id: page.person.person };
            document.title = "narrowcast · " + label(page.person.person, page.person.handle);
            show([drawPerson(page, opts)]);
            window.scrollTo(0, 0);
          })
          .catch(failed);
      } else if (r.view === "top") {
        show([h("p", { class: "muted", text: "Loading…" })]);
        api("/api/top")
          .then(function (lists) {
            if (mine !== ticket) return;
            show([h("h2", { text: "Top lists" }), drawTop(lists, opts)]);
          })
          .catch(failed);
      } else {
        mapView(r, mine);
      }
    }

    searchBox(function (id) {
      location.hash = personHash(id);
    });
    window.addEventListener("hashchange", route);
    route();
  }

  function searchBox(open) {
    var input = document.getElementById("search");
    var results = document.getElementById("search-results");
    if (!input || !results) return;
    var timer = null,
      asked = 0,
      first = null;
    function hide() {
      results.hidden = true;
      clear(results);
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) return hide();
      timer = setTimeout(function () {
        var mine = ++asked;
        api("/api/search", { q: q }).then(function (found) {
          if (mine !== asked) return;
          clear(results);
          first = found.length ? found[0].person : null;
          if (!found.length) results.appendChild(h("li", { class: "muted", text: "nobody matches" }));
          found.forEach(function (f) {
            results.appendChild(
              h("li", {}, [
                h("button", {
                  type: "button",
                  on: {
                    click: function () {
                      hide();
                      input.value = "";
                      open(f.person);
                    },
                  },
                }, [h("strong", { text: label(f.person, f.handle) }), h("span", { class: "muted", text: " " + f.person + " · b " + fmt(f.broadcast, 0) + " · r " + fmt(f.relational, 0) })]),
              ])
            );
          });
          results.hidden = false;
        });
      }, 120);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && first) {
        ev.preventDefault();
        hide();
        input.value = "";
        open(first);
      } else if (ev.key === "Escape") hide();
    });
    document.addEventListener("click", function (ev) {
      if (!results.contains(ev.target) && ev.target !== input) hide();
    });
  }

  // -- the report ----------------------------------------------------------------------

  function evaluationSection(blocks) {
    var sec = h("section", { class: "evaluation" }, [h("h2", { text: "Does it measure what it claims?" })]);
    blocks.forEach(function (b) {
      if (b.type === "heading") sec.appendChild(h("h3", { text: b.text }));
      else if (b.type === "code") sec.appendChild(h("pre", { text: b.text }));
      else if (b.type === "table") {
        sec.appendChild(
          h("table", { class: "eval" }, [
            h("thead", {}, [h("tr", {}, b.rows[0].map(function (c) { return h("th", { text: c }); }))]),
            h("tbody", {}, b.rows.slice(1).map(function (r) { return h("tr", {}, r.map(function (c) { return h("td", { text: c }); })); })),
          ])
        );
      } else {
        sec.appendChild(
          h(
            "p",
            {},
            b.parts.map(function (part) {
              return part.strong ? h("strong", { text: part.text }) : part.text;
            })
          )
        );
      }
    });
    return sec;
  }

  function fitSection(fit) {
    return h("section", { class: "evaluation" }, [
      h("h2", { text: "Fitted tie weights" }),
      h("p", {
        text:
          "Weights learned from this community's own history (" + day(fit.fitted_at) + ", split at " + day(fit.split_at) + "): on held-out pairs, tie strength foresees which of " +
          fmt(fit.pairs) + " pairs interact again with ROC AUC " + fmt(fit.roc_auc_fitted, 3) + " (default weights " + fmt(fit.roc_auc_default, 3) + ").",
      }),
    ]);
  }

  function report(payload) {
    var view = document.getElementById("view");
    clear(view);
    var sm = payload.summary;
    var personId = payload.person ? payload.person.person.person : null;
    var opts = {
      personHref: function (id) {
        return id === personId ? "#person" : null;
      },
      events: function (other) {
        var found = payload.person && payload.person.events ? payload.person.events[other] : null;
        return Promise.resolve(found || { events: [], total: 0 });
      },
    };
    append(view, [
      h("section", { class: "summary" }, [h("h2", { text: "The community" }), h("p", { text: describe(sm) }), h("p", { class: "muted", text: "Generated " + day(payload.generated_at) + " by narrowcast " + (sm.run.version || "") + " from " + sm.store + "." })]),
      h("section", {}, [
        h("h2", { text: "Broadcast and relational, everyone" }),
        drawMap(payload.map, {
          highlight: personId,
          open: personId
            ? function (id) {
                if (id === personId) document.getElementById("person").scrollIntoView();
              }
            : null,
        }),
        quadrantLegend(sm),
      ]),
      h("section", {}, [h("h2", { text: "Top lists" }), drawTop(payload.top, opts)]),
      sm.fit ? fitSection(sm.fit) : null,
      payload.evaluation ? evaluationSection(payload.evaluation) : null,
      payload.person ? h("section", { id: "person" }, [drawPerson(payload.person, opts)]) : null,
    ]);
  }

  function start() {
    var mode = document.body.getAttribute("data-mode");
    if (mode === "report") {
      report(JSON.parse(document.getElementById("narrowcast-data").textContent));
    } else {
      live();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
