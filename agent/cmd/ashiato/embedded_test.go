package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/broker"
	"github.com/ashiato/ashiato/agent/config"
)

// The embedded broker accepts every local client, so it never serves a live camera: the agent refuses
// the combination before it opens any device (naming a missing camera too, which is probed first), and
// -check-config reports it.
func TestEmbeddedBrokerRefusedForLiveCamera(t *testing.T) {
	live := writeConfig(t, "[capture]\nsource = \"v4l2:/dev/ashiato-test-no-camera\"\n"+realNotice)
	for _, args := range [][]string{
		{"-config", live},
		{"-config", live, "-broker", "embedded"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), broker.ErrLiveCamera.Error()) {
			t.Errorf("ashiato %q: exit %d; want the refusal:\n%s", args, code, errb.String())
		}
		if strings.Contains(errb.String(), "cannot start") {
			t.Errorf("ashiato %q opened the devices before refusing:\n%s", args, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-check-config", live}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), broker.ErrLiveCamera.Error()) {
		t.Errorf("-check-config of a live camera with the embedded broker: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// Without the embedded broker the check lets a live camera through, as far as its (missing) camera.
	errb.Reset()
	run([]string{"-config", live, "-sink", "stdout"}, &out, &errb)
	if strings.Contains(errb.String(), broker.ErrLiveCamera.Error()) || !strings.Contains(errb.String(), "ashiato-test-no-camera") {
		t.Errorf("a live camera with -sink stdout was refused for its broker, or its camera was not looked for:\n%s", errb.String())
	}
}

func TestCheckEmbedded(t *testing.T) {
	for _, c := range []struct {
		source, broker string
		refused        bool
	}{
		{"v4l2:auto", "", true}, {"v4l2:/dev/video0", "embedded", true},
		{"v4l2:auto", "tls://mqtt.example.net:8883", false}, {"v4l2:auto", "stdout", false},
		{"", "", false}, {"synth", "embedded", false}, {"y4m:-", "", false}, {"y4m:clip.y4m", "embedded", false},
	} {
		cfg := &config.Config{}
		cfg.Capture.Source, cfg.MQTT.Broker = c.source, c.broker
		if err := checkEmbedded(cfg); (err != nil) != c.refused || (err != nil && !errors.Is(err, broker.ErrLiveCamera)) {
			t.Errorf("source %q, broker %q: %v; refused want %v", c.source, c.broker, err, c.refused)
		}
	}
}

// With -summary, the demo prints the embedded broker's URL (it listens on a port the user did not choose)
// and how to subscribe to it.
func TestSummaryPrintsEmbeddedBrokerURL(t *testing.T) {
	url := fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	var out, errb bytes.Buffer
	code := run([]string{"-source", "synth:frames=5,pace=asap", "-broker", "embedded",
		"-listen", strings.TrimPrefix(url, "tcp://"), "-summary", "-log-level", "error"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "embedded MQTT broker (loopback only, stops with the agent): "+url+"\n") ||
		!strings.Contains(errb.String(), "ashiato-sub -broker "+url) {
		t.Errorf("the summary does not print the broker's URL %s and how to watch it:\n%s", url, errb.String())
	}
}
