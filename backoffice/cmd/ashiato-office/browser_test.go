package main

// The dashboard, the public page and the signage in a real Chromium, against the real office and agent
// binaries and a real Mosquitto: a sensor paused from the dashboard shows 一時停止中 on the public page and
// the signage within seconds, and the signage says its data is stale while the office is down and
// recovers by itself when it is back.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	officehttp "github.com/ashiato/ashiato/backoffice/http"
	"github.com/ashiato/ashiato/internal/browsertest"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

func TestBrowserPause(t *testing.T) {
	officeBin := binary(t, ".", "ashiato-office")
	agentBin := binary(t, "../../../agent/cmd/ashiato", "ashiato")
	b := mosquittotest.Start(t, mosquittotest.Options{})
	start(t, agentBin, "-source", "synth", "-broker", b.URL(), "-store", "shop", "-sensor", "door",
		"-listen", "127.0.0.1:0", "-stats-interval", "1s", "-log-level", "warn")

	const pw = "browser test password"
	hash, err := officehttp.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "office.toml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "[dashboard]\nlive_interval = \"200ms\"\n\n[[operator]]\nname = \"op\"\npassword_hash = %q\n", hash), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", mosquittotest.FreePort(t))
	o := &office{t: t, bin: officeBin, dataDir: filepath.Join(dir, "data"), health: "http://" + listen + "/healthz"}
	o.args = []string{"serve", "-config", conf, "-broker", b.URL(), "-data-dir", o.dataDir, "-listen", listen}
	o.start()
	base := "http://" + listen

	ctx := browsertest.New(t, 1400, 1000, 3*time.Minute)
	within := func(what string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("%s (within %v): %v\noffice:\n%s", what, d, err, o.p.output())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	within("log in", 30*time.Second, chromedp.Navigate(base+"/dashboard"),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "op"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), pw),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	within("the sensor capturing", 30*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`tr.sensor[data-sensor="door"][data-live="capturing"]`)))

	// Pause from the dashboard: the office publishes cmd/pause, the agent pauses and says so on its
	// privacy topic, the office stores it, and every page shows it.
	clicked := time.Now()
	within("pause", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#sensor-shop-door input[name="reason"]`), "清掃のため"),
		chromedp.Click(chromedp.CSS(`#sensor-shop-door button.pause`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.sensor[data-sensor="door"][data-live="paused"] .cmd[data-done="true"]`)))
	t.Logf("the dashboard shows the pause done %v after the click", time.Since(clicked).Round(time.Millisecond))
	browsertest.Screenshot(t, ctx, "dashboard-paused")
	within("public page", 10*time.Second, chromedp.Navigate(base+"/p/shop?lang=ja"),
		chromedp.WaitVisible(chromedp.CSS(`li.sensor[data-sensor="door"][data-state="paused"]`)))
	if s := text(`li.sensor[data-sensor="door"] .state`); s != "一時停止中" {
		t.Errorf("public page: %q, want 一時停止中", s)
	}
	within("signage", 10*time.Second, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/signage/shop"),
		chromedp.WaitVisible(chromedp.CSS(`.sg-sensors li.sensor[data-sensor="door"][data-state="paused"]`)))
	if s := text(`.sg-sensors li.sensor[data-sensor="door"] .state`); s != "一時停止中" {
		t.Errorf("signage: %q, want 一時停止中", s)
	}
	if d := time.Since(clicked); d > 15*time.Second {
		t.Errorf("the public page and the signage showed the pause %v after the click, want within seconds", d)
	}
	t.Logf("the public page and the signage show 一時停止中 %v after the click", time.Since(clicked).Round(time.Millisecond))
	browsertest.Screenshot(t, ctx, "signage-paused")

	// The office goes away: the signage no longer shows the last state as current.
	o.stop()
	within("stale", 30*time.Second, chromedp.WaitVisible(chromedp.CSS(`body.stale #stale-banner`)))
	if s := text(`.sg-sensors li.sensor[data-sensor="door"] .state`); s != "状態不明" {
		t.Errorf("stale signage shows %q, want 状態不明", s)
	}
	browsertest.Screenshot(t, ctx, "signage-stale")
	// It comes back: the page reconnects by itself.
	o.start()
	within("reconnected", 30*time.Second, chromedp.WaitNotVisible(chromedp.CSS(`#stale-banner`)))
	if s := text(`.sg-sensors li.sensor[data-sensor="door"] .state`); s != "一時停止中" {
		t.Errorf("after the office's restart the signage shows %q, want 一時停止中", s)
	}
}
