//go:build !unix

package ring

import (
	"errors"
	"testing"
)

// Without mmap there is no frame memory outside the Go heap, and New says so instead of pretending.
func TestNewUnsupported(t *testing.T) {
	if _, err := New(Options{Slots: 3, SlotSize: 16}); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("New = %v; want an error wrapping errors.ErrUnsupported", err)
	}
}
