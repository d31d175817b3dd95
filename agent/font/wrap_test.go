package font

import (
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	f := Face12()
	for _, tc := range []struct {
		s     string
		width int
		want  []string
	}{
		// Prefers the break after ・ over filling the line.
		{"座標のみ・映像は保存しません", 12 * 12, []string{"座標のみ・", "映像は保存しません"}},
		// Latin breaks at spaces, which are dropped.
		{"No video. Paths only.", 6 * 12, []string{"No video.", "Paths only."}},
		// 。 and small kana never start a line.
		{"あいう。えお", 3 * 12, []string{"あい", "う。", "えお"}},
		{"あいっう", 2 * 12, []string{"あ", "いっ", "う"}},
		// A word wider than the line is broken where it overflows.
		{"privacy@example.com", 6 * 8, []string{"privacy@", "example.", "com"}},
		{"", 100, nil},
		{"短い", 100, []string{"短い"}},
	} {
		got := f.Wrap(tc.s, tc.width)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
		for _, l := range got {
			if f.Measure(l) > tc.width {
				t.Errorf("Wrap(%q): line %q is wider than %d", tc.s, l, tc.width)
			}
		}
	}
}
