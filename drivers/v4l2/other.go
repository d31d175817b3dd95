//go:build !linux

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/ashiato/ashiato/hal"
)

// errNotLinux is what every device call returns outside Linux.
var errNotLinux = fmt.Errorf("v4l2: V4L2 cameras need Linux, and this is %s; use a synth or y4m source: %w",
	runtime.GOOS, errors.ErrUnsupported)

// Camera stands in for a V4L2 camera outside Linux: Start always fails.
type Camera struct{ path string }

var _ hal.Camera = (*Camera)(nil)

// Open returns a Camera whose Start fails with an error wrapping errors.ErrUnsupported.
func Open(path string, _ Options) *Camera { return &Camera{path: path} }

// Start fails: there is no V4L2 outside Linux.
func (c *Camera) Start(context.Context) (hal.Format, error) { return hal.Format{}, errNotLinux }

// ReadFrame fails: there is no V4L2 outside Linux.
func (c *Camera) ReadFrame(context.Context, *hal.Frame) error { return errNotLinux }

// Stop does nothing: nothing was started.
func (c *Camera) Stop() error { return nil }

// Dropped is always 0.
func (c *Camera) Dropped() uint64 { return 0 }

// FindCaptureNode fails: there is no V4L2 outside Linux.
func FindCaptureNode(...string) (string, error) { return "", errNotLinux }

// Formats fails: there is no V4L2 outside Linux.
func Formats(string) ([]FormatInfo, error) { return nil, errNotLinux }

// Probe fails: there is no V4L2 outside Linux.
func Probe(string) (string, error) { return "", errNotLinux }
