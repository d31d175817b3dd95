// Package http serves the back office over HTTP: the operator dashboard (login required), the public pages a
// poster's QR code opens, the entrance signage, their live streams (Server-Sent Events), /healthz and
// Prometheus /metrics.
//
// Pages are html/template, rendered on the server; their assets (CSS, a little JavaScript, uPlot for the
// charts, under its MIT licence) are embedded, so the office works on a shop's LAN with no internet and no
// build step. Each page opens one event stream, which sends the page's live parts as HTML fragments
// rendered by the same templates, only when they change, and a heartbeat every interval, so a page knows
// when its data has gone stale.
//
// Every route is in one table (Server.Routes) with who may use it; operator routes are wrapped in the
// login check there, and state-changing ones in the CSRF check, so a route cannot be added open by
// mistake (a test walks the table).
package http

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health is what /healthz checks.
type Health struct {
	// Ping checks the store; an error makes /healthz answer 503.
	Ping func(context.Context) error
	// Brokers reports, for each broker node's URL, whether the collector receives from it (connected,
	// with its subscriptions granted: ingest.Collector.Brokers). None connected makes /healthz answer 503; some but not all is "degraded" (200: the sensors fail over to
	// the nodes that are up). nil means not checked.
	Brokers func() map[string]bool
}

// Handler returns a handler of /healthz and /metrics only (Server.Handler serves them too, with the pages).
//
//	GET /healthz  200 {"store":"ok","mqtt":"connected","brokers":{"tcp://…":"connected"}} or 503 with what is wrong
//	GET /metrics  Prometheus text format, from gatherer
func Handler(h Health, gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { healthz(h, w, r) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

func healthz(h Health, w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	status, body := http.StatusOK, map[string]any{"store": "ok", "mqtt": "not checked"}
	if h.Ping == nil {
		body["store"] = "not checked"
	} else if err := h.Ping(ctx); err != nil {
		status, body["store"] = http.StatusServiceUnavailable, "error: "+err.Error()
	}
	if h.Brokers != nil {
		nodes, up := map[string]string{}, 0
		for url, ok := range h.Brokers() {
			nodes[url] = "disconnected"
			if ok {
				nodes[url], up = "connected", up+1
			}
		}
		body["brokers"] = nodes
		switch up {
		case len(nodes):
			body["mqtt"] = "connected"
		case 0:
			status, body["mqtt"] = http.StatusServiceUnavailable, "disconnected"
		default:
			body["mqtt"] = "degraded"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// Serve serves h on l until ctx ends, then shuts down gracefully (up to 5 s for requests in flight; live
// streams end at once, and their pages reconnect to the next office). With tlsConf, l carries HTTPS.
func Serve(ctx context.Context, l net.Listener, h http.Handler, tlsConf *tls.Config) error {
	if tlsConf != nil {
		l = tls.NewListener(l, tlsConf)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
