//go:build !unix

package framemem

import (
	"errors"
	"testing"
)

func TestMapUnsupported(t *testing.T) {
	if _, err := Map(4096); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Map = %v; want an error wrapping errors.ErrUnsupported", err)
	}
}
