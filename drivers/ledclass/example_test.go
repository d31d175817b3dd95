package ledclass_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ashiato/ashiato/drivers/ledclass"
)

func Example() {
	// On a machine, board/ passes ledclass.Dir("input3::capslock"); a fake directory stands in here.
	dir, _ := os.MkdirTemp("", "leds")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "max_brightness"), []byte("1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "brightness"), []byte("1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "trigger"), []byte("none [kbd-capslock]\n"), 0o644)
	brightness := func() string { b, _ := os.ReadFile(filepath.Join(dir, "brightness")); return string(b) }

	led, err := ledclass.New(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after New:", brightness())
	if err := led.Set(true); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("capturing:", brightness())
	if err := led.Halt(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("halted:", brightness())
	// Output:
	// after New: 0
	// capturing: 1
	// halted: 0
}
