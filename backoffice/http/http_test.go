package http_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	officehttp "github.com/ashiato/ashiato/backoffice/http"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestHealthz(t *testing.T) {
	var pingErr error
	connected, other := true, true
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ashiato_office_test", Help: "x"})
	reg.MustRegister(g)
	h := officehttp.Handler(officehttp.Health{
		Ping:    func(context.Context) error { return pingErr },
		Brokers: func() map[string]bool { return map[string]bool{"tcp://a:1883": connected, "tcp://b:1883": other} },
	}, reg)
	if code, body := get(t, h, "/healthz"); code != 200 || !strings.Contains(body, `"mqtt":"connected"`) {
		t.Errorf("healthy: %d %s", code, body)
	}
	connected = false
	if code, body := get(t, h, "/healthz"); code != 200 || !strings.Contains(body, `"mqtt":"degraded"`) ||
		!strings.Contains(body, `"tcp://a:1883":"disconnected"`) || !strings.Contains(body, `"tcp://b:1883":"connected"`) {
		t.Errorf("one broker node away: %d %s", code, body)
	}
	other = false
	if code, body := get(t, h, "/healthz"); code != 503 || !strings.Contains(body, `"mqtt":"disconnected"`) {
		t.Errorf("every broker node away: %d %s", code, body)
	}
	other = true
	connected, pingErr = true, errors.New("disk I/O error")
	if code, body := get(t, h, "/healthz"); code != 503 || !strings.Contains(body, "disk I/O error") {
		t.Errorf("store failing: %d %s", code, body)
	}
	if code, body := get(t, h, "/metrics"); code != 200 || !strings.Contains(body, "ashiato_office_test 0") {
		t.Errorf("metrics: %d %s", code, body)
	}
	if code, _ := get(t, h, "/"); code != 404 {
		t.Errorf("/: %d", code)
	}
}
