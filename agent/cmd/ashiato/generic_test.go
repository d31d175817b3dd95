package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent"
	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/drivers/ledclass/ledclasstest"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// realNotice is a complete notice with no placeholder in it, as a live camera needs.
const realNotice = `
[notice]
operator_ja = "株式会社足跡商店 中央店"
operator_en = "Ashiato Shoten Co., Central Store"
purpose_ja = "店内の混雑把握と売場配置の改善"
purpose_en = "Measuring crowding to improve the store layout"
area_ja = "店内通路"
area_en = "Store aisles"
retention_days = 90
third_parties_ja = "なし"
third_parties_en = "none"
contact_ja = "サービスカウンター（03-5555-0123）"
contact_en = "Service counter (03-5555-0123)"
policy_url = "https://ashiato-shoten.co.jp/camera"
`

// genericConfig writes a generic-board configuration whose capture LED is the LED-class device at led.
func genericConfig(t *testing.T, led string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "generic.toml")
	body := "[capture]\nsource = \"v4l2:auto\"\n[mqtt]\nbroker = \"stdout\"\n[privacy]\nrequire_locked_memory = false\n" +
		"[board]\nname = \"generic\"\nled_class = \"" + led + "\"\n" + realNotice
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A live camera that is not there is named, with why and what to do, whatever else is missing.
func TestMissingCameraIsNamed(t *testing.T) {
	led := ledclasstest.New(t, "input3::capslock", 1)
	cfg := genericConfig(t, led.Dir)
	var out, errb bytes.Buffer
	code := run([]string{"-config", cfg, "-source", "v4l2:/dev/video99"}, &out, &errb)
	msg := errb.String()
	if strings.Contains(msg, "generic.toml") {
		t.Fatalf("the test's configuration is not valid:\n%s", msg)
	}
	if code == 0 || !strings.Contains(msg, "/dev/video99") || !strings.Contains(msg, "no such file or directory") ||
		!strings.Contains(msg, "plugged in") {
		t.Errorf("generic board with a notice, camera absent: exit %d\n%s", code, msg)
	}

	// Without any configuration: the device and the missing notice, both.
	errb.Reset()
	code = run([]string{"-source", "v4l2:/dev/video99"}, &out, &errb)
	msg = errb.String()
	if code == 0 || !strings.Contains(msg, "/dev/video99") || !strings.Contains(msg, "[notice]") {
		t.Errorf("no config, camera absent: exit %d\n%s", code, msg)
	}
	if i, j := strings.Index(msg, "/dev/video99"), strings.Index(msg, "[notice]"); i > j {
		t.Errorf("the camera should be named first:\n%s", msg)
	}
}

// The example configuration's placeholder notice is refused for a live camera, naming the fields.
func TestPlaceholderNoticeRefusedLive(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-config", filepath.Join("..", "..", "..", "ashiato.example.toml"), "-source", "v4l2:auto"}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "notice.operator_en") || !strings.Contains(errb.String(), "notice.policy_url") {
		t.Errorf("exit %d\n%s", code, errb.String())
	}
}

// watchedLED wraps the board's LED and says, in order with the camera's calls, whether the LED is lit.
//
// It does not read the brightness file at the moment of a camera call: the fake device's file is a plain
// file, which the driver truncates and then writes, so a read that falls between the two (as one can
// during the controller's periodic re-assertion of a lit LED) finds it empty, where a real sysfs
// attribute keeps its value until the write replaces it. Instead it reads the file back right after every
// Set returns, with Sets serialised and nothing else writing the file, and keeps the result: lit from the
// moment a Set(true) has returned with the file reading lit, dark from the moment a Set(false) begins or
// any Set fails or leaves the file showing something else. Between Sets the file does not change, so a
// camera call made while Lit is true is one made while the file shows the LED lit.
type watchedLED struct {
	hal.LED
	file func() bool      // the brightness file shows the LED lit
	log  *haltest.History // LEDOn, LEDOff, LEDFailed, in order with the camera's events

	setMu sync.Mutex // serialises Set, so the file is read back with no write in progress
	mu    sync.Mutex
	lit   bool     // guarded by mu
	errs  []string // guarded by mu: Sets whose result the file does not show
}

func (l *watchedLED) Set(on bool) error {
	l.setMu.Lock()
	defer l.setMu.Unlock()
	if !on {
		l.mu.Lock()
		l.lit = false
		l.mu.Unlock()
	}
	err := l.LED.Set(on)
	shows := l.file()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.lit = false
		l.log.Add(haltest.LEDFailed)
	case shows != on:
		l.lit = false
		l.errs = append(l.errs, fmt.Sprintf("Set(%v) returned nil but the brightness file shows lit=%v", on, shows))
		l.log.Add(haltest.LEDFailed)
	case on:
		l.lit = true
		l.log.Add(haltest.LEDOn)
	default:
		l.log.Add(haltest.LEDOff)
	}
	return err
}

// Lit reports whether the LED is lit, as the last completed Set left the brightness file, and no Set(false)
// has begun since.
func (l *watchedLED) Lit() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lit
}

// The generic board's LED-class LED keeps the LED invariant exactly as a GPIO LED on a Pi: the agent,
// with the LED from board.Open, has it lit at every camera start and every frame, through a pause and a
// resume, and dark once the camera has stopped.
func TestGenericBoardKeepsLEDInvariant(t *testing.T) {
	led := ledclasstest.New(t, "input3::capslock", 1)
	cfgPath := genericConfig(t, led.Dir)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	devs, err := board.Open(boardOptions(cfg.WithDefaults(), "/dev/video0"))
	if err != nil {
		t.Fatal(err)
	}
	defer devs.Close()
	if devs.Indicator != "ledclass" || devs.Panel.State != board.Absent || devs.Button.State != board.Absent {
		t.Fatalf("generic board: %+v", devs)
	}
	synctest.Test(t, func(t *testing.T) {
		h := &haltest.History{}
		wled := &watchedLED{LED: devs.LED.Dev, file: led.On, log: h}
		cam := &haltest.WatchedCamera{Camera: &haltest.Camera{Format: hal.Format{Width: 64, Height: 48, FPS: 10}, Frames: make(chan []byte), Log: h},
			Lit: wled.Lit}
		button := haltest.NewButton()
		var out bytes.Buffer
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			errc <- agent.Run(ctx, agent.Devices{Camera: cam, LED: wled, Indicator: devs.Indicator, Button: button},
				agent.Options{Config: cfg, Stdout: &out, Logger: nil})
		}()
		fed := make(chan struct{})
		go func() { // a frame every 100 ms while the camera streams
			defer close(fed)
			for {
				select {
				case cam.Frames <- nil:
				case <-ctx.Done():
					return
				}
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					return
				}
			}
		}()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !cam.IsStreaming() || !led.On() {
			t.Fatalf("not capturing with the LED lit after 5s: streaming %v, LED %v", cam.IsStreaming(), led.On())
		}
		button.Press(time.Now()) // pause
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if cam.IsStreaming() || led.On() {
			t.Fatalf("paused: streaming %v, LED %v", cam.IsStreaming(), led.On())
		}
		button.Press(time.Now()) // resume
		time.Sleep(5 * time.Second)
		synctest.Wait()
		cancel()
		<-fed
		if err := <-errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
		w := cam.Watched()
		if len(w.Starts) != 2 || len(w.Frames) < 50 {
			t.Fatalf("%d starts, %d frames; want 2 starts and about 100 frames", len(w.Starts), len(w.Frames))
		}
		if err := w.Dark(false, false); err != nil {
			t.Fatalf("%v\n%s", err, h)
		}
		h.Check(t) // LED on before each start, off only after each stop and within a second of it
		wled.mu.Lock()
		for _, e := range wled.errs {
			t.Error(e)
		}
		wled.mu.Unlock()
		if cam.IsStreaming() || led.On() {
			t.Errorf("after Run: streaming %v, LED %v", cam.IsStreaming(), led.On())
		}
		// The status says which LED it is and that there is no panel.
		var status struct {
			Payload struct {
				Warnings    []string `json:"warnings"`
				Attestation struct {
					Indicator string `json:"indicator"`
				} `json:"attestation"`
			} `json:"payload"`
		}
		found := false
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, `/status"`) && json.Unmarshal([]byte(line), &status) == nil {
				found = true
			}
		}
		if !found || status.Payload.Attestation.Indicator != "ledclass" ||
			!strings.Contains(strings.Join(status.Payload.Warnings, "|"), "panel") {
			t.Errorf("last status %+v; want indicator ledclass and a warning that there is no notice panel", status.Payload)
		}
	})
}

func TestHelpAndStrayArguments(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, want := range []string{"hwcheck", "led-off", "examples:", "-source", "-log-format"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: usage lacks %q:\n%s", args, want, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-source", "synth", "extra"}, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), `"extra"`) || !strings.Contains(errb.String(), "hwcheck, led-off and help") {
		t.Errorf("stray argument: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"-log-format", "xml"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-log-format") {
		t.Errorf("-log-format xml: exit %d, %q", code, errb.String())
	}
}

func TestLogFormatJSON(t *testing.T) {
	var errb bytes.Buffer
	code := run([]string{"-source", "synth:frames=5,pace=asap", "-sink", "stdout", "-log-format", "json"}, io.Discard, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil || rec["level"] == nil {
			t.Fatalf("log line is not a JSON record: %v: %s", err, line)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no log lines")
	}
}
