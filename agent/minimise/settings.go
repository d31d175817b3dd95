package minimise

import (
	"fmt"
	"time"
)

// Settings are the rules as a configuration file writes them: the sensor's [privacy.minimise] and the
// back office's [minimise] use these names (floor_step, image_step, max_rate, min_duration,
// min_extent_floor, min_extent_image). Each zero value means the default, so that the defaults and the
// limits below are written once, here.
type Settings struct {
	FloorStep      float64       // metres; 0 means DefaultFloorStep
	ImageStep      float64       // fraction of the frame; 0 means DefaultImageStep
	MaxRate        float64       // points per second at most; 0 means 1/DefaultMinInterval (2)
	MinDuration    time.Duration // 0 means DefaultMinDuration
	MinExtentFloor float64       // metres; 0 means DefaultMinExtentFloor
	MinExtentImage float64       // fraction of the frame; 0 means DefaultMinExtentImage
}

// MaxImageStep is the coarsest image grid Check accepts: a tenth of the frame.
const MaxImageStep = 0.1

// Check returns one error per value that cannot be a rule, each starting with the key's name
// ("image_step: …").
func (s Settings) Check() []error {
	var errs []error
	for _, f := range []struct {
		key string
		v   float64
	}{{"floor_step", s.FloorStep}, {"image_step", s.ImageStep}, {"max_rate", s.MaxRate},
		{"min_extent_floor", s.MinExtentFloor}, {"min_extent_image", s.MinExtentImage}} {
		if !(f.v >= 0) { // negative or NaN
			errs = append(errs, fmt.Errorf("%s: must not be negative", f.key))
		}
	}
	if s.ImageStep > MaxImageStep {
		errs = append(errs, fmt.Errorf("image_step: %g is more than a tenth of the frame", s.ImageStep))
	}
	if s.MinDuration < 0 {
		errs = append(errs, fmt.Errorf("min_duration: must not be negative"))
	}
	return errs
}

// Rules returns the rules the settings describe, each zero value replaced by its default.
func (s Settings) Rules() Rules {
	r := Default()
	set := func(dst *float64, v float64) {
		if v > 0 {
			*dst = v
		}
	}
	set(&r.FloorStep, s.FloorStep)
	set(&r.ImageStep, s.ImageStep)
	set(&r.MinExtentFloor, s.MinExtentFloor)
	set(&r.MinExtentImage, s.MinExtentImage)
	if s.MaxRate > 0 {
		r.MinInterval = time.Duration(float64(time.Second) / s.MaxRate)
	}
	if s.MinDuration > 0 {
		r.MinDuration = s.MinDuration
	}
	return r
}
