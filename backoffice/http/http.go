// Package http serves the back office over HTTP: /healthz and Prometheus /metrics. (The operator dashboard
// and the public pages will be served here too.)
package http

import (
	"context"
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
	// Connected reports whether the collector is connected to the broker; false makes /healthz answer
	// 503. nil means not checked.
	Connected func() bool
}

// Handler returns the office's HTTP handler.
//
//	GET /healthz  200 {"store":"ok","mqtt":"connected"} or 503 with what is wrong
//	GET /metrics  Prometheus text format, from gatherer
func Handler(h Health, gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		status, body := http.StatusOK, map[string]string{"store": "ok", "mqtt": "not checked"}
		if err := h.Ping(ctx); err != nil {
			status, body["store"] = http.StatusServiceUnavailable, "error: "+err.Error()
		}
		if h.Connected != nil {
			body["mqtt"] = "connected"
			if !h.Connected() {
				status, body["mqtt"] = http.StatusServiceUnavailable, "disconnected"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

// Serve serves h on l until ctx ends, then shuts down gracefully (up to 5 s for requests in flight).
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
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
