package floor_test

import (
	"fmt"

	"github.com/ashiato/ashiato/agent/floor"
)

func ExampleFit() {
	// Four tape marks at the corners of a 3 m × 4 m area, and where they appear in the image
	// (normalised to the width and height): the far edge looks shorter than the near one.
	image := [][2]float64{{0.2, 0.9}, {0.8, 0.9}, {0.55, 0.4}, {0.45, 0.4}}
	metres := [][2]float64{{0, 0}, {3, 0}, {3, 4}, {0, 4}}
	h, err := floor.Fit(image, metres)
	if err != nil {
		panic(err)
	}
	X, Y, ok := h.Apply(0.5, 0.4) // the middle of the far edge
	fmt.Printf("%.2f %.2f %v\n", X, Y, ok)
	_, _, ok = h.Apply(0.5, 0.2) // above the horizon, at 30% of the height
	fmt.Println(ok)
	// Output:
	// 1.50 4.00 true
	// false
}
