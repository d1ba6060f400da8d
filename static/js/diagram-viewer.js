/* Chain diagram viewer: zoom and pan an inline Graphviz SVG, and refresh it while a newer
 * render is pending. No dependencies, no inline script (works under a strict CSP). */
(function () {
  "use strict";
  if (window.chainmapDiagramViewer) {
    window.chainmapDiagramViewer.scan(document);
    return;
  }

  var ZOOM_STEP = 1.25;
  var MIN_SCALE = 0.05;
  var MAX_SCALE = 40;

  function parseViewBox(svg) {
    var raw = (svg.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
    if (raw.length === 4 && raw.every(isFinite) && raw[2] > 0 && raw[3] > 0) {
      return { x: raw[0], y: raw[1], w: raw[2], h: raw[3] };
    }
    var box = svg.getBBox();
    return { x: box.x, y: box.y, w: box.width || 1, h: box.height || 1 };
  }

  function Viewer(root) {
    this.root = root;
    this.canvas = root.querySelector(".diagram-canvas");
    this.svg = this.canvas && this.canvas.querySelector("svg");
    if (!this.svg) return;
    this.full = parseViewBox(this.svg);
    this.view = { x: this.full.x, y: this.full.y, w: this.full.w, h: this.full.h };
    // Let CSS size the picture; the viewBox does the zooming.
    this.svg.removeAttribute("width");
    this.svg.removeAttribute("height");
    this.svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    this.dragged = false;
    this.bind();
    // A chain map is taller than the viewer: shown whole, its labels are too small to read. It
    // opens fitted to the viewer's width, from the top; "Fit" shows the whole picture.
    this.fitWidth();
  }

  Viewer.prototype.apply = function () {
    var v = this.view;
    this.svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
  };

  Viewer.prototype.scale = function () {
    return this.full.w / this.view.w;
  };

  // Zoom by factor around a point given in SVG user units (default: the centre).
  Viewer.prototype.zoom = function (factor, cx, cy) {
    var v = this.view;
    var next = this.scale() * factor;
    if (next < MIN_SCALE || next > MAX_SCALE) return;
    if (cx === undefined) {
      cx = v.x + v.w / 2;
      cy = v.y + v.h / 2;
    }
    v.x = cx - (cx - v.x) / factor;
    v.y = cy - (cy - v.y) / factor;
    v.w = v.w / factor;
    v.h = v.h / factor;
    this.apply();
  };

  Viewer.prototype.fit = function () {
    this.view = { x: this.full.x, y: this.full.y, w: this.full.w, h: this.full.h };
    this.apply();
  };

  Viewer.prototype.fitWidth = function () {
    var rect = this.canvas.getBoundingClientRect();
    var height = rect.width > 0 ? (this.full.w * rect.height) / rect.width : this.full.h;
    if (!(height > 0) || height >= this.full.h) {
      this.fit(); // the whole picture already fits at the width's scale
      return;
    }
    this.view = { x: this.full.x, y: this.full.y, w: this.full.w, h: height };
    this.apply();
  };

  Viewer.prototype.toSvgPoint = function (clientX, clientY) {
    var rect = this.svg.getBoundingClientRect();
    var v = this.view;
    // "meet": the picture is scaled uniformly and centred in the element.
    var s = Math.min(rect.width / v.w, rect.height / v.h) || 1;
    var offsetX = (rect.width - v.w * s) / 2;
    var offsetY = (rect.height - v.h * s) / 2;
    return { x: v.x + (clientX - rect.left - offsetX) / s, y: v.y + (clientY - rect.top - offsetY) / s, s: s };
  };

  Viewer.prototype.bind = function () {
    var self = this;
    this.root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.getAttribute("data-zoom");
        if (action === "in") self.zoom(ZOOM_STEP);
        else if (action === "out") self.zoom(1 / ZOOM_STEP);
        else if (action === "width") self.fitWidth();
        else self.fit();
      });
    });
    this.canvas.addEventListener(
      "wheel",
      function (event) {
        if (!event.ctrlKey && !event.metaKey) return; // plain wheel keeps scrolling the page
        event.preventDefault();
        var p = self.toSvgPoint(event.clientX, event.clientY);
        self.zoom(event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, p.x, p.y);
      },
      { passive: false }
    );
    this.canvas.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") self.zoom(ZOOM_STEP);
      else if (event.key === "-") self.zoom(1 / ZOOM_STEP);
      else if (event.key === "0") self.fit();
      else return;
      event.preventDefault();
    });
    var start = null;
    this.canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      start = { x: event.clientX, y: event.clientY, view: Object.assign({}, self.view), moved: false };
      self.dragged = false;
    });
    this.canvas.addEventListener("pointermove", function (event) {
      if (!start) return;
      var dx = event.clientX - start.x;
      var dy = event.clientY - start.y;
      if (!start.moved && Math.abs(dx) + Math.abs(dy) < 4) return; // a click, not a drag
      if (!start.moved) {
        start.moved = true;
        self.canvas.setPointerCapture(event.pointerId);
        self.canvas.classList.add("is-panning");
      }
      var s = self.toSvgPoint(event.clientX, event.clientY).s;
      self.view.x = start.view.x - dx / s;
      self.view.y = start.view.y - dy / s;
      self.apply();
    });
    function end(event) {
      if (!start) return;
      self.dragged = start.moved;
      if (start.moved && self.canvas.hasPointerCapture(event.pointerId)) {
        self.canvas.releasePointerCapture(event.pointerId);
      }
      self.canvas.classList.remove("is-panning");
      start = null;
    }
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
    // A drag must not follow the node link it started on.
    this.canvas.addEventListener(
      "click",
      function (event) {
        if (self.dragged) {
          event.preventDefault();
          event.stopPropagation();
          self.dragged = false;
        }
      },
      true
    );
  };

  function refresh(section) {
    var url = section.getAttribute("data-refresh-url");
    if (!url) return;
    var tries = 0;
    var timer = window.setInterval(function () {
      tries += 1;
      if (tries > 100 || !document.body.contains(section)) {
        window.clearInterval(timer);
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(section.id);
          if (!fresh || fresh.hasAttribute("data-refresh-url")) return;
          window.clearInterval(timer);
          var node = document.importNode(fresh, true);
          section.replaceWith(node);
          scan(node.parentNode || document);
        })
        .catch(function () {});
    }, 3000);
  }

  function scan(scope) {
    scope.querySelectorAll("[data-diagram-viewer]").forEach(function (root) {
      if (root.dataset.viewerReady) return;
      root.dataset.viewerReady = "1";
      new Viewer(root);
    });
    scope.querySelectorAll("[data-diagram][data-refresh-url]").forEach(function (section) {
      if (section.dataset.refreshing) return;
      section.dataset.refreshing = "1";
      refresh(section);
    });
  }

  window.chainmapDiagramViewer = { scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      scan(document);
    });
  } else {
    scan(document);
  }
})();
