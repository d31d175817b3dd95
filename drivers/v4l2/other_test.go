//go:build !linux

package v4l2

import (
	"context"
	"errors"
	"testing"
)

// Outside Linux every device call says so instead of pretending to have a camera.
func TestUnsupportedOutsideLinux(t *testing.T) {
	if _, err := Open("/dev/video0", Options{}).Start(context.Background()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Start = %v", err)
	}
	if _, err := Probe(Auto); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Probe = %v", err)
	}
	if _, err := Formats("/dev/video0"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Formats = %v", err)
	}
}
