// The live part of every page: one Server-Sent Events stream (the body's data-live URL). Each message
// carries HTML fragments by element id, rendered by the office with the page's own templates; a "ping"
// says the office is there and nothing changed. When nothing arrives for data-stale-ms, the page marks
// itself stale (body.stale: a banner, and live states shown as unknown) until the stream is back. The
// browser reconnects by itself (the office asks for 2 s); if the stream is closed for good (an error
// answer), a new one is opened every 5 s, so a page survives an office restart.
(function () {
  'use strict';
  var body = document.body;
  var url = body.dataset.live;
  if (!url) { return; }
  var staleMs = parseInt(body.dataset.staleMs || '10000', 10);
  var last = Date.now();
  var lastShown = new Date();

  function fresh(at) {
    last = Date.now();
    lastShown = new Date();
    body.classList.remove('stale');
    body.dataset.lastUpdate = String(at || last);
  }

  function apply(e) {
    var m;
    try { m = JSON.parse(e.data); } catch (err) { return; }
    var html = m.html || {};
    Object.keys(html).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.innerHTML = html[id]; }
    });
    fresh(m.at);
    document.dispatchEvent(new CustomEvent('ashiato:live', { detail: m }));
  }

  function connect() {
    var es = new EventSource(url);
    es.onmessage = apply;
    es.addEventListener('ping', function (e) {
      try { fresh(JSON.parse(e.data).at); } catch (err) { fresh(); }
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) { setTimeout(connect, 5000); }
    };
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  setInterval(function () {
    if (Date.now() - last > staleMs) {
      if (!body.classList.contains('stale')) {
        body.classList.add('stale');
        var t = lastShown;
        document.querySelectorAll('.stale-since').forEach(function (el) {
          el.textContent = pad(t.getHours()) + ':' + pad(t.getMinutes()) + ':' + pad(t.getSeconds());
        });
      }
    }
  }, 1000);

  connect();
})();
