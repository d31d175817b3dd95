package http_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	officehttp "github.com/ashiato/ashiato/backoffice/http"
	"github.com/ashiato/ashiato/internal/browsertest"
)

// TestBrowser drives the dashboard and the public pages in a real Chromium: the login, a live occupancy
// change arriving over the event stream, the footfall chart drawn, a heat cell's colour read back from the
// canvas, and a notice mismatch flagged. It leaves a screenshot of every page in bin/screenshots.
func TestBrowser(t *testing.T) {
	entrance := backoffice.SensorKey{Store: "shop", Sensor: "entrance"}
	till := backoffice.SensorKey{Store: "shop", Sensor: "till"}
	r := newRig(t, func(o *officehttp.Options) {
		withAnalytics(o)
		o.LiveInterval = 200 * time.Millisecond
		o.Inquiries = o.Store.(backoffice.InquiryStore)
		o.Public.Footfall = true
		o.Security = officehttp.Security{Store: "sqlite", SecureErase: true, Minimisation: backoffice.DefaultMinimisation()}
		o.Watch.ExpectNotice = map[backoffice.SensorKey]string{till: strings.Repeat("9f2c", 16)}
	})
	r.clock.Store(time.Date(2030, 3, 4, 15, 42, 0, 0, time.UTC).UnixMilli())
	r.sensor(entrance, event.PrivacyCapturing, "", 1)
	r.sensor(till, event.PrivacyCapturing, "", 2)
	seed(t, r, entrance, map[int]int{9: 8, 10: 14, 11: 21, 12: 30, 13: 18, 14: 12, 15: 4})
	if _, err := r.db.AddInquiry(context.Background(), backoffice.Inquiry{Store: "shop", Received: r.now().Add(-time.Hour),
		Message: "カメラの映像は保存されますか？", Expires: r.now().Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.h)
	t.Cleanup(srv.Close)                                 // after the browser has gone (cleanups run last first)
	ctx := browsertest.New(t, 1400, 1000, 2*time.Minute) // its streams end with it
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) { t.Helper(); browsertest.Screenshot(t, ctx, name) }

	// The login.
	do("open the dashboard", chromedp.Navigate(srv.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)))
	shot("login")
	do("log in", chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sensors-shop`)))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/dashboard") {
		t.Fatalf("after the login: %s %v", loc, err)
	}

	// A live occupancy change arrives over the event stream, without a reload.
	do("occupancy 3", chromedp.WaitVisible(chromedp.CSS(`#occupancy-shop .occupancy[data-value="3"]`)))
	r.stats(entrance, 5)
	do("occupancy 7 over SSE", chromedp.WaitVisible(chromedp.CSS(`#occupancy-shop .occupancy[data-value="7"]`)))

	// The notice mismatch is flagged.
	do("mismatch", chromedp.WaitVisible(chromedp.CSS(`tr.sensor[data-sensor="till"] td.notice[data-match="mismatch"]`)))
	shot("dashboard")

	// The footfall chart is drawn on its canvas.
	do("store page", chromedp.Navigate(srv.URL+"/dashboard/store/shop"),
		chromedp.WaitVisible(chromedp.CSS(`#footfall-chart[data-drawn="true"] canvas`)))
	inked, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const c = document.querySelector('#footfall-chart canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) { if (d[i] > 150 && d[i+1] < 90 && d[i+2] < 90 && d[i+3] > 200) n++; }
		return n;
	})()`))
	if err != nil || inked < 200 {
		t.Errorf("the footfall chart has %d red pixels (today's line), want a drawn line (%v)", inked, err)
	}

	// A heat cell's colour, read back from the canvas, is the ramp's colour for the busiest cell.
	do("heatmap", chromedp.WaitVisible(chromedp.CSS(`#heatmap[data-drawn="true"]`)))
	cell, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
		const c = document.getElementById('heatmap');
		const p = c.getContext('2d').getImageData(+c.dataset.hotX, +c.dataset.hotY, 1, 1).data;
		return [p[0], p[1], p[2], p[3]].concat(c.dataset.hotRgb.split(',').map(Number));
	})()`))
	if err != nil || len(cell) != 7 {
		t.Fatalf("heat cell: %v %v", cell, err)
	}
	if want := []int{208, 33, 33}; cell[4] != want[0] || cell[5] != want[1] || cell[6] != want[2] {
		t.Errorf("the busiest cell's colour is %v, want the top of the ramp %v", cell[4:], want)
	}
	for i := range 3 {
		if d := cell[i] - cell[4+i]; d < -2 || d > 2 || cell[3] < 230 {
			t.Errorf("pixel at the busiest cell %v, want the colour %v at full strength", cell[:4], cell[4:])
			break
		}
	}
	shot("store")

	do("retention", chromedp.Navigate(srv.URL+"/dashboard/retention"), chromedp.WaitVisible(chromedp.CSS(`table.retention`)))
	shot("retention")
	do("inquiries", chromedp.Navigate(srv.URL+"/dashboard/inquiries"), chromedp.WaitVisible(chromedp.CSS(`article.inquiry`)))
	shot("inquiries")

	// The public pages, in both languages, and the signage in both orientations.
	do("public ja", chromedp.Navigate(srv.URL+"/p/shop?lang=ja"), chromedp.WaitVisible(chromedp.CSS(`li.sensor[data-state="capturing"]`)))
	shot("public-ja")
	do("public en", chromedp.Navigate(srv.URL+"/p/shop?lang=en"), chromedp.WaitVisible(chromedp.CSS(`#footfall`)))
	shot("public-en")
	do("privacy", chromedp.Navigate(srv.URL+"/p/shop/privacy?lang=ja"), chromedp.WaitVisible(chromedp.CSS(`#security`)))
	shot("privacy-ja")
	do("signage", chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(srv.URL+"/signage/shop"),
		chromedp.WaitVisible(chromedp.CSS(`.sg-sensors li.sensor[data-state="capturing"]`)))
	shot("signage-landscape")
	do("signage portrait", chromedp.EmulateViewport(1080, 1920), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`.sg-sensors li.sensor`)))
	shot("signage-portrait")
}
