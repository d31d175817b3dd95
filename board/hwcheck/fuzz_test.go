package hwcheck

import (
	"bytes"
	"testing"
)

// FuzzParseBootConfig parses arbitrary config.txt text. The rules it must keep whatever came before: a
// later line wins (a spi or strict_gpiod line appended at the end decides that setting), spi0-0cs once
// set stays set, comments and Windows line ends change nothing.
func FuzzParseBootConfig(f *testing.F) {
	for _, s := range []string{
		"dtparam=spi=on\ndtparam=strict_gpiod\n",
		"# Raspberry Pi OS Bookworm\n[all]\ndtparam=audio=on\ndtoverlay=vc4-kms-v3d\nmax_framebuffers=2\n[pi4]\narm_boost=1\n",
		"dtparam=i2c_arm=on,spi=on,strict_gpiod=on",
		"dtparam=spi=on\n[pi4]\ndtparam=spi=off\n",
		"dtoverlay=spi0-0cs,cs0_pin=7\n  dtparam = spi = yes # comment\r\n",
		"dtparam=strict_gpiod=OFF\ndtparam=spi=1,spi=0",
		"=\n==\ndtparam\ndtparam=\n#\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		s := ParseBootConfig(text)
		for _, c := range []struct {
			line string
			get  func(BootSettings) bool
			want bool
		}{
			{"dtparam=spi=on", func(b BootSettings) bool { return b.SPI }, true},
			{"dtparam=spi=off", func(b BootSettings) bool { return b.SPI }, false},
			{"dtparam=strict_gpiod", func(b BootSettings) bool { return b.StrictGPIOD }, true},
			{"dtparam=strict_gpiod=off", func(b BootSettings) bool { return b.StrictGPIOD }, false},
			{"dtoverlay=spi0-0cs", func(b BootSettings) bool { return b.SPI0NoCS }, true},
		} {
			if got := c.get(ParseBootConfig(append(append(bytes.Clone(text), '\n'), c.line...))); got != c.want {
				t.Fatalf("%q appended to %q: %v, want %v", c.line, text, got, c.want)
			}
		}
		if more := ParseBootConfig(append(bytes.Clone(text), "\ndtparam=audio=on\n"...)); s.SPI0NoCS && !more.SPI0NoCS || more.SPI != s.SPI || more.StrictGPIOD != s.StrictGPIOD {
			t.Fatalf("an unrelated line changed %+v into %+v", s, more)
		}
		crlf := bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))
		if got := ParseBootConfig(crlf); got != s {
			t.Fatalf("CRLF line ends: %+v, want %+v", got, s)
		}
		commented := bytes.ReplaceAll(text, []byte("\n"), []byte(" # note\n"))
		if got := ParseBootConfig(commented); got != s {
			t.Fatalf("comments at line ends: %+v, want %+v", got, s)
		}
	})
}
