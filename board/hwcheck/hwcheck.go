// Package hwcheck is the installer's self-test of a sensor's hardware: boot config, LED, panel, camera and button.
//
// Run takes its devices through the hal seams (Devices), so it is tested against fakes; OpenBoard builds the
// real ones with board.OpenEach and decides from the outcome board reports for each device (opened,
// absent, failed), never from log text. The camera check keeps the agent's invariants: the LED is on from before Start
// until after Stop, the one frame buffer is wiped as soon as each frame's statistics are taken, and only
// numbers (frame rate, brightness) are ever reported, never an image.
package hwcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ashiato/ashiato/drivers/v4l2"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/internal/framemem"
)

// Status is the outcome of one check.
type Status string

// Outcomes of a check.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP" // not run: disabled, not asked for, or a check it depends on failed
)

// Names of the checks, in the order Run performs them.
const (
	CheckBootConfig = "boot-config"
	CheckBoard      = "board"
	CheckLED        = "led"
	CheckPanel      = "panel"
	CheckCamera     = "camera"
	CheckCapture    = "capture"
	CheckButton     = "button"
)

// Result is one check's outcome. Hint, when set, tells the installer what to do; a passing check may carry
// one as a note (a very dark picture, say).
type Result struct {
	Name    string        `json:"name"`
	Status  Status        `json:"status"`
	Detail  string        `json:"detail"`
	Hint    string        `json:"hint,omitempty"`
	Formats []Format      `json:"formats,omitempty"` // camera check only
	Capture *CaptureStats `json:"capture,omitempty"` // capture check only
}

// Format is one pixel format the camera lists.
type Format struct {
	FourCC      string   `json:"fourcc"`
	Description string   `json:"description"`
	Usable      bool     `json:"usable"` // the agent can capture in it
	Sizes       []string `json:"sizes"`  // "640x480", or a stepwise range
}

// CaptureStats describes the frames grabbed by the capture check; it holds no pixel data.
type CaptureStats struct {
	Frames        int     `json:"frames"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	NominalFPS    float64 `json:"nominal_fps"`  // what the driver was set to; 0 unknown
	MeasuredFPS   float64 `json:"measured_fps"` // from the frames' timestamps; 0 if fewer than 2 frames
	Seconds       float64 `json:"seconds"`      // wall time from Start to the last frame
	Mean          float64 `json:"luma_mean"`
	Min           int     `json:"luma_min"`
	Max           int     `json:"luma_max"`
	NearBlack     float64 `json:"near_black"` // fraction of pixels with luma ≤ NearBlackMax
	NearWhite     float64 `json:"near_white"` // fraction of pixels with luma ≥ NearWhiteMin
	pixels, sum   uint64
	black, white  uint64
	first, latest time.Time
}

// Luma bounds of the near-black and near-white fractions.
const (
	NearBlackMax = 16
	NearWhiteMin = 239
)

// Report is the outcome of Run.
type Report struct {
	Board  string    `json:"board"`
	Time   time.Time `json:"time"`
	OK     bool      `json:"ok"` // no check failed
	Checks []Result  `json:"checks"`
}

// Result returns the check called name, and false if Run did not report it.
func (r *Report) Result(name string) (Result, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Result{}, false
}

// Wiring is the resolved board configuration, for messages and the panel's test card.
type Wiring struct {
	Board  string // profile name, e.g. "rpi4b" or "generic"
	Model  string // e.g. "Raspberry Pi 4 Model B"
	LEDPin string // e.g. "GPIO26" or "gpiochip0/17", or an LED-class directory when LEDClass; "" none
	// LEDClass means the capture LED is a Linux LED-class device (LEDPin is its directory).
	LEDClass     bool
	ActiveLowLED bool
	ButtonPin    string // "" none
	Panel        string // panel model; "" none
	SPIPort      string
	Camera       string // a device path, or "auto"
	// Header means a Raspberry Pi 40-pin header: GPIO numbers map to header pins and config.txt applies.
	Header bool
}

// Devices is what Run checks. A nil device with a nil error is reported as SKIP (not configured); a nil
// device with an error as FAIL.
type Devices struct {
	Wiring Wiring
	// BoardErr means the board could not be opened at all; every check but the boot config is then skipped.
	BoardErr error

	LED    hal.LED
	LEDErr error // why LED is nil

	Panel    hal.Panel
	PanelErr error

	Button    hal.Button
	ButtonErr error

	// Camera is streamed by the capture check; nil skips it.
	Camera hal.Camera
	// FindCamera resolves Wiring.Camera "auto" (or "") to a node for Formats; nil means the camera check is
	// skipped for "auto".
	FindCamera func() (string, error)
	// Formats lists a node's pixel formats (v4l2.Formats); nil skips the camera check.
	Formats func(path string) ([]v4l2.FormatInfo, error)

	closeFn func() error
}

// Close releases what OpenBoard opened: LED off, panel asleep, SPI port closed, camera stopped. It is a
// no-op for Devices built by hand.
func (d *Devices) Close() error {
	if d == nil || d.closeFn == nil {
		return nil
	}
	return d.closeFn()
}

// Options tunes Run. The zero value blinks 3 times, grabs 20 frames, skips the button and reads the boot
// config from its usual place.
type Options struct {
	// Blinks is how many times the LED flashes; 0 means 3.
	Blinks int
	// BlinkPeriod is one on+off cycle; 0 means 600 ms.
	BlinkPeriod time.Duration
	// Frames is how many frames the capture check grabs; 0 means 20.
	Frames int
	// FrameTimeout bounds the wait for each frame; 0 means 5 s.
	FrameTimeout time.Duration
	// Button is how long to wait for a button press; 0 (or less) skips the button check.
	Button time.Duration
	// BootConfig is the path of the Pi's config.txt; "" means /boot/firmware/config.txt, then
	// /boot/config.txt; "none" skips the check.
	BootConfig string
	// Buffer allocates the capture check's frame buffer of n bytes; nil means an anonymous mapping outside
	// the Go heap, marked MADV_DONTDUMP and mlock'ed when allowed, unmapped after the check. The buffer is
	// zeroed after every frame and before Run returns.
	Buffer func(n int) []byte
	// Confirm, if not nil, asks the installer a yes/no question (did the LED blink, does the panel show
	// the card); a "no" fails the check. nil asks nothing.
	Confirm func(question string) (bool, error)
	// Progress receives what the installer should watch for while a check runs; nil discards.
	Progress io.Writer
	// Now gives the time for the report and durations; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Blinks <= 0 {
		o.Blinks = 3
	}
	if o.BlinkPeriod <= 0 {
		o.BlinkPeriod = 600 * time.Millisecond
	}
	if o.Frames <= 0 {
		o.Frames = 20
	}
	if o.FrameTimeout <= 0 {
		o.FrameTimeout = 5 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Run performs every check in order and returns the report; it does not close d. Cancelling ctx ends the
// running check (the camera is stopped and the LED switched off first) and skips the rest.
func Run(ctx context.Context, d *Devices, o Options) Report {
	o = o.withDefaults()
	r := &runner{d: d, o: o}
	rep := Report{Board: d.Wiring.Board, Time: o.Now()}
	add := func(res Result) { rep.Checks = append(rep.Checks, res) }

	add(checkBootConfig(o.BootConfig, d.Wiring))
	if d.BoardErr != nil {
		add(Result{Name: CheckBoard, Status: Fail, Detail: d.BoardErr.Error(), Hint: boardHint(d.BoardErr)})
		for _, n := range []string{CheckLED, CheckPanel, CheckCamera, CheckCapture, CheckButton} {
			add(Result{Name: n, Status: Skip, Detail: "board not opened"})
		}
	} else {
		add(r.board())
		steps := []func(context.Context) Result{r.led, r.panel, r.camera, r.capture, r.button}
		names := []string{CheckLED, CheckPanel, CheckCamera, CheckCapture, CheckButton}
		for i, step := range steps {
			if ctx.Err() != nil {
				add(Result{Name: names[i], Status: Skip, Detail: "interrupted"})
				continue
			}
			res := step(ctx)
			r.done = append(r.done, res)
			add(res)
		}
	}
	rep.OK = true
	for _, c := range rep.Checks {
		if c.Status == Fail {
			rep.OK = false
		}
	}
	return rep
}

type runner struct {
	d    *Devices
	o    Options
	done []Result
}

func (r *runner) status(name string) Status {
	for _, c := range r.done {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func (r *runner) sayf(format string, args ...any) {
	fmt.Fprintf(r.o.Progress, format+"\n", args...)
}

// confirm asks q if a Confirm func is set; ok is true when nothing was asked.
func (r *runner) confirm(q string) (ok bool, asked bool, err error) {
	if r.o.Confirm == nil {
		return true, false, nil
	}
	ok, err = r.o.Confirm(q)
	return ok, true, err
}

// sighting says how a passed check that the installer must see (the LED, the panel) is settled by their
// answer to question.
type sighting struct {
	question string
	noDetail string // appended to Detail when the installer says no; the check then fails
	noHint   string // the Hint when the installer says no
	unsure   string // the Hint when the question got no answer (Confirm returned an error)
	unasked  string // the Hint when there is nobody to ask (no Confirm)
}

// confirmSeen asks s.question (see confirm) and settles res, a passed check, by the answer: yes appends
// ", seen by the installer" to its Detail; no fails it as s says; no answer or nobody to ask only sets
// its Hint.
func (r *runner) confirmSeen(res *Result, s sighting) {
	ok, asked, err := r.confirm(s.question)
	switch {
	case err != nil:
		res.Hint = s.unsure
	case !ok:
		res.Status, res.Detail, res.Hint = Fail, res.Detail+s.noDetail, s.noHint
	case asked:
		res.Detail += ", seen by the installer"
	default:
		res.Hint = s.unasked
	}
}

func (r *runner) board() Result {
	w := r.d.Wiring
	var parts []string
	if w.LEDPin != "" {
		parts = append(parts, "capture LED "+ledLabel(w))
	}
	if w.ButtonPin != "" {
		parts = append(parts, "button "+pinLabel(w.ButtonPin))
	}
	if w.Panel != "" {
		parts = append(parts, "panel "+w.Panel+" on "+w.SPIPort)
	}
	if w.Panel == "" {
		parts = append(parts, "no notice panel (the status reports it; put up the printed poster)")
	}
	parts = append(parts, "camera "+or(w.Camera, "auto"))
	name := or(w.Board, "unknown board")
	if w.Model != "" {
		name += " (" + w.Model + ")"
	}
	return Result{Name: CheckBoard, Status: Pass, Detail: name + ": " + strings.Join(parts, ", ")}
}

// absent is the result of a check whose device Open did not provide: a failure with its hint when opening
// it failed (openErr), a skip when none is configured.
func (r *runner) absent(name string, openErr error, hint func(error, Wiring) string, what string) Result {
	if openErr != nil {
		return Result{Name: name, Status: Fail, Detail: openErr.Error(), Hint: hint(openErr, r.d.Wiring)}
	}
	return Result{Name: name, Status: Skip, Detail: "no " + what + " configured"}
}

func (r *runner) led(ctx context.Context) Result {
	res := Result{Name: CheckLED}
	pin := ledLabel(r.d.Wiring)
	if r.d.LED == nil {
		return r.absent(CheckLED, r.d.LEDErr, ledHint, "LED")
	}
	n := r.o.Blinks
	r.sayf("led: watch the LED on %s: it flashes %d times", pin, n)
	half := r.o.BlinkPeriod / 2
	var err error
	for i := 0; i < n && err == nil; i++ {
		if err = r.d.LED.Set(true); err != nil {
			break
		}
		if err = sleep(ctx, half); err != nil {
			break
		}
		if err = r.d.LED.Set(false); err != nil {
			break
		}
		err = sleep(ctx, half)
	}
	if offErr := r.d.LED.Set(false); err == nil {
		err = offErr
	}
	if err != nil {
		res.Status, res.Detail, res.Hint = Fail, err.Error(), ledHint(err, r.d.Wiring)
		return res
	}
	res.Status = Pass
	res.Detail = fmt.Sprintf("%s driven on and off %d times without error", pin, n)
	wiringHint := fmt.Sprintf("if it did not light: wire %s → 330 Ω–1 kΩ resistor → LED long leg (anode); short leg "+
		"(cathode) → GND (pin 39); an LED wired from 3.3 V to the pin instead needs -active-low-led", pin)
	what := "a GPIO cannot sense the LED itself"
	if r.d.Wiring.LEDClass {
		wiringHint = fmt.Sprintf("if it did not light: %s is not the LED you are watching; ls /sys/class/leds lists the others", pin)
		what = "the kernel read the brightness back, but only an eye can see the light"
	}
	r.confirmSeen(&res, sighting{
		question: fmt.Sprintf("Did the LED on %s flash %d times?", pin, n),
		noDetail: ", but the installer did not see it",
		noHint:   wiringHint,
		unsure:   wiringHint,
		unasked:  what + ": confirm by eye that it flashed; " + wiringHint,
	})
	return res
}

func (r *runner) panel(ctx context.Context) Result {
	res := Result{Name: CheckPanel}
	if r.d.Panel == nil {
		res := r.absent(CheckPanel, r.d.PanelErr, panelHint, "panel")
		if res.Status == Skip {
			res.Detail += ": shoppers see no notice on the device (the agent's status says so); put up the printed poster"
		}
		return res
	}
	card := TestCard(r.d.Panel.Bounds(), r.d.Wiring, r.o.Now())
	r.sayf("panel: drawing the test card on %s (a full refresh takes a few seconds; tri-colour panels longer)", or(r.d.Wiring.Panel, "the panel"))
	start := r.o.Now()
	err := r.d.Panel.Draw(card, true)
	took := r.o.Now().Sub(start)
	haltErr := r.d.Panel.Halt()
	if err != nil {
		res.Status, res.Detail, res.Hint = Fail, err.Error(), panelHint(err, r.d.Wiring)
		return res
	}
	if haltErr != nil {
		res.Status, res.Detail, res.Hint = Fail, "drawn, but deep sleep failed: "+haltErr.Error(), panelHint(haltErr, r.d.Wiring)
		return res
	}
	res.Status = Pass
	res.Detail = fmt.Sprintf("test card drawn with a full refresh in %v, panel asleep", took.Round(10*time.Millisecond))
	look := "the card has a black frame on all four sides, a black bar at the top and a solid triangle in the top-left corner"
	r.confirmSeen(&res, sighting{
		question: "Does the panel show the test card, with the solid triangle in the top-left corner?",
		noHint:   "the installer did not see the card: " + look + "; a card that is cut off or mirrored means the wrong -panel model",
		unsure:   "check by eye: " + look,
		unasked:  "check by eye: " + look,
	})
	return res
}

func (r *runner) camera(ctx context.Context) Result {
	res := Result{Name: CheckCamera}
	if r.d.Formats == nil {
		res.Status, res.Detail = Skip, "format listing not available"
		return res
	}
	node := r.d.Wiring.Camera
	if node == "" || node == v4l2.Auto {
		if r.d.FindCamera == nil {
			res.Status, res.Detail = Skip, "no camera path and no search"
			return res
		}
		var err error
		if node, err = r.d.FindCamera(); err != nil {
			res.Status, res.Detail, res.Hint = Fail, err.Error(), cameraHint(err)
			return res
		}
	}
	infos, err := r.d.Formats(node)
	if err != nil {
		res.Status, res.Detail, res.Hint = Fail, err.Error(), cameraHint(err)
		return res
	}
	usable := 0
	var names []string
	for _, fi := range infos {
		f := Format{FourCC: fi.FourCC, Description: fi.Description, Usable: fi.Usable}
		for _, s := range fi.Sizes {
			f.Sizes = append(f.Sizes, s.String())
		}
		res.Formats = append(res.Formats, f)
		if fi.Usable {
			usable++
			names = append(names, fi.FourCC)
		}
	}
	if usable == 0 {
		var all []string
		for _, f := range res.Formats {
			all = append(all, f.FourCC)
		}
		res.Status = Fail
		res.Detail = fmt.Sprintf("%s lists only %s", node, strings.Join(all, ", "))
		res.Hint = "the agent needs GREY, YUYV or MJPEG; raw Bayer formats come from a Pi Camera Module's CSI receiver, " +
			"which needs libcamera and is not supported: use a USB UVC webcam"
		return res
	}
	res.Status = Pass
	res.Detail = fmt.Sprintf("%s: %d formats, usable %s", node, len(infos), strings.Join(names, ", "))
	if strings.HasPrefix(node, "/dev/video") {
		res.Hint = "/dev/videoN numbers can change between boots; set the camera to its /dev/v4l/by-id/… link"
	}
	return res
}

func (r *runner) capture(ctx context.Context) Result {
	res := Result{Name: CheckCapture}
	switch {
	case r.d.Camera == nil:
		res.Status, res.Detail = Skip, "no camera"
		return res
	case r.status(CheckCamera) == Fail:
		res.Status, res.Detail = Skip, "camera check failed"
		return res
	case r.d.LED == nil || r.status(CheckLED) == Fail:
		res.Status, res.Detail = Skip, "no working LED: frames are captured only while the LED is on"
		return res
	}
	// The invariant: LED on before the camera starts, off only after it has stopped.
	if err := r.d.LED.Set(true); err != nil {
		_ = r.d.LED.Set(false)
		res.Status, res.Detail, res.Hint = Fail, "LED cannot be switched on: "+err.Error(), ledHint(err, r.d.Wiring)
		return res
	}
	r.sayf("capture: the LED is on while %d frames are grabbed", r.o.Frames)
	st, err := r.grab(ctx)
	stopErr := r.d.Camera.Stop()
	offErr := r.d.LED.Set(false)
	if offErr != nil {
		res.Status = Fail
		res.Detail = "the LED could not be switched off after capture: " + offErr.Error()
		res.Hint = "the LED's state is unknown; " + ledHint(offErr, r.d.Wiring)
		return res
	}
	if st != nil && st.Frames > 0 {
		res.Capture = st
	}
	if err != nil {
		res.Status, res.Hint = Fail, captureHint(err)
		res.Detail = err.Error()
		if st != nil && st.Frames > 0 {
			res.Detail = fmt.Sprintf("after %d frames: %v", st.Frames, err)
		}
		return res
	}
	if stopErr != nil {
		res.Status, res.Detail, res.Hint = Fail, "stopping the camera: "+stopErr.Error(), captureHint(stopErr)
		return res
	}
	res.Status = Pass
	fps := "frame rate unknown"
	if st.MeasuredFPS > 0 {
		fps = fmt.Sprintf("%.1f fps", st.MeasuredFPS)
		if st.NominalFPS > 0 {
			fps += fmt.Sprintf(" (asked %.4g)", st.NominalFPS)
		}
	}
	res.Detail = fmt.Sprintf("%d frames %dx%d, %s; luma mean %.1f, min %d, max %d; %.1f%% near black, %.1f%% near white",
		st.Frames, st.Width, st.Height, fps, st.Mean, st.Min, st.Max, 100*st.NearBlack, 100*st.NearWhite)
	switch {
	case st.Min == st.Max:
		res.Hint = "every pixel has the same value: the camera may be sending a blank picture"
	case st.NearBlack > 0.9:
		res.Hint = "the picture is almost all black: lens cap on, or a dark room (the tracker needs light)"
	case st.NearWhite > 0.9:
		res.Hint = "the picture is almost all white: pointing at a light or a window"
	case st.MeasuredFPS > 0 && st.NominalFPS > 0 && st.MeasuredFPS < 0.5*st.NominalFPS:
		res.Hint = "fewer frames than asked: low light slows auto-exposure, or USB bandwidth; try a smaller size"
	}
	return res
}

// grab starts the camera and reads the frames into one buffer, zeroing it after each frame's statistics.
// The caller stops the camera.
func (r *runner) grab(ctx context.Context) (*CaptureStats, error) {
	start := r.o.Now()
	format, err := r.d.Camera.Start(ctx)
	if err != nil {
		return nil, err
	}
	n := format.Size()
	if n <= 0 {
		return nil, fmt.Errorf("hwcheck: camera reports an empty format %dx%d", format.Width, format.Height)
	}
	var buf []byte
	if r.o.Buffer != nil {
		buf = r.o.Buffer(n)
	} else {
		b, release, err := lockedBuffer(n)
		if err != nil {
			return nil, err
		}
		defer release() // runs after the clear below
		buf = b
	}
	if len(buf) < n {
		return nil, fmt.Errorf("hwcheck: frame buffer holds %d bytes, %d needed", len(buf), n)
	}
	defer clear(buf)
	st := &CaptureStats{Width: format.Width, Height: format.Height, NominalFPS: format.FPS, Min: 255}
	f := hal.Frame{Pix: buf}
	for i := range r.o.Frames {
		fctx, cancel := context.WithTimeout(ctx, r.o.FrameTimeout)
		err := r.d.Camera.ReadFrame(fctx, &f)
		cancel()
		if err != nil {
			clear(buf)
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				err = fmt.Errorf("hwcheck: no frame within %v: %w", r.o.FrameTimeout, hal.ErrStalled)
			}
			st.finish()
			return st, err
		}
		f.Seq = uint64(i)
		err = st.add(&f, len(buf))
		clear(buf)
		if err != nil {
			st.finish()
			return st, err
		}
		st.Seconds = r.o.Now().Sub(start).Seconds()
	}
	st.finish()
	return st, nil
}

// add accumulates one frame's luma statistics; it only reads f.Pix.
func (s *CaptureStats) add(f *hal.Frame, n int) error {
	if f.Width <= 0 || f.Height <= 0 || f.Stride < f.Width || (f.Height-1)*f.Stride+f.Width > n {
		return fmt.Errorf("hwcheck: camera returned a frame of inconsistent geometry %dx%d stride %d", f.Width, f.Height, f.Stride)
	}
	for y := range f.Height {
		for _, v := range f.Pix[y*f.Stride : y*f.Stride+f.Width] {
			s.sum += uint64(v)
			s.Min = min(s.Min, int(v))
			s.Max = max(s.Max, int(v))
			if v <= NearBlackMax {
				s.black++
			}
			if v >= NearWhiteMin {
				s.white++
			}
		}
	}
	s.pixels += uint64(f.Width * f.Height)
	s.Width, s.Height = f.Width, f.Height
	if s.Frames == 0 {
		s.first = f.Time
	}
	s.latest = f.Time
	s.Frames++
	return nil
}

func (s *CaptureStats) finish() {
	if s.pixels == 0 {
		s.Min = 0
		return
	}
	p := float64(s.pixels)
	s.Mean = float64(s.sum) / p
	s.NearBlack = float64(s.black) / p
	s.NearWhite = float64(s.white) / p
	if dt := s.latest.Sub(s.first).Seconds(); s.Frames >= 2 && dt > 0 {
		s.MeasuredFPS = float64(s.Frames-1) / dt
	}
}

func (r *runner) button(ctx context.Context) Result {
	res := Result{Name: CheckButton}
	pin := pinLabel(r.d.Wiring.ButtonPin)
	if r.d.Button == nil {
		return r.absent(CheckButton, r.d.ButtonErr, buttonHint, "button")
	}
	if r.o.Button <= 0 {
		res.Status, res.Detail = Skip, "not waited for; run with -button 10s and press it"
		return res
	}
	r.sayf("button: press the button on %s within %v", pin, r.o.Button)
	bctx, cancel := context.WithTimeout(ctx, r.o.Button)
	defer cancel()
	start := r.o.Now()
	_, err := r.d.Button.WaitPress(bctx)
	if err != nil {
		res.Status = Fail
		if errors.Is(err, context.DeadlineExceeded) {
			res.Detail = fmt.Sprintf("no press on %s within %v", pin, r.o.Button)
			res.Hint = fmt.Sprintf("the button connects %s to GND (pin 34 or 39), no resistor (the internal pull-up is used); "+
				"a button wired to 3.3 V never reads as pressed", pin)
		} else {
			res.Detail = err.Error()
			res.Hint = buttonHint(err, r.d.Wiring)
		}
		return res
	}
	res.Status = Pass
	res.Detail = fmt.Sprintf("press on %s seen after %v", pin, r.o.Now().Sub(start).Round(10*time.Millisecond))
	return res
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// lockedBuffer maps n bytes outside the Go heap for frames, as the agent's ring does (package framemem):
// out of core dumps where the system allows and, when RLIMIT_MEMLOCK allows, out of swap (mlock). release
// zeroes and unmaps it.
func lockedBuffer(n int) (buf []byte, release func(), err error) {
	buf, err = framemem.Map(n)
	if err != nil {
		return nil, nil, fmt.Errorf("hwcheck: frame buffer: %w", err)
	}
	locked := framemem.Lock(buf) == nil // best effort: the check is short and the buffer wiped per frame
	return buf, func() {
		clear(buf)
		if locked {
			framemem.Unlock(buf)
		}
		framemem.Unmap(buf)
	}, nil
}
