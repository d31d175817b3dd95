// The store page's charts: today's footfall by hour against the same weekday a week earlier (uPlot), and
// the heatmap drawn on a canvas over the floor plan. The data is JSON in the page, written by the office.
(function () {
  'use strict';

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Footfall: entries per hour, today and a week earlier.
  var ff = data('footfall-data');
  var box = document.getElementById('footfall-chart');
  if (ff && box && window.uPlot) {
    var xs = [], today = [], last = [];
    ff.forEach(function (p) { xs.push(p.t); today.push(p.today); last.push(p.last_week); });
    var opts = {
      width: Math.min(box.clientWidth || 900, 1100), height: 300,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'today', stroke: '#d02121', width: 2, fill: 'rgba(208,33,33,0.10)' },
        { label: 'same weekday last week', stroke: '#1f5fbf', width: 2, dash: [6, 4] }
      ],
      axes: [{}, { label: 'entries per hour' }]
    };
    box.chart = new uPlot(opts, [xs, today, last], box);
    box.dataset.drawn = 'true';
  }

  // Heatmap.
  var heat = data('heat-data');
  var canvas = document.getElementById('heatmap');
  if (!heat || !canvas) { return; }
  var wrap = document.getElementById('heat-wrap');

  // ramp maps v in [0, 1] to a colour from pale yellow to the red of the capture light.
  function ramp(v) {
    var a = [255, 237, 160], b = [208, 33, 33];
    return [0, 1, 2].map(function (i) { return Math.round(a[i] + (b[i] - a[i]) * v); });
  }

  function draw(metric, geom) {
    var ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    var max = metric === 'visits' ? heat.maxVisits : heat.maxSeconds;
    var hot = null, hotV = -1;
    (heat.cells || []).forEach(function (c) {
      var v = metric === 'visits' ? c.Visits : c.Seconds;
      if (!max || v <= 0) { return; }
      var r = geom(c.X, c.Y);
      var col = ramp(v / max);
      ctx.fillStyle = 'rgb(' + col.join(',') + ')';
      ctx.globalAlpha = 0.45 + 0.5 * (v / max);
      ctx.fillRect(r.x, r.y, r.w, r.h);
      if (v > hotV) { hotV = v; hot = { x: r.x + r.w / 2, y: r.y + r.h / 2, col: col }; }
    });
    ctx.globalAlpha = 1;
    if (hot) {
      canvas.dataset.hotX = String(Math.floor(hot.x));
      canvas.dataset.hotY = String(Math.floor(hot.y));
      canvas.dataset.hotRgb = hot.col.join(',');
    }
    canvas.dataset.drawn = 'true';
  }

  function metric() {
    var m = document.querySelector('input[name="heat-metric"]:checked');
    return m ? m.value : 'seconds';
  }

  function start(geom) {
    draw(metric(), geom);
    document.querySelectorAll('input[name="heat-metric"]').forEach(function (el) {
      el.addEventListener('change', function () { draw(metric(), geom); });
    });
  }

  var cell = heat.cell, plan = heat.plan;
  if (plan && heat.planURL) {
    var img = new Image();
    img.onload = function () {
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      img.style.width = canvas.style.width = Math.min(img.naturalWidth, 1000) + 'px';
      wrap.insertBefore(img, canvas);
      var sx = plan.scale || img.naturalWidth, sy = plan.scale || img.naturalHeight;
      start(function (X, Y) {
        var x0 = plan.origin_x + X * cell * sx, w = cell * sx, h = cell * sy;
        var y0 = plan.flip_y ? plan.origin_y - (Y + 1) * cell * sy : plan.origin_y + Y * cell * sy;
        return { x: x0, y: y0, w: w, h: h };
      });
    };
    img.src = heat.planURL;
    return;
  }
  // No floor plan: fit the cells with something in them into the canvas.
  var cells = heat.cells || [];
  if (!cells.length) { canvas.dataset.drawn = 'true'; return; }
  var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  cells.forEach(function (c) {
    minX = Math.min(minX, c.X); minY = Math.min(minY, c.Y); maxX = Math.max(maxX, c.X); maxY = Math.max(maxY, c.Y);
  });
  var k = Math.min(canvas.width / (maxX - minX + 1), canvas.height / (maxY - minY + 1));
  var flip = heat.space === 'floor';
  start(function (X, Y) {
    var y = flip ? (maxY - Y) * k : (Y - minY) * k;
    return { x: (X - minX) * k, y: y, w: k, h: k };
  });
})();
